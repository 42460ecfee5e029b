package netflow

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// rawTemplate is a v9 template set of (element id, length) pairs.
func rawTemplate(id uint16, elems ...[2]uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(8+4*len(elems)))
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint16(b, uint16(len(elems)))
	for _, e := range elems {
		b = binary.BigEndian.AppendUint16(b, e[0])
		b = binary.BigEndian.AppendUint16(b, e[1])
	}
	return b
}

// rawData is a data set of one record made of the given values.
func rawData(id uint16, values ...[]byte) []byte {
	var body []byte
	for _, v := range values {
		body = append(body, v...)
	}
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(body)))
	return append(b, body...)
}

func ip16(s string) []byte { a := netip.MustParseAddr(s).As16(); return a[:] }
func ip4(s string) []byte  { a := netip.MustParseAddr(s).As4(); return a[:] }
func u16(v uint16) []byte  { return binary.BigEndian.AppendUint16(nil, v) }

// TestFlowIDIsFilebeats checks flow.id on decoded records against the
// values Filebeat's flowID gives (x-pack/filebeat/input/netflow/convert.go,
// run verbatim with cespare/xxhash/v2; see flow.TestFlowIDMatchesFilebeat
// for the algorithm) for the same 5-tuples: Filebeat hashes the address as
// its decoder returns it (4 bytes for sourceIPv4Address, 16 for
// sourceIPv6Address, an IPv4-mapped one included) and prefers the IPv4
// element when a record carries both.
func TestFlowIDIsFilebeats(t *testing.T) {
	h := newHarness(t, nil)
	from := "192.0.2.100:5000"
	h.send(from, v9Datagram(1, 7, 60000, templateSet(9, 256), dataSet(256, r1, r2)))
	mapped := rawTemplate(257, [2]uint16{27, 16}, [2]uint16{28, 16}, [2]uint16{7, 2}, [2]uint16{11, 2}, [2]uint16{4, 1})
	both := rawTemplate(258, [2]uint16{27, 16}, [2]uint16{8, 4}, [2]uint16{28, 16}, [2]uint16{12, 4}, [2]uint16{7, 2}, [2]uint16{11, 2}, [2]uint16{4, 1})
	h.send(from, v9Datagram(2, 7, 61000, mapped, both,
		rawData(257, ip16("::ffff:10.0.0.1"), ip16("::ffff:192.0.2.1"), u16(1234), u16(80), []byte{6}),
		rawData(258, ip16("2001:db8::1"), ip4("10.0.0.1"), ip16("2001:db8::2"), ip4("192.0.2.1"), u16(1234), u16(80), []byte{6})))
	want := []struct{ id, src string }{
		{"Abx8xEBiVBc", "10.0.0.1"}, // r1: 10.0.0.1:1234 > 192.0.2.1:80 tcp
		{"6sUIR2PmfAM", "10.0.0.2"}, // r2: 10.0.0.2:53 > 192.0.2.2:5353 udp
		{"KZyVXIfCShs", "10.0.0.1"}, // r1's tuple as IPv4-mapped IPv6: 16-byte addresses, another id
		{"Abx8xEBiVBc", "10.0.0.1"}, // IPv6 and IPv4 elements: the IPv4 ones count
	}
	if len(h.evs) != len(want) {
		t.Fatalf("%d documents, want %d", len(h.evs), len(want))
	}
	for i, w := range want {
		id, _ := h.evs[i].Fields.Get("flow.id")
		src, _ := h.evs[i].Fields.Get("source.ip")
		if id != w.id || src != w.src {
			t.Errorf("record %d: flow.id %v, source.ip %v; want %s (Filebeat's), %s", i, id, src, w.id, w.src)
		}
	}
}
