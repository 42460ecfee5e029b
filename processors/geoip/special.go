package geoip

import (
	"encoding/binary"
	"net/netip"
)

// specialV4 and specialV6 are the IANA special-purpose ranges that no GeoIP
// database can place on a map (RFC 6890 and the IANA special-purpose address
// registries). Private, loopback, link-local and multicast are tested with
// the netip methods; these are the rest. Such addresses are not looked up
// and never tagged: a LAN client or a multicast destination is not a failure.
var specialV4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // CGNAT shared address space (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1 (documentation)
	netip.MustParsePrefix("192.88.99.0/24"),  // deprecated 6to4 relay anycast
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and 255.255.255.255
}

var specialV6 = []netip.Prefix{
	netip.MustParsePrefix("2001::/23"),     // IETF protocol assignments (Teredo, ORCHID, benchmarking)
	netip.MustParsePrefix("2001:db8::/32"), // documentation
	netip.MustParsePrefix("3fff::/20"),     // documentation (RFC 9637)
}

// globalV6 is the IPv6 global unicast space. Everything outside it (ULA,
// link-local, multicast, discard-only, SRv6 SIDs, deprecated site-local and
// IPv4-compatible forms, the local-use NAT64 prefix 64:ff9b:1::/48) is
// skipped without a list.
var globalV6 = netip.MustParsePrefix("2000::/3")

// nat64 is the well-known NAT64 prefix (RFC 6052): its last 32 bits are the
// IPv4 destination, which is what we look up. Routers doing NAT64/DNS64 log
// such destinations.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// skipV4 is every IPv4 range lookupAddr skips, as value and mask: the
// netip methods' ranges (private, loopback, link-local, multicast,
// unspecified) and specialV4. An IPv4 address, most of a log's, is
// checked against it as an integer instead of through the netip methods
// and Prefix.Contains (issue 17); TestSkipV4MatchesNetip compares the two.
var skipV4 = func() (out [][2]uint32) {
	ps := append([]netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("224.0.0.0/4"),
	}, specialV4...) // 0.0.0.0/8 holds the unspecified address
	for _, p := range ps {
		b := p.Addr().As4()
		mask := ^uint32(0) << (32 - p.Bits())
		out = append(out, [2]uint32{binary.BigEndian.Uint32(b[:]), mask})
	}
	return out
}()

func skippedV4(a netip.Addr) bool {
	b := a.As4()
	v := binary.BigEndian.Uint32(b[:])
	for _, r := range skipV4 {
		if v&r[1] == r[0] {
			return true
		}
	}
	return false
}

// lookupAddr turns a parsed address into the address to look up, and false
// when it is in a special range and must be skipped.
func lookupAddr(a netip.Addr) (netip.Addr, bool) {
	if a.Is4() {
		return a, !skippedV4(a)
	}
	a = a.WithZone("").Unmap()
	if a.Is6() && nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if a.Is4() {
		return a, !skippedV4(a)
	}
	return lookupAddrNetip(a)
}

// lookupAddrNetip is lookupAddr's test through the netip methods and the
// prefix lists, for an unmapped address without zone.
func lookupAddrNetip(a netip.Addr) (netip.Addr, bool) {
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
		a.IsUnspecified() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast() {
		return a, false
	}
	list := specialV4
	if a.Is6() {
		if !globalV6.Contains(a) {
			return a, false
		}
		list = specialV6
	}
	for _, p := range list {
		if p.Contains(a) {
			return a, false
		}
	}
	return a, true
}
