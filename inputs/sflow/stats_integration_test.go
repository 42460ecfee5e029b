//go:build integration

package sflow

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/flow/flowtest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
)

// TestExporterStatsShowLostDatagrams sends a capture through pmacctd's
// sfprobe (sFlow v5, every packet sampled) and a relay that drops its 2nd
// and 4th datagrams, and checks that the sflow.exporter_stats documents show
// exactly 2 datagrams lost (sFlow numbers datagrams), and flows and
// datagrams that add up to what arrived.
func TestExporterStatsShowLostDatagrams(t *testing.T) {
	dir := flowtest.TempDir(t)
	pcap := filepath.Join(dir, "many.pcap")
	capture := flowtest.ManyFlows(400)
	if err := flowtest.WritePcap(pcap, flowtest.Packets(capture)); err != nil {
		t.Fatal(err)
	}
	col, _, addr := startInput(t, func(c *Config) { c.ExporterStatsPeriod = 50 * time.Millisecond })
	relay := flowtest.NewRelay(t, addr, func(n int, b []byte) bool { return n == 1 || n == 3 })
	flowtest.Pmacctd(t, pcap, relay.Addr)
	forwarded, dropped := relay.Finish(t)
	if dropped != 2 || forwarded+dropped < 5 {
		t.Fatalf("pmacctd sent %d datagrams: the test needs 5", forwarded+dropped)
	}

	var stats []*event.Event
	flows := 0
	sum := func(k string) (n int64) {
		for _, e := range stats {
			v, _ := e.Fields.Get(k)
			n += v.(int64)
		}
		return n
	}
	collect := func() int64 {
		stats, flows = stats[:0], 0
		for _, e := range col.Events() {
			switch flowtest.Get(e, "event.dataset") {
			case "sflow.exporter_stats":
				stats = append(stats, e)
			case "sflow.flow":
				flows++
			}
		}
		return int64(len(stats) + flows)
	}
	flowtest.WaitFor(t, "exporter_stats documents for every forwarded datagram", 30*time.Second, collect,
		func() bool { collect(); return sum("flow.stats.datagrams") >= int64(forwarded) })
	for _, e := range stats {
		if err := fields.Check(e, Fields); err != nil {
			t.Error(err)
		}
	}
	for k, want := range map[string]int64{
		"flow.stats.datagrams": int64(forwarded), "flow.stats.flows": int64(flows), "flow.stats.lost.datagrams": 2,
		"flow.stats.lost.flows": 0, "flow.stats.dropped.queue_full": 0, "flow.stats.dropped.kernel": 0,
	} {
		if got := sum(k); got != want {
			t.Errorf("%s adds up to %d, want %d", k, got, want)
		}
	}
	if flows >= len(capture) {
		t.Errorf("%d of %d samples arrived with 2 datagrams dropped", flows, len(capture))
	}
}
