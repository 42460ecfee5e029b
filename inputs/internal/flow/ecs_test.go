package flow

import (
	"net/netip"
	"testing"
)

// TestFlowIDMatchesFilebeat checks flow.id against values computed with
// Filebeat's own flowID (x-pack/filebeat/input/netflow/convert.go), run
// verbatim with github.com/cespare/xxhash/v2: xxhash.New() (XXH64, seed 0),
// writing the end with the higher port first (ip bytes, then the port as
// 2 big-endian bytes; the source first when the ports are equal), then the
// protocol byte, and base64.RawURLEncoding of the 8-byte big-endian Sum.
// The addresses are Filebeat's net.IP values: 4 bytes for an IPv4 element,
// 16 for an IPv6 one (an IPv4-mapped IPv6 address stays 16 bytes), and
// 0.0.0.0 as 4 bytes when the record has no address.
func TestFlowIDMatchesFilebeat(t *testing.T) {
	a := netip.MustParseAddr
	for _, c := range []struct {
		name         string
		src, dst     netip.Addr
		sport, dport uint16
		proto        uint8
		want         string
	}{
		{"tcp client to server", a("10.1.1.1"), a("93.184.216.34"), 40000, 443, 6, "wcgMBcg7yU8"},
		{"tcp server to client", a("93.184.216.34"), a("10.1.1.1"), 443, 40000, 6, "wcgMBcg7yU8"},
		{"udp", a("10.1.1.2"), a("8.8.8.8"), 5353, 53, 17, "7PC6QdABtyU"},
		{"icmp without ports", a("10.1.1.3"), a("1.1.1.1"), 0, 0, 1, "rJH_s2CZmfI"},
		{"ipv6", a("2001:db8::1"), a("2001:db8::2"), 1000, 2000, 17, "8imZU1lQ9dI"},
		{"no addresses", a("0.0.0.0"), a("0.0.0.0"), 0, 0, 0, "oFN7CMNpOLQ"},
		{"ipv4-mapped ipv6 stays 16 bytes", a("::ffff:192.0.2.1"), a("2001:db8::2"), 1000, 2000, 17, "TUliLcn5QME"},
		{"equal ports: source first", a("192.0.2.1"), a("192.0.2.2"), 53, 53, 17, "UdQ24Qnpoag"},
	} {
		if got := FlowID(c.src, c.dst, c.sport, c.dport, c.proto); got != c.want {
			t.Errorf("%s: FlowID(%v, %v, %d, %d, %d) = %q, want %q (Filebeat's)", c.name, c.src, c.dst, c.sport, c.dport, c.proto, got, c.want)
		}
	}
}

func BenchmarkFlowID(b *testing.B) {
	src, dst := netip.MustParseAddr("10.1.1.1"), netip.MustParseAddr("93.184.216.34")
	b.ReportAllocs()
	for b.Loop() {
		FlowID(src, dst, 40000, 443, 6)
	}
}
