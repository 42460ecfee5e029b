package flowtest

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// Input is what the flow inputs (netflow, sflow) offer a test: Run, and
// the address they listen on once they do.
type Input interface {
	Run(ctx context.Context, out pipeline.Client) error
	Addr(ctx context.Context) (string, error)
}

// Start runs in on a new Collector until the test ends, when Run must
// return nil, and returns the collector and the address in listens on.
func Start(t testing.TB, in Input) (*Collector, string) {
	t.Helper()
	col := &Collector{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx, col) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	addr, err := in.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return col, addr
}

// EventKey is the FlowKey of a flow document: source.ip, destination.ip,
// network.iana_number and the ports.
func EventKey(e *event.Event) string {
	proto, _ := strconv.Atoi(Get(e, "network.iana_number").(string))
	sport, _ := Get(e, "source.port").(uint64)
	dport, _ := Get(e, "destination.port").(uint64)
	return FlowKey(Get(e, "source.ip").(string), Get(e, "destination.ip").(string), uint8(proto), sport, dport)
}

// Want is the scenario's flows a NetFlow version ("5", "9", "10") carries,
// packets and IP bytes per FlowKey: v5 has no IPv6.
func Want(version string) map[string]Counts {
	want := map[string]Counts{}
	for _, f := range Scenario() {
		if version == "5" && f.Src.Is6() {
			continue
		}
		want[f.Key()] = Counts{Packets: uint64(f.Packets), Bytes: f.IPBytes()}
	}
	return want
}

// TotalPackets is the sum of the flows' packets.
func TotalPackets(flows map[string]Counts) uint64 {
	var n uint64
	for _, c := range flows {
		n += c.Packets
	}
	return n
}

// ManyFlows is a capture of n one-packet UDP flows, 10.2.x.y → 192.0.2.1:53
// a millisecond apart: enough for an exporter to send many datagrams.
func ManyFlows(n int) []Flow {
	st := time.Unix(1700000000, 0)
	out := make([]Flow, n)
	for i := range out {
		out[i] = Flow{
			Src: netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), Dst: netip.MustParseAddr("192.0.2.1"),
			Proto: 17, SrcPort: uint16(10000 + i), DstPort: 53, Packets: 1, PayloadLen: 40,
			Start: st.Add(time.Duration(i) * time.Millisecond), Gap: time.Millisecond,
		}
	}
	return out
}

// FreeUDPPort returns a UDP port of 127.0.0.1 that was free a moment ago,
// for a daemon that must be told its port. The probe socket is closed
// before it returns; see UDPBound for waiting until the daemon has bound it.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
