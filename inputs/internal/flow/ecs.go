package flow

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/netip"
	"strconv"
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

// FlowID hashes the 5-tuple so both directions of a conversation get the
// same id (the end with the higher port first, as Filebeat orders them).
// It is FNV-64a, not Filebeat's xxhash: equal within the shipper's data,
// not equal to Filebeat's values.
func FlowID(src, dst netip.Addr, sport, dport uint16, proto uint8) string {
	h := fnv.New64a()
	var pb [2]byte
	w := func(a netip.Addr, p uint16) {
		b := a.AsSlice()
		h.Write(b)
		binary.BigEndian.PutUint16(pb[:], p)
		h.Write(pb[:])
	}
	if sport >= dport {
		w(src, sport)
		w(dst, dport)
	} else {
		w(dst, dport)
		w(src, sport)
	}
	h.Write([]byte{proto})
	var out [8]byte
	binary.BigEndian.PutUint64(out[:], h.Sum64())
	return base64.RawURLEncoding.EncodeToString(out[:])
}
