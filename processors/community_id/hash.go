// Package communityid computes the Community ID v1 flow hash
// (https://github.com/corelight/community-id-spec) and is the community_id
// processor. Hash is pure and depends on the standard library only, so that
// inputs (flows) can call it directly.
package communityid

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
)

// IANA protocol numbers that take part in the hash with ports.
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoICMPv6 uint8 = 58
	ProtoSCTP   uint8 = 132
)

// icmpV4Counterpart and icmpV6Counterpart map a request type to its reply
// type and back (pycommunityid's icmp.py / icmp6.py, after Zeek's
// ICMP4_counterpart). A type in the table is two-way: its "ports" are
// (type, counterpart type) and the endpoints are ordered like TCP's. Any other
// type is one-way: its ports are (type, code) and the endpoints keep their
// direction.
//
// Beats' flowhash differs from the spec's reference in two rows: it lacks
// ICMPv4 16 (information reply → request) and ICMPv6 131 (MLD report →
// query). We follow the spec, whose whole point is that the IDs match those
// of Zeek, Suricata, Arkime…
var (
	icmpV4Counterpart = map[uint8]uint8{
		8: 0, 0: 8, // echo request / reply
		13: 14, 14: 13, // timestamp
		15: 16, 16: 15, // information
		10: 9, 9: 10, // router solicitation / advertisement
		17: 18, 18: 17, // address mask
	}
	icmpV6Counterpart = map[uint8]uint8{
		128: 129, 129: 128, // echo
		130: 131, 131: 130, // MLD query / report
		133: 134, 134: 133, // router solicitation / advertisement
		135: 136, 136: 135, // neighbor solicitation / advertisement
		139: 140, 140: 139, // who-are-you
		144: 145, 145: 144, // home agent address discovery
	}
)

// Hash returns the Community ID v1 of a flow: "1:" + base64(SHA1(seed ·
// saddr · daddr · proto · 0 · sport · dport)) with the endpoints ordered so
// that both directions of a flow hash alike.
//
// For TCP, UDP and SCTP, srcPort and dstPort are the ports. For ICMP (1) and
// ICMPv6 (58) they are the ICMP type and code: Hash maps them to port
// equivalents as the spec does. For any other protocol the ports are ignored.
// IPv4-mapped IPv6 addresses are hashed as IPv4 (as Beats does). An invalid
// address gives "".
func Hash(seed uint16, proto uint8, srcIP, dstIP netip.Addr, srcPort, dstPort uint16) string {
	if !srcIP.IsValid() || !dstIP.IsValid() {
		return ""
	}
	src, dst := rawIP(srcIP), rawIP(dstIP)
	sp, dp := srcPort, dstPort
	withPorts := true
	oneWay := false
	switch proto {
	case ProtoTCP, ProtoUDP, ProtoSCTP:
	case ProtoICMP, ProtoICMPv6:
		table := icmpV4Counterpart
		if proto == ProtoICMPv6 {
			table = icmpV6Counterpart
		}
		// A value above 255 is no ICMP type: hashed as given, one-way.
		if c, ok := table[uint8(srcPort)]; ok && srcPort <= 0xff {
			dp = uint16(c)
		} else {
			oneWay = true
		}
	default:
		withPorts = false
		sp, dp = 0, 0
	}
	if !oneWay {
		c := bytes.Compare(src, dst)
		if c > 0 || (c == 0 && sp > dp) {
			src, dst = dst, src
			sp, dp = dp, sp
		}
	}

	var buf [2 + 16 + 16 + 2 + 4]byte
	b := binary.BigEndian.AppendUint16(buf[:0], seed)
	b = append(b, src...)
	b = append(b, dst...)
	b = append(b, proto, 0)
	if withPorts {
		b = binary.BigEndian.AppendUint16(b, sp)
		b = binary.BigEndian.AppendUint16(b, dp)
	}
	sum := sha1.Sum(b)
	out := make([]byte, 2, 2+base64.StdEncoding.EncodedLen(len(sum)))
	out[0], out[1] = '1', ':'
	out = base64.StdEncoding.AppendEncode(out, sum[:])
	return string(out)
}

func rawIP(a netip.Addr) []byte {
	a = a.Unmap()
	if a.Is4() {
		v := a.As4()
		return v[:]
	}
	v := a.As16()
	return v[:]
}
