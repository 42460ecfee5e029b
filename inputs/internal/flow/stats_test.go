package flow

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/shipper/event"
)

func TestStatsReport(t *testing.T) {
	t0 := time.Unix(1700000000, 0).UTC()
	s := NewStats(t0)
	a := netip.MustParseAddrPort("192.0.2.1:5000")
	b := netip.MustParseAddrPort("[2001:db8::1]:6000")
	c := s.For(a)
	c.Datagrams, c.Bytes, c.Flows, c.LostDatagrams = 3, 300, 30, 2
	s.For(b).LostFlows = 7
	s.drop(a, false)
	s.drop(a, true)
	s.drop(b, false)
	s.kernel.Add(4)

	r := s.Report(t0.Add(time.Minute))
	want := map[netip.AddrPort]Counts{
		a: {Datagrams: 3, Bytes: 300, Flows: 30, LostDatagrams: 2, DroppedQueue: 1, DroppedBig: 1},
		b: {LostFlows: 7, DroppedQueue: 1},
	}
	if diff := cmp.Diff(want, r.Exporters); diff != "" {
		t.Errorf("exporters (-want +got):\n%s", diff)
	}
	if r.DroppedKernel != 4 || r.Input != (Counts{}) {
		t.Errorf("input: kernel %d, %+v; want 4 and nothing else", r.DroppedKernel, r.Input)
	}
	docs := r.Documents("netflow")
	if len(docs) != 3 {
		t.Fatalf("%d documents, want 2 exporters + the input's", len(docs))
	}
	get := func(e *event.Event, k string) any { v, _ := e.Fields.Get(k); return v }
	for i, w := range []struct {
		action, observer, exporter string
		lostDatagrams, lostFlows   int64
		kernel                     int64
	}{
		{"exporter_stats", "192.0.2.1", "192.0.2.1:5000", 2, 0, 0},
		{"exporter_stats", "2001:db8::1", "[2001:db8::1]:6000", 0, 7, 0},
		{"input_stats", "", "", 0, 0, 4},
	} {
		e := docs[i]
		obs, _ := get(e, "observer.ip").(string)
		exp, _ := get(e, "netflow.exporter.address").(string)
		if get(e, "event.action") != w.action || obs != w.observer || exp != w.exporter ||
			get(e, "flow.stats.lost.datagrams") != w.lostDatagrams || get(e, "flow.stats.lost.flows") != w.lostFlows ||
			get(e, "flow.stats.dropped.kernel") != w.kernel {
			t.Errorf("document %d = %v, want %+v", i, e.Fields, w)
		}
		if get(e, "event.kind") != "metric" || get(e, "event.dataset") != "netflow.exporter_stats" ||
			get(e, "event.duration") != time.Minute.Nanoseconds() || !e.Timestamp.Equal(t0.Add(time.Minute)) {
			t.Errorf("document %d: kind, dataset, duration or time wrong: %v", i, e.Fields)
		}
	}

	// Only what changed: an exporter without counts in a period has no
	// document and is forgotten; a quiet period has none at all.
	s.For(a).Flows = 1
	r = s.Report(t0.Add(2 * time.Minute))
	if len(r.Exporters) != 1 || r.Exporters[a].Flows != 1 || len(r.Documents("netflow")) != 1 {
		t.Errorf("second period: %+v", r)
	}
	if !r.Start.Equal(t0.Add(time.Minute)) {
		t.Errorf("second period starts %v, want the first's end", r.Start)
	}
	r = s.Report(t0.Add(3 * time.Minute))
	if !r.Empty() || len(r.Documents("netflow")) != 0 || len(s.exporters) != 0 {
		t.Errorf("quiet period: %+v, %d tracked", r, len(s.exporters))
	}
}

// Sources beyond maxTracked in one period (spoofed, or a very large
// network) are counted on the input's document, not dropped.
func TestStatsBounded(t *testing.T) {
	s := NewStats(time.Now())
	for i := range maxTracked + 10 {
		a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 2055)
		s.For(a).Datagrams++
		s.drop(a, false)
	}
	r := s.Report(time.Now())
	if len(r.Exporters) != maxTracked || r.Input.Datagrams != 10 || r.Input.DroppedQueue != 10 {
		t.Errorf("%d exporters, input %+v; want %d and 10 datagrams, 10 drops", len(r.Exporters), r.Input, maxTracked)
	}
	// A drop from a new source while the decoder's table is full.
	for i := range maxTracked {
		s.For(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 2055)).Flows++
	}
	s.drop(netip.MustParseAddrPort("192.0.2.9:1"), true)
	if r := s.Report(time.Now()); r.Input.DroppedBig != 1 {
		t.Errorf("drop beyond the table: input %+v, want 1 too big", r.Input)
	}
}
