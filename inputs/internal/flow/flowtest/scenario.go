package flowtest

import (
	"fmt"
	"net/netip"
	"time"
)

// Scenario is the capture every flow test replays: TCP both ways, UDP
// (DNS-like), ICMP echo and IPv6 UDP, with counts that differ per flow so a
// swapped or merged flow shows.
func Scenario() []Flow {
	st := time.Unix(1700000000, 0)
	a := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	mac := func(b byte) [6]byte { return [6]byte{0x02, 0, 0, 0, 0, b} }
	return []Flow{
		{Src: a("10.1.1.1"), Dst: a("93.184.216.34"), Proto: 6, SrcPort: 40000, DstPort: 443, Packets: 10, PayloadLen: 100, SrcMAC: mac(1), DstMAC: mac(2), Start: st, Gap: 10 * time.Millisecond},
		{Src: a("93.184.216.34"), Dst: a("10.1.1.1"), Proto: 6, SrcPort: 443, DstPort: 40000, Packets: 8, PayloadLen: 1000, SrcMAC: mac(2), DstMAC: mac(1), Start: st.Add(5 * time.Millisecond), Gap: 10 * time.Millisecond},
		{Src: a("10.1.1.2"), Dst: a("8.8.8.8"), Proto: 17, SrcPort: 5353, DstPort: 53, Packets: 3, PayloadLen: 40, SrcMAC: mac(3), DstMAC: mac(2), Start: st.Add(time.Millisecond), Gap: 100 * time.Millisecond},
		{Src: a("10.1.1.3"), Dst: a("1.1.1.1"), Proto: 1, SrcPort: 7, Packets: 4, PayloadLen: 56, SrcMAC: mac(4), DstMAC: mac(2), Start: st.Add(2 * time.Millisecond), Gap: time.Second},
		{Src: a("2001:db8::1"), Dst: a("2001:db8::2"), Proto: 17, SrcPort: 1000, DstPort: 2000, Packets: 5, PayloadLen: 200, SrcMAC: mac(5), DstMAC: mac(6), Start: st.Add(3 * time.Millisecond), Gap: 50 * time.Millisecond},
	}
}

// FlowKey is how tests match a flow: addresses, protocol and, for TCP and
// UDP, ports.
func FlowKey(src, dst string, proto uint8, sport, dport uint64) string {
	if proto != 6 && proto != 17 {
		sport, dport = 0, 0
	}
	return fmt.Sprintf("%s:%d>%s:%d/%d", src, sport, dst, dport, proto)
}

// Key is f's FlowKey.
func (f Flow) Key() string {
	return FlowKey(f.Src.String(), f.Dst.String(), f.Proto, uint64(f.SrcPort), uint64(f.DstPort))
}

// Counts are a flow's packets and bytes.
type Counts struct{ Packets, Bytes uint64 }
