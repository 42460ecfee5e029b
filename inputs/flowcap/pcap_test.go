package flowcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/flow/flowtest"
	"github.com/shipper-project/shipper/shipper/event"
)

// pcapFile builds a classic pcap: order, nanosecond stamps or not, a link
// type and the frames.
func pcapFile(order binary.ByteOrder, nano bool, link uint32, frames ...[]byte) []byte {
	h := make([]byte, 24)
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	order.PutUint32(h[0:], magic)
	order.PutUint16(h[4:], 2)
	order.PutUint16(h[6:], 4)
	order.PutUint32(h[16:], 262144)
	order.PutUint32(h[20:], link)
	for i, f := range frames {
		var r [16]byte
		order.PutUint32(r[0:], uint32(1700000000+i))
		order.PutUint32(r[4:], 500)
		order.PutUint32(r[8:], uint32(len(f)))
		order.PutUint32(r[12:], uint32(len(f)))
		h = append(append(h, r[:]...), f...)
	}
	return h
}

// udp4 is an IPv4/UDP packet (no link header).
func udp4(src, dst string, sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 28, 28+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(28+len(payload)))
	b[8], b[9] = 64, 17
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	binary.BigEndian.PutUint16(b[20:], sport)
	binary.BigEndian.PutUint16(b[22:], dport)
	binary.BigEndian.PutUint16(b[24:], uint16(8+len(payload)))
	return append(b, payload...)
}

// udp6 is an IPv6/UDP packet behind a destination-options header.
func udp6(src, dst string, sport, dport uint16, payload []byte) []byte {
	l4 := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(l4[0:], sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	binary.BigEndian.PutUint16(l4[4:], uint16(8+len(payload)))
	l4 = append(l4, payload...)
	opts := []byte{17, 0, 1, 4, 0, 0, 0, 0} // next: UDP; PadN
	b := make([]byte, 40)
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(opts)+len(l4)))
	b[6], b[7] = 60, 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(append(b, opts...), l4...)
}

func readAll(t *testing.T, b []byte) ([]Datagram, *Reader) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out []Datagram
	for {
		d, err := r.Next()
		if err == io.EOF {
			return out, r
		}
		if err != nil {
			t.Fatal(err)
		}
		d.Payload = append([]byte(nil), d.Payload...)
		out = append(out, d)
	}
}

func TestReaderLinkTypesAndByteOrders(t *testing.T) {
	pay := []byte("\x00\x09payload")
	ip4 := udp4("192.0.2.1", "192.0.2.2", 40000, 2055, pay)
	ip6 := udp6("2001:db8::1", "2001:db8::2", 40001, 4739, pay)
	eth := func(typ uint16, p []byte, vlan bool) []byte {
		b := make([]byte, 12)
		if vlan {
			b = append(b, 0x81, 0x00, 0x00, 0x07)
		}
		b = binary.BigEndian.AppendUint16(b, typ)
		return append(b, p...)
	}
	sll := func(typ uint16, p []byte) []byte {
		b := make([]byte, 14)
		return append(binary.BigEndian.AppendUint16(b, typ), p...)
	}
	sll2 := func(typ uint16, p []byte) []byte {
		b := binary.BigEndian.AppendUint16(nil, typ)
		return append(append(b, make([]byte, 18)...), p...)
	}
	null := func(af uint32, p []byte) []byte { return append(binary.LittleEndian.AppendUint32(nil, af), p...) }
	loop := func(af uint32, p []byte) []byte { return append(binary.BigEndian.AppendUint32(nil, af), p...) }
	cases := []struct {
		name   string
		link   uint32
		frames [][]byte
	}{
		{"ethernet", 1, [][]byte{eth(0x0800, ip4, false), eth(0x86dd, ip6, false)}},
		{"ethernet vlan", 1, [][]byte{eth(0x0800, ip4, true), eth(0x86dd, ip6, true)}},
		{"linux cooked", 113, [][]byte{sll(0x0800, ip4), sll(0x86dd, ip6)}},
		{"linux cooked v2", 276, [][]byte{sll2(0x0800, ip4), sll2(0x86dd, ip6)}},
		{"raw", 101, [][]byte{ip4, ip6}},
		{"bsd loopback", 0, [][]byte{null(2, ip4), null(10, ip6)}},
		{"openbsd loopback", 108, [][]byte{loop(2, ip4), loop(24, ip6)}},
	}
	for _, c := range cases {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			for _, nano := range []bool{false, true} {
				got, r := readAll(t, pcapFile(order, nano, c.link, c.frames...))
				if len(got) != 2 || len(r.Skipped) != 0 {
					t.Fatalf("%s %v nano=%v: %d datagrams, skipped %v", c.name, order, nano, len(got), r.Skipped)
				}
				if got[0].Src.String() != "192.0.2.1:40000" || got[0].Dst.String() != "192.0.2.2:2055" ||
					got[1].Src.String() != "[2001:db8::1]:40001" || got[1].Dst.String() != "[2001:db8::2]:4739" {
					t.Errorf("%s: addresses %v>%v, %v>%v", c.name, got[0].Src, got[0].Dst, got[1].Src, got[1].Dst)
				}
				for _, d := range got {
					if !bytes.Equal(d.Payload, pay) {
						t.Errorf("%s: payload %q", c.name, d.Payload)
					}
				}
				want := time.Unix(1700000000, 500000)
				if nano {
					want = time.Unix(1700000000, 500)
				}
				if !got[0].Time.Equal(want) {
					t.Errorf("%s nano=%v: time %v, want %v", c.name, nano, got[0].Time, want)
				}
			}
		}
	}
}

// The scenario's capture (TCP, UDP, ICMP, IPv6 UDP over Ethernet): every UDP
// packet comes out once, everything else is counted as skipped.
func TestReaderScenarioCapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.pcap")
	if err := flowtest.WritePcap(path, flowtest.Packets(flowtest.Scenario())); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, r := readAll(t, b)
	udp, other := 0, 0
	for _, f := range flowtest.Scenario() {
		if f.Proto == 17 {
			udp += f.Packets
		} else {
			other += f.Packets
		}
	}
	if len(got) != udp || r.Skipped["not UDP"] != other || r.Packets() != udp+other {
		t.Errorf("%d datagrams (want %d), skipped %v (want %d not UDP), %d packets", len(got), udp, r.Skipped, other, r.Packets())
	}
}

func TestReaderSkipsWithReasons(t *testing.T) {
	pay := []byte("x")
	frag := udp4("192.0.2.1", "192.0.2.2", 1, 2, pay)
	frag[6] = 0x20 // more fragments
	tcp := udp4("192.0.2.1", "192.0.2.2", 1, 2, pay)
	tcp[9] = 6
	badUDP := udp4("192.0.2.1", "192.0.2.2", 1, 2, pay)
	binary.BigEndian.PutUint16(badUDP[24:], 200)
	b := pcapFile(binary.LittleEndian, false, 101, frag, tcp, badUDP, []byte{0x45}, []byte{})
	got, r := readAll(t, b)
	want := map[string]int{"IP fragment (a datagram larger than the path MTU: not reassembled)": 1, "not UDP": 1, "malformed UDP header": 1, "malformed IP header": 1, "not IP": 1}
	if len(got) != 0 || len(r.Skipped) != len(want) {
		t.Fatalf("got %d datagrams, skipped %v", len(got), r.Skipped)
	}
	for k, n := range want {
		if r.Skipped[k] != n {
			t.Errorf("skipped[%q] = %d, want %d (all: %v)", k, r.Skipped[k], n, r.Skipped)
		}
	}

	// A packet cut by the snapshot length says so.
	full := udp4("192.0.2.1", "192.0.2.2", 1, 2, make([]byte, 100))
	cut := pcapFile(binary.LittleEndian, false, 101, full[:60])
	binary.LittleEndian.PutUint32(cut[24+12:], uint32(len(full))) // orig_len
	_, r = readAll(t, cut)
	if r.Skipped["cut by the snapshot length (capture with -s 0)"] != 1 {
		t.Errorf("cut packet: skipped %v", r.Skipped)
	}
}

func TestReaderErrors(t *testing.T) {
	good := pcapFile(binary.LittleEndian, false, 1, udp4("192.0.2.1", "192.0.2.2", 1, 2, []byte("abc")))
	huge := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(huge[24+8:], 1<<30)
	pcapng := []byte{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0}
	link := pcapFile(binary.LittleEndian, false, 105) // 802.11
	for _, c := range []struct {
		name, in, want string
		header         bool // the error comes from NewReader
	}{
		{"empty", "", "shorter than a pcap header", true},
		{"text", strings.Repeat("hello ", 5), "not a pcap file (magic", true},
		{"pcapng", string(pcapng), "tcpdump -r in.pcapng -w out.pcap", true},
		{"link type", string(link), "link type 105 is not supported", true},
		{"record header cut", string(good[:24+10]), "packet 1: record header cut short", false},
		{"record cut", string(good[:len(good)-1]), "packet 1: cut short", false},
		{"huge record", string(huge), "record length 1073741824 is over pcap's 262144", false},
	} {
		r, err := NewReader(strings.NewReader(c.in))
		if c.header {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: NewReader error %v, want %q", c.name, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, err = r.Next()
		if err == nil || errors.Is(err, io.EOF) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Next error %v, want %q", c.name, err, c.want)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add(pcapFile(binary.LittleEndian, false, 1, append(make([]byte, 12), append([]byte{8, 0}, udp4("192.0.2.1", "192.0.2.2", 1, 2055, []byte{0, 9, 0, 1})...)...)))
	f.Add(pcapFile(binary.BigEndian, true, 101, udp6("2001:db8::1", "2001:db8::2", 1, 6343, []byte{0, 0, 0, 5})))
	f.Add(pcapFile(binary.LittleEndian, false, 0, append([]byte{2, 0, 0, 0}, udp4("192.0.2.1", "192.0.2.2", 1, 2, nil)...)))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for i := 0; i < 10000; i++ {
			d, err := r.Next()
			if err != nil {
				return
			}
			if len(d.Payload) > len(b) {
				t.Fatalf("payload of %d bytes from a %d-byte file", len(d.Payload), len(b))
			}
		}
	})
}

// FuzzInspect: any capture, through both decoders, never panics.
func FuzzInspect(f *testing.F) {
	v9 := []byte{0, 9, 0, 1, 0, 0, 0, 1, 0x65, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
		0, 0, 0, 16, 1, 0, 0, 2, 0, 8, 0, 4, 0, 12, 0, 4, // template 256: src, dst addr
		1, 0, 0, 12, 10, 0, 0, 1, 10, 0, 0, 2} // its data
	f.Add(pcapFile(binary.LittleEndian, false, 101, udp4("192.0.2.1", "192.0.2.2", 1, 2055, v9)))
	f.Add(pcapFile(binary.LittleEndian, false, 101, udp4("192.0.2.1", "192.0.2.2", 1, 6343, []byte{0, 0, 0, 5, 0, 0, 0, 1, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0})))
	f.Fuzz(func(t *testing.T, b []byte) {
		Inspect(bytes.NewReader(b), Options{}, func(*event.Event) error { return nil })
	})
}
