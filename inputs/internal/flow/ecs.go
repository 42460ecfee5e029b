package flow

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/shipper-project/shipper/internal/xxhash"
)

// Transport returns ECS network.transport for an IANA protocol number.
func Transport(proto uint8) string {
	switch proto {
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 58:
		return "ipv6-icmp"
	case 132:
		return "sctp"
	case 47:
		return "gre"
	case 50:
		return "esp"
	}
	return strconv.Itoa(int(proto))
}

// IANANumbers holds "0".."255", so network.iana_number costs no allocation.
var IANANumbers = func() (s [256]string) {
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return
}()

// Networks is a parsed internal_networks list: CIDRs and Beats' named ranges.
type Networks struct {
	prefixes []netip.Prefix
	named    []func(netip.Addr) bool
}

var namedNetworks = map[string]func(netip.Addr) bool{
	"private":                   netip.Addr.IsPrivate,
	"loopback":                  netip.Addr.IsLoopback,
	"unicast":                   func(a netip.Addr) bool { return !a.IsMulticast() && !a.IsUnspecified() },
	"global_unicast":            netip.Addr.IsGlobalUnicast,
	"multicast":                 netip.Addr.IsMulticast,
	"link_local_unicast":        netip.Addr.IsLinkLocalUnicast,
	"link_local_multicast":      netip.Addr.IsLinkLocalMulticast,
	"interface_local_multicast": netip.Addr.IsInterfaceLocalMulticast,
	"unspecified":               netip.Addr.IsUnspecified,
}

// ParseNetworks parses CIDRs and the names private, loopback, unicast,
// global_unicast, multicast, link_local_unicast, link_local_multicast,
// interface_local_multicast, unspecified.
func ParseNetworks(list []string) (Networks, error) {
	var n Networks
	for i, s := range list {
		if f, ok := namedNetworks[s]; ok {
			n.named = append(n.named, f)
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return n, fmt.Errorf("[%d] %q is neither a CIDR nor a named range (private, loopback, unicast, global_unicast, multicast, link_local_unicast, …)", i, s)
		}
		n.prefixes = append(n.prefixes, p.Masked())
	}
	return n, nil
}

// Internal reports whether a is in one of the networks, or is loopback,
// link-local or unspecified (always local, as in Filebeat).
func (n Networks) Internal(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsUnspecified() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return true
	}
	for _, f := range n.named {
		if f(a) {
			return true
		}
	}
	for _, p := range n.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Locality is "internal" or "external".
func (n Networks) Locality(a netip.Addr) string {
	if n.Internal(a) {
		return "internal"
	}
	return "external"
}

// FlowID is Filebeat's flow.id (x-pack/filebeat/input/netflow/convert.go
// flowID): XXH64 (seed 0) of the end with the higher port first (address
// bytes, port big-endian; the source first on equal ports), the other end,
// and the protocol byte, as unpadded base64url of the big-endian digest.
// Both directions of a conversation get the same id. The address bytes are
// Filebeat's net.IP: 4 for IPv4, 16 for IPv6 (an IPv4-mapped address stays
// 16): pass the address as the record carried it.
func FlowID(src, dst netip.Addr, sport, dport uint16, proto uint8) string {
	var buf [2*(16+2) + 1]byte
	b := buf[:0]
	if sport >= dport {
		b = appendEnd(appendEnd(b, src, sport), dst, dport)
	} else {
		b = appendEnd(appendEnd(b, dst, dport), src, sport)
	}
	b = append(b, proto)
	var sum [8]byte
	binary.BigEndian.PutUint64(sum[:], xxhash.Sum64(b))
	var out [11]byte // 8 bytes in unpadded base64
	base64.RawURLEncoding.Encode(out[:], sum[:])
	return string(out[:])
}

// appendEnd appends an address's bytes (none for the zero Addr, as
// Filebeat writes a nil net.IP) and its port.
func appendEnd(b []byte, a netip.Addr, port uint16) []byte {
	switch {
	case a.Is4():
		v := a.As4()
		b = append(b, v[:]...)
	case a.Is6():
		v := a.As16()
		b = append(b, v[:]...)
	}
	return binary.BigEndian.AppendUint16(b, port)
}
