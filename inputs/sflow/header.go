package sflow

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// packet is what a sampled header tells, L2 to L4.
type packet struct {
	srcMAC, dstMAC string
	vlan           uint16
	hasVLAN        bool
	ipv6           bool
	src, dst       netip.Addr
	proto          uint8
	hasProto       bool
	tos, ttl       uint8
	sport, dport   uint16
	hasPorts       bool
	tcpFlags       uint8
	hasTCP         bool
	icmpType       uint8
	icmpCode       uint8
	hasICMP        bool
}

// sFlow header_protocol values (sFlow v5 §5.2).
const (
	headerEthernet = 1
	headerIPv4     = 11
	headerIPv6     = 12
)

// parseHeader decodes as much of a sampled header as it holds; a header
// cut short keeps what was complete.
func parseHeader(proto uint32, b []byte) packet {
	var p packet
	switch proto {
	case headerEthernet:
		if len(b) < 14 {
			return p
		}
		p.dstMAC = net.HardwareAddr(b[0:6]).String()
		p.srcMAC = net.HardwareAddr(b[6:12]).String()
		et := binary.BigEndian.Uint16(b[12:])
		b = b[14:]
		for tags := 0; (et == 0x8100 || et == 0x88a8) && tags < 2; tags++ {
			if len(b) < 4 {
				return p
			}
			if !p.hasVLAN { // the outer tag
				p.vlan, p.hasVLAN = binary.BigEndian.Uint16(b)&0x0fff, true
			}
			et = binary.BigEndian.Uint16(b[2:])
			b = b[4:]
		}
		switch et {
		case 0x0800:
			p.ipv4(b)
		case 0x86dd:
			p.ipv6Packet(b)
		}
	case headerIPv4:
		p.ipv4(b)
	case headerIPv6:
		p.ipv6Packet(b)
	}
	return p
}

func (p *packet) ipv4(b []byte) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 {
		return
	}
	p.tos, p.ttl = b[1], b[8]
	p.proto, p.hasProto = b[9], true
	p.src = netip.AddrFrom4([4]byte(b[12:16]))
	p.dst = netip.AddrFrom4([4]byte(b[16:20]))
	if binary.BigEndian.Uint16(b[6:])&0x1fff != 0 || len(b) < ihl {
		return // a later fragment has no L4 header
	}
	p.l4(b[ihl:])
}

func (p *packet) ipv6Packet(b []byte) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return
	}
	p.ipv6 = true
	p.tos = uint8(binary.BigEndian.Uint16(b) >> 4)
	p.ttl = b[7]
	p.src = netip.AddrFrom16([16]byte(b[8:24]))
	p.dst = netip.AddrFrom16([16]byte(b[24:40]))
	next := b[6]
	b = b[40:]
	for i := 0; i < 8; i++ {
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(b) < 8 {
				p.proto, p.hasProto = next, true
				return
			}
			n := 8 + int(b[1])*8
			if len(b) < n {
				p.proto, p.hasProto = next, true
				return
			}
			next, b = b[0], b[n:]
			continue
		case 44: // fragment
			if len(b) < 8 {
				p.proto, p.hasProto = next, true
				return
			}
			frag := binary.BigEndian.Uint16(b[2:])&0xfff8 != 0
			next, b = b[0], b[8:]
			p.proto, p.hasProto = next, true
			if frag {
				return
			}
			continue
		}
		break
	}
	p.proto, p.hasProto = next, true
	p.l4(b)
}

func (p *packet) l4(b []byte) {
	switch p.proto {
	case 6, 17, 132:
		if len(b) < 4 {
			return
		}
		p.sport, p.dport, p.hasPorts = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:]), true
		if p.proto == 6 && len(b) >= 14 {
			p.tcpFlags, p.hasTCP = b[13], true
		}
	case 1, 58:
		if len(b) < 2 {
			return
		}
		p.icmpType, p.icmpCode, p.hasICMP = b[0], b[1], true
	}
}
