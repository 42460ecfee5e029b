// Package flowtest builds the captures the flow inputs' tests replay
// through real exporters (softflowd, pmacctd): Ethernet frames with IPv4 or
// IPv6 and TCP, UDP or ICMP, written as a classic pcap file, with the
// expected packets and bytes per flow known in advance; and runs what those
// tests share: the exporters, an input on a local port (Start), and the
// flow key of a document (EventKey).
package flowtest

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"time"
)

// Flow is one direction of a conversation: Packets packets of PayloadLen
// bytes of payload each.
type Flow struct {
	Src, Dst     netip.Addr
	Proto        uint8 // 6, 17, 1 (ICMP echo: SrcPort is the id) or 58
	SrcPort      uint16
	DstPort      uint16
	Packets      int
	PayloadLen   int
	VLAN         uint16 // 0: untagged
	SrcMAC       [6]byte
	DstMAC       [6]byte
	Start        time.Time
	Gap          time.Duration // between packets
	TCPFinAtLast bool
}

// IPBytes is the flow's bytes as NetFlow counts them: IP total lengths.
func (f Flow) IPBytes() uint64 { return uint64(f.Packets) * uint64(f.ipLen()) }

// FrameLen is one frame's length on the wire without FCS.
func (f Flow) FrameLen() int {
	n := 14 + f.ipLen()
	if f.VLAN != 0 {
		n += 4
	}
	return n
}

func (f Flow) l4Len() int {
	switch f.Proto {
	case 6:
		return 20 + f.PayloadLen
	case 17:
		return 8 + f.PayloadLen
	default: // ICMP echo
		return 8 + f.PayloadLen
	}
}

func (f Flow) ipLen() int {
	if f.Src.Is4() {
		return 20 + f.l4Len()
	}
	return 40 + f.l4Len()
}

// Frame builds the i-th frame of the flow.
func (f Flow) Frame(i int) []byte {
	b := make([]byte, 0, f.FrameLen())
	b = append(b, f.DstMAC[:]...)
	b = append(b, f.SrcMAC[:]...)
	if f.VLAN != 0 {
		b = binary.BigEndian.AppendUint16(b, 0x8100)
		b = binary.BigEndian.AppendUint16(b, f.VLAN&0x0fff)
	}
	l4 := f.l4(i)
	if f.Src.Is4() {
		b = binary.BigEndian.AppendUint16(b, 0x0800)
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
		binary.BigEndian.PutUint16(ip[4:], uint16(i))
		ip[8] = 64
		ip[9] = f.Proto
		s, d := f.Src.As4(), f.Dst.As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		binary.BigEndian.PutUint16(ip[10:], checksum(ip, 0))
		if f.Proto == 6 || f.Proto == 17 {
			binary.BigEndian.PutUint16(l4[checksumOffset(f.Proto):], l4Checksum(f.Src, f.Dst, f.Proto, l4))
		}
		b = append(b, ip...)
	} else {
		b = binary.BigEndian.AppendUint16(b, 0x86dd)
		ip := make([]byte, 40)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(len(l4)))
		ip[6] = f.Proto
		ip[7] = 64
		s, d := f.Src.As16(), f.Dst.As16()
		copy(ip[8:], s[:])
		copy(ip[24:], d[:])
		binary.BigEndian.PutUint16(l4[checksumOffset(f.Proto):], l4Checksum(f.Src, f.Dst, f.Proto, l4))
		b = append(b, ip...)
	}
	return append(b, l4...)
}

func checksumOffset(proto uint8) int {
	switch proto {
	case 6:
		return 16
	case 17:
		return 6
	}
	return 2
}

func (f Flow) l4(i int) []byte {
	l := make([]byte, f.l4Len())
	switch f.Proto {
	case 6:
		binary.BigEndian.PutUint16(l[0:], f.SrcPort)
		binary.BigEndian.PutUint16(l[2:], f.DstPort)
		binary.BigEndian.PutUint32(l[4:], uint32(1000+i))
		l[12] = 5 << 4
		flags := byte(0x18) // PSH ACK
		if i == 0 {
			flags = 0x02 // SYN
		}
		if f.TCPFinAtLast && i == f.Packets-1 {
			flags = 0x11 // FIN ACK
		}
		l[13] = flags
		binary.BigEndian.PutUint16(l[14:], 65535)
	case 17:
		binary.BigEndian.PutUint16(l[0:], f.SrcPort)
		binary.BigEndian.PutUint16(l[2:], f.DstPort)
		binary.BigEndian.PutUint16(l[4:], uint16(len(l)))
	case 1, 58:
		if f.Proto == 1 {
			l[0] = 8 // echo request
		} else {
			l[0] = 128
		}
		binary.BigEndian.PutUint16(l[4:], f.SrcPort)
		binary.BigEndian.PutUint16(l[6:], uint16(i))
		if f.Proto == 1 {
			binary.BigEndian.PutUint16(l[2:], checksum(l, 0))
		}
	}
	for j := f.l4Len() - f.PayloadLen; j < len(l); j++ {
		l[j] = byte(j)
	}
	return l
}

func checksum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

func l4Checksum(src, dst netip.Addr, proto uint8, l4 []byte) uint16 {
	var ph []byte
	ph = append(ph, src.AsSlice()...)
	ph = append(ph, dst.AsSlice()...)
	if src.Is4() {
		ph = append(ph, 0, proto)
		ph = binary.BigEndian.AppendUint16(ph, uint16(len(l4)))
	} else {
		ph = binary.BigEndian.AppendUint32(ph, uint32(len(l4)))
		ph = append(ph, 0, 0, 0, proto)
	}
	var sum uint32
	for i := 0; i+1 < len(ph); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ph[i:]))
	}
	return checksum(l4, sum)
}

// Packet is one frame with its capture time.
type Packet struct {
	Time  time.Time
	Frame []byte
}

// Packets interleaves the flows' frames in time order.
func Packets(flows []Flow) []Packet {
	var out []Packet
	for _, f := range flows {
		for i := 0; i < f.Packets; i++ {
			out = append(out, Packet{Time: f.Start.Add(time.Duration(i) * f.Gap), Frame: f.Frame(i)})
		}
	}
	// Insertion sort by time: stable, the captures are small.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Time.Before(out[j-1].Time); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// WritePcap writes packets as a pcap file (microsecond, Ethernet).
func WritePcap(path string, pkts []Packet) error {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(b[4:], 2)
	binary.LittleEndian.PutUint16(b[6:], 4)
	binary.LittleEndian.PutUint32(b[16:], 65535)
	binary.LittleEndian.PutUint32(b[20:], 1) // LINKTYPE_ETHERNET
	for _, p := range pkts {
		var h [16]byte
		binary.LittleEndian.PutUint32(h[0:], uint32(p.Time.Unix()))
		binary.LittleEndian.PutUint32(h[4:], uint32(p.Time.Nanosecond()/1000))
		binary.LittleEndian.PutUint32(h[8:], uint32(len(p.Frame)))
		binary.LittleEndian.PutUint32(h[12:], uint32(len(p.Frame)))
		b = append(b, h[:]...)
		b = append(b, p.Frame...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write pcap %s: %w", path, err)
	}
	return nil
}
