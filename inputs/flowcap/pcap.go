// Package flowcap reads flow export datagrams (NetFlow v5/v9/IPFIX, sFlow
// v5) out of a packet capture and decodes them with the netflow and sflow
// inputs' own decoders: what `shipper test-flows` shows an operator before a
// collector is pointed at the shipper.
package flowcap

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// Datagram is one UDP datagram of the capture.
type Datagram struct {
	Time     time.Time
	Src, Dst netip.AddrPort
	Payload  []byte // valid until the next call to Next
}

// maxRecord bounds one captured packet: libpcap's largest snapshot length
// is 262144 bytes. A larger record length means the file is not what its
// header says; reading on would allocate whatever the file claims.
const maxRecord = 262144

// Link-layer header types (https://www.tcpdump.org/linktypes.html).
const (
	linkNull     = 0   // BSD loopback: 4-byte address family, host order
	linkEthernet = 1   // IEEE 802.3
	linkRaw      = 101 // raw IPv4/IPv6
	linkLoop     = 108 // OpenBSD loopback: address family, network order
	linkSLL      = 113 // Linux cooked capture v1 (tcpdump -i any)
	linkSLL2     = 276 // Linux cooked capture v2
	linkRawAlt1  = 12  // DLT_RAW on some systems
	linkRawAlt2  = 14  // DLT_RAW on others
	linkIPv4     = 228
	linkIPv6     = 229
)

// Reader reads the UDP datagrams of a classic pcap file (microsecond or
// nanosecond, either byte order). Packets that are not UDP over IPv4/IPv6,
// fragments and packets cut by the snapshot length are skipped and counted
// by reason in Skipped.
type Reader struct {
	r       *bufio.Reader
	order   binary.ByteOrder
	nano    bool
	link    uint32
	hdr     [16]byte
	buf     []byte
	packets int
	// Skipped counts the packets that carried no datagram, by reason.
	Skipped map[string]int
}

// NewReader reads the file header.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var h [24]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("not a pcap file: shorter than a pcap header (24 bytes)")
		}
		return nil, err
	}
	rd := &Reader{r: br, Skipped: map[string]int{}}
	switch m := binary.LittleEndian.Uint32(h[:4]); m {
	case 0xa1b2c3d4:
		rd.order = binary.LittleEndian
	case 0xa1b23c4d:
		rd.order, rd.nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		rd.order = binary.BigEndian
	case 0x4d3cb2a1:
		rd.order, rd.nano = binary.BigEndian, true
	case 0x0a0d0d0a:
		return nil, errors.New("a pcapng file: convert it to pcap first (tcpdump -r in.pcapng -w out.pcap, or editcap -F pcap in.pcapng out.pcap)")
	default:
		return nil, fmt.Errorf("not a pcap file (magic %#08x)", m)
	}
	rd.link = rd.order.Uint32(h[20:24]) & 0x0fffffff // the high bits are FCS flags
	switch rd.link {
	case linkNull, linkEthernet, linkRaw, linkLoop, linkSLL, linkSLL2, linkRawAlt1, linkRawAlt2, linkIPv4, linkIPv6:
	default:
		return nil, fmt.Errorf("pcap link type %d is not supported (Ethernet, Linux cooked, raw IP and loopback are)", rd.link)
	}
	return rd, nil
}

// Packets is the number of packet records read so far.
func (r *Reader) Packets() int { return r.packets }

// Next returns the next UDP datagram, or io.EOF at the end of the file. A
// record cut short by the end of the file, or one longer than a pcap record
// can be, is an error naming the packet.
func (r *Reader) Next() (Datagram, error) {
	for {
		if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
			if err == io.EOF {
				return Datagram{}, io.EOF
			}
			return Datagram{}, fmt.Errorf("packet %d: record header cut short: %w", r.packets+1, err)
		}
		r.packets++
		sec, frac := r.order.Uint32(r.hdr[0:]), r.order.Uint32(r.hdr[4:])
		incl, orig := r.order.Uint32(r.hdr[8:]), r.order.Uint32(r.hdr[12:])
		if incl > maxRecord {
			return Datagram{}, fmt.Errorf("packet %d: record length %d is over pcap's %d: not a pcap file, or a damaged one", r.packets, incl, maxRecord)
		}
		if cap(r.buf) < int(incl) {
			r.buf = make([]byte, incl)
		}
		b := r.buf[:incl]
		if _, err := io.ReadFull(r.r, b); err != nil {
			return Datagram{}, fmt.Errorf("packet %d: cut short (%d bytes recorded): %w", r.packets, incl, err)
		}
		ns := int64(frac) * 1000
		if r.nano {
			ns = int64(frac)
		}
		ts := time.Unix(int64(sec), ns)
		d, why := r.datagram(b, orig > incl)
		if why != "" {
			r.Skipped[why]++
			continue
		}
		d.Time = ts
		return d, nil
	}
}

// datagram finds the UDP datagram in one captured frame, or says why none.
func (r *Reader) datagram(b []byte, cut bool) (Datagram, string) {
	var etherType uint16
	switch r.link {
	case linkEthernet:
		if len(b) < 14 {
			return Datagram{}, "malformed link header"
		}
		etherType, b = binary.BigEndian.Uint16(b[12:]), b[14:]
		for etherType == 0x8100 || etherType == 0x88a8 { // VLAN tags, QinQ
			if len(b) < 4 {
				return Datagram{}, "malformed link header"
			}
			etherType, b = binary.BigEndian.Uint16(b[2:]), b[4:]
		}
	case linkSLL:
		if len(b) < 16 {
			return Datagram{}, "malformed link header"
		}
		etherType, b = binary.BigEndian.Uint16(b[14:]), b[16:]
	case linkSLL2:
		if len(b) < 20 {
			return Datagram{}, "malformed link header"
		}
		etherType, b = binary.BigEndian.Uint16(b[0:]), b[20:]
	case linkNull, linkLoop:
		if len(b) < 4 {
			return Datagram{}, "malformed link header"
		}
		af := binary.BigEndian.Uint32(b)
		if r.link == linkNull && af > 0xffff { // host order, written little-endian
			af = binary.LittleEndian.Uint32(b)
		}
		switch af {
		case 2:
			etherType = 0x0800
		case 10, 24, 28, 30: // AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, macOS
			etherType = 0x86dd
		}
		b = b[4:]
	default: // raw IP: the version nibble says which
		if len(b) > 0 {
			switch b[0] >> 4 {
			case 4:
				etherType = 0x0800
			case 6:
				etherType = 0x86dd
			}
		}
	}
	var src, dst netip.Addr
	var l4 []byte
	switch etherType {
	case 0x0800:
		if len(b) < 20 || b[0]>>4 != 4 {
			return Datagram{}, "malformed IP header"
		}
		ihl := int(b[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(b[2:]))
		if ihl < 20 || len(b) < ihl || total < ihl {
			return Datagram{}, "malformed IP header"
		}
		if b[9] != 17 {
			return Datagram{}, "not UDP"
		}
		if frag := binary.BigEndian.Uint16(b[6:]); frag&0x3fff != 0 { // MF or an offset
			return Datagram{}, "IP fragment (a datagram larger than the path MTU: not reassembled)"
		}
		if total > len(b) {
			if cut {
				return Datagram{}, "cut by the snapshot length (capture with -s 0)"
			}
			return Datagram{}, "malformed IP header"
		}
		src, dst = netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
		l4 = b[ihl:total]
	case 0x86dd:
		if len(b) < 40 || b[0]>>4 != 6 {
			return Datagram{}, "malformed IP header"
		}
		plen := int(binary.BigEndian.Uint16(b[4:]))
		next := b[6]
		src, dst = netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
		if 40+plen > len(b) {
			if cut {
				return Datagram{}, "cut by the snapshot length (capture with -s 0)"
			}
			return Datagram{}, "malformed IP header"
		}
		l4 = b[40 : 40+plen]
		for next != 17 {
			switch next {
			case 0, 43, 60: // hop-by-hop, routing, destination options
				if len(l4) < 8 {
					return Datagram{}, "malformed IP header"
				}
				n := (int(l4[1]) + 1) * 8
				if len(l4) < n {
					return Datagram{}, "malformed IP header"
				}
				next, l4 = l4[0], l4[n:]
			case 44:
				return Datagram{}, "IP fragment (a datagram larger than the path MTU: not reassembled)"
			default:
				return Datagram{}, "not UDP"
			}
		}
	default:
		return Datagram{}, "not IP"
	}
	if len(l4) < 8 {
		return Datagram{}, "malformed UDP header"
	}
	ulen := int(binary.BigEndian.Uint16(l4[4:]))
	if ulen < 8 || ulen > len(l4) {
		return Datagram{}, "malformed UDP header"
	}
	return Datagram{
		Src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(l4[0:])),
		Dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(l4[2:])),
		Payload: l4[8:ulen],
	}, ""
}
