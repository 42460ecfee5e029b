package sflow

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/flow"
	"github.com/shipper-project/shipper/inputs/internal/flow/flowtest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func u32(b []byte, v ...uint32) []byte {
	for _, x := range v {
		b = binary.BigEndian.AppendUint32(b, x)
	}
	return b
}

func datagram(seq uint32, samples ...[]byte) []byte {
	b := u32(nil, 5, 1)
	b = append(b, 192, 0, 2, 10)
	b = u32(b, 0, seq, 123456, uint32(len(samples)))
	for _, s := range samples {
		b = append(b, s...)
	}
	return b
}

func flowSample(rate uint32, frame []byte) []byte {
	hdr := frame
	for len(hdr)%4 != 0 {
		hdr = append(hdr, 0)
	}
	rec := u32(nil, 1, uint32(len(frame)+4), 4, uint32(len(frame))) // ethernet, frame length with FCS, stripped 4, header length
	rec = append(rec, hdr...)
	body := u32(nil, 7, 3, rate, 1000, 0, 3, 4, 1) // seq, source id ifIndex 3, rate, pool, drops, in, out, 1 record
	body = u32(body, 1, uint32(len(rec)))
	body = append(body, rec...)
	return append(u32(nil, 1, uint32(len(body))), body...)
}

func counterSample() []byte {
	rec := u32(nil, 3, 6)
	rec = binary.BigEndian.AppendUint64(rec, 1000000000)
	rec = u32(rec, 1, 3)
	rec = binary.BigEndian.AppendUint64(rec, 5000)
	rec = u32(rec, 40, 2, 1, 0, 1, 0)
	rec = binary.BigEndian.AppendUint64(rec, 7000)
	rec = u32(rec, 50, 3, 2, 1, 2, 1)
	body := u32(nil, 9, 3, 1, 1, uint32(len(rec)))
	body = append(body, rec...)
	return append(u32(nil, 2, uint32(len(body))), body...)
}

type harness struct {
	d   *Decoder
	m   *monitoring.Registry
	evs []*event.Event
}

func newHarness(t *testing.T) *harness {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m := monitoring.NewRegistry()
	return &harness{d: NewDecoder(cfg, m, "sf", nil), m: m}
}

func (h *harness) send(b []byte) {
	h.d.Decode(flow.Datagram{From: netip.MustParseAddrPort("192.0.2.10:50000"), Received: time.Unix(1700000000, 0), Data: b}, func(e *event.Event) error {
		h.evs = append(h.evs, e)
		return nil
	})
}

func get(e *event.Event, k string) any { v, _ := e.Fields.Get(k); return v }

func TestFlowAndCounterSamples(t *testing.T) {
	h := newHarness(t)
	f := flowtest.Scenario()[0]
	f.VLAN = 42
	h.send(datagram(1, flowSample(256, f.Frame(0)), counterSample()))
	if len(h.evs) != 2 {
		t.Fatalf("%d events", len(h.evs))
	}
	for _, e := range h.evs {
		if err := fields.Check(e, Fields); err != nil {
			t.Error(err)
		}
	}
	fl, c := h.evs[0], h.evs[1]
	for k, want := range map[string]any{
		"source.ip": "10.1.1.1", "destination.ip": "93.184.216.34", "source.port": uint64(40000), "destination.port": uint64(443),
		"network.transport": "tcp", "network.vlan.id": "42", "network.packets": uint64(256),
		"network.bytes": uint64(256 * (f.FrameLen() + 4)), "sflow.tcp.flags": uint64(2), "source.mac": "02:00:00:00:00:01",
		"sflow.sample.sampling_rate": uint64(256), "observer.ip": "192.0.2.10", "event.dataset": "sflow.flow",
		"sflow.sample.source_id_index": uint64(3), "sflow.ip.ttl": uint64(64),
	} {
		if got := get(fl, k); got != want {
			t.Errorf("flow %s = %#v, want %#v", k, got, want)
		}
	}
	for k, want := range map[string]any{
		"event.dataset": "sflow.counters", "system.network.name": "ifIndex 3", "system.network.in.bytes": uint64(5000),
		"system.network.out.bytes": uint64(7000), "system.network.in.packets": uint64(43), "system.network.out.packets": uint64(55),
		"system.network.in.errors": uint64(1), "system.network.out.dropped": uint64(1), "sflow.interface.speed_bps": uint64(1000000000),
		"sflow.interface.oper_status": "up", "sflow.interface.admin_status": "up", "sflow.interface.direction": "full-duplex",
	} {
		if got := get(c, k); got != want {
			t.Errorf("counters %s = %#v, want %#v", k, got, want)
		}
	}
}

func TestSequenceGapsPerAgent(t *testing.T) {
	h := newHarness(t)
	for _, seq := range []uint32{1, 2, 5, 6, 1} { // 3 and 4 lost; then a restart
		h.send(datagram(seq, counterSample()))
	}
	if got := h.m.Counter("sf.sequence.lost").Load(); got != 2 {
		t.Errorf("sequence.lost = %d", got)
	}
	if got := h.m.Counter("sf.agent.192_0_2_10_0.sequence_lost").Load(); got != 2 {
		t.Errorf("per-agent lost = %d", got)
	}
	if got := h.m.Counter("sf.sequence.resets").Load(); got != 1 {
		t.Errorf("sequence.resets = %d", got)
	}
}

func TestMalformed(t *testing.T) {
	h := newHarness(t)
	good := datagram(1, flowSample(1, flowtest.Scenario()[4].Frame(0)))
	for _, b := range [][]byte{{}, {0, 0, 0, 5}, good[:40], {0, 0, 0, 4, 0, 0, 0, 1}} {
		h.send(b)
	}
	if got := h.m.Counter("sf.datagrams_invalid").Load(); got != 4 {
		t.Errorf("datagrams_invalid = %d", got)
	}
}

func TestParseHeader(t *testing.T) {
	for _, f := range flowtest.Scenario() {
		p := parseHeader(headerEthernet, f.Frame(1))
		if p.src != f.Src || p.dst != f.Dst || p.proto != f.Proto {
			t.Errorf("%s: got %v > %v proto %d", f.Key(), p.src, p.dst, p.proto)
		}
		if (f.Proto == 6 || f.Proto == 17) && (p.sport != f.SrcPort || p.dport != f.DstPort) {
			t.Errorf("%s: ports %d > %d", f.Key(), p.sport, p.dport)
		}
		if f.Proto == 1 && (!p.hasICMP || p.icmpType != 8) {
			t.Errorf("%s: icmp %v %d", f.Key(), p.hasICMP, p.icmpType)
		}
	}
}

// FuzzDecode: no panic on any datagram or sampled header.
func FuzzDecode(f *testing.F) {
	f.Add(datagram(1, flowSample(256, flowtest.Scenario()[0].Frame(0)), counterSample()))
	f.Add(datagram(1, flowSample(1, flowtest.Scenario()[4].Frame(0))))
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(cfg, nil, "fuzz", nil)
		d.Decode(flow.Datagram{From: netip.MustParseAddrPort("192.0.2.1:6343"), Data: b}, func(e *event.Event) error {
			event.AppendJSON(nil, e)
			return nil
		})
		for _, proto := range []uint32{headerEthernet, headerIPv4, headerIPv6} {
			parseHeader(proto, b)
		}
	})
}

// The sflow.exporter_stats counts: flow samples and the datagrams missing
// from the agent's sequence, on the exporter the datagrams came from.
func TestExporterStatsCounts(t *testing.T) {
	h := newHarness(t)
	f := flowtest.Scenario()[0]
	for _, seq := range []uint32{1, 2, 5} { // 3 and 4 lost
		h.send(datagram(seq, flowSample(256, f.Frame(0)), counterSample()))
	}
	r := h.d.stats.Report(time.Unix(1700000060, 0))
	want := flow.Counts{Flows: 3, LostDatagrams: 2}
	if got := r.Exporters[netip.MustParseAddrPort("192.0.2.10:50000")]; got != want || len(r.Exporters) != 1 {
		t.Errorf("exporters %+v, want 192.0.2.10:50000 %+v", r.Exporters, want)
	}
	docs := r.Documents("sflow")
	if len(docs) != 1 || get(docs[0], "event.dataset") != "sflow.exporter_stats" || get(docs[0], "sflow.exporter.address") != "192.0.2.10:50000" {
		t.Fatalf("documents %v", docs)
	}
	if err := fields.Check(docs[0], Fields); err != nil {
		t.Error(err)
	}
}
