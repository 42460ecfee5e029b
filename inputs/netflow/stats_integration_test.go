//go:build integration

package netflow

import (
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/flow/flowtest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
)

// hasTemplate reports an export datagram carrying a template set (v9 set
// ids 0, 1; IPFIX 2, 3).
func hasTemplate(b []byte) bool {
	if len(b) < 2 || binary.BigEndian.Uint16(b) == 5 {
		return false
	}
	off, lo, hi := 20, uint16(0), uint16(1)
	if binary.BigEndian.Uint16(b) == 10 {
		off, lo, hi = 16, 2, 3
	}
	for off+4 <= len(b) {
		id, n := binary.BigEndian.Uint16(b[off:]), int(binary.BigEndian.Uint16(b[off+2:]))
		if id >= lo && id <= hi {
			return true
		}
		if n < 4 {
			return false
		}
		off += n
	}
	return false
}

// TestExporterStatsShowLostDatagrams exports a capture with the real
// softflowd through a relay that drops the 2nd and 4th datagrams without
// templates (lost on the way, as on a congested link), and checks that the
// netflow.exporter_stats documents show exactly what was lost: v9 numbers
// datagrams, so flow.stats.lost.datagrams is the relay's count; v5 and IPFIX
// number records, so flow.stats.lost.flows is the capture's flows minus the
// flows that arrived. And that the documents' flows and datagrams add up to
// what the input received.
func TestExporterStatsShowLostDatagrams(t *testing.T) {
	dir := flowtest.TempDir(t)
	pcap := filepath.Join(dir, "many.pcap")
	capture := flowtest.ManyFlows(600)
	if err := flowtest.WritePcap(pcap, flowtest.Packets(capture)); err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"5", "9", "10"} {
		t.Run("v"+version, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.ExporterStatsPeriod = 50 * time.Millisecond
			col, m, addr := startInput(t, cfg)
			dataOnly := 0
			relay := flowtest.NewRelay(t, addr, func(n int, b []byte) bool {
				if hasTemplate(b) {
					return false
				}
				dataOnly++
				return dataOnly == 2 || dataOnly == 4
			})
			flowtest.Softflowd(t, pcap, relay.Addr, version, "-a")
			forwarded, dropped := relay.Finish(t)
			if dropped != 2 || dataOnly < 5 {
				t.Fatalf("softflowd sent %d datagrams without templates, the relay dropped %d: the test needs 5 and 2", dataOnly, dropped)
			}

			var stats, flows []*event.Event
			sum := func(k string) (n int64) {
				for _, e := range stats {
					v, _ := e.Fields.Get(k)
					n += v.(int64)
				}
				return n
			}
			collect := func() int64 {
				stats, flows = stats[:0], flows[:0]
				for _, e := range col.Events() {
					switch flowtest.Get(e, "event.dataset") {
					case "netflow.exporter_stats":
						stats = append(stats, e)
					case "netflow.log":
						if flowtest.Get(e, "netflow.type") == "netflow_flow" {
							flows = append(flows, e)
						}
					}
				}
				return int64(len(stats) + len(flows))
			}
			flowtest.WaitFor(t, "exporter_stats documents for every forwarded datagram", 30*time.Second, collect,
				func() bool { collect(); return sum("flow.stats.datagrams") >= int64(forwarded) })

			for _, e := range stats {
				if err := fields.Check(e, Fields); err != nil {
					t.Error(err)
				}
				if flowtest.Get(e, "event.kind") != "metric" || flowtest.Get(e, "event.action") != "exporter_stats" ||
					flowtest.Get(e, "netflow.exporter.address") == nil || flowtest.Get(e, "observer.ip") != "127.0.0.1" {
					t.Errorf("stats document: %v", e.Fields)
				}
			}
			if got := sum("flow.stats.datagrams"); got != int64(forwarded) {
				t.Errorf("flow.stats.datagrams adds up to %d, the relay forwarded %d", got, forwarded)
			}
			if got := sum("flow.stats.flows"); got != int64(len(flows)) {
				t.Errorf("flow.stats.flows adds up to %d, %d flow documents", got, len(flows))
			}
			lostFlows := int64(len(capture) - len(flows))
			if lostFlows <= 0 {
				t.Fatalf("%d of %d flows arrived: nothing lost", len(flows), len(capture))
			}
			wantDatagrams, wantFlows := int64(dropped), int64(0)
			if version != "9" {
				wantDatagrams, wantFlows = 0, lostFlows
			}
			if got := sum("flow.stats.lost.datagrams"); got != wantDatagrams {
				t.Errorf("flow.stats.lost.datagrams = %d, want %d", got, wantDatagrams)
			}
			if got := sum("flow.stats.lost.flows"); got != wantFlows {
				t.Errorf("flow.stats.lost.flows = %d, want %d (%d flows exported, %d arrived)", got, wantFlows, len(capture), len(flows))
			}
			for _, k := range []string{"flow.stats.dropped.queue_full", "flow.stats.dropped.too_big", "flow.stats.dropped.kernel"} {
				if got := sum(k); got != 0 {
					t.Errorf("%s = %d, want 0", k, got)
				}
			}
			if got := m.Counter("input.nf.sequence.lost").Load(); got != wantDatagrams+wantFlows {
				t.Errorf("/stats sequence.lost = %d, the documents say %d", got, wantDatagrams+wantFlows)
			}
		})
	}
}
