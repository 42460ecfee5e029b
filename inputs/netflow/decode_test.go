package netflow

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/inputs/internal/flow"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// Hand-built datagrams: a template of 7 IANA elements and its records.
var testTemplate = [][2]uint16{{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 4}, {2, 4}}

type testRec struct {
	src, dst     string
	sport, dport uint16
	proto        uint8
	bytes, pkts  uint32
}

func templateSet(version uint16, id uint16) []byte {
	setID := uint16(0)
	if version == 10 {
		setID = 2
	}
	b := binary.BigEndian.AppendUint16(nil, setID)
	b = binary.BigEndian.AppendUint16(b, uint16(4+4+4*len(testTemplate)))
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint16(b, uint16(len(testTemplate)))
	for _, f := range testTemplate {
		b = binary.BigEndian.AppendUint16(b, f[0])
		b = binary.BigEndian.AppendUint16(b, f[1])
	}
	return b
}

func dataSet(id uint16, recs ...testRec) []byte {
	var body []byte
	for _, r := range recs {
		s, d := netip.MustParseAddr(r.src).As4(), netip.MustParseAddr(r.dst).As4()
		body = append(body, s[:]...)
		body = append(body, d[:]...)
		body = binary.BigEndian.AppendUint16(body, r.sport)
		body = binary.BigEndian.AppendUint16(body, r.dport)
		body = append(body, r.proto)
		body = binary.BigEndian.AppendUint32(body, r.bytes)
		body = binary.BigEndian.AppendUint32(body, r.pkts)
	}
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(body)))
	return append(b, body...)
}

// v9Datagram builds a v9 datagram: header then the sets.
func v9Datagram(seq, domain, uptime uint32, sets ...[]byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, 9)
	b = binary.BigEndian.AppendUint16(b, uint16(len(sets)))
	b = binary.BigEndian.AppendUint32(b, uptime)
	b = binary.BigEndian.AppendUint32(b, 1700000000)
	b = binary.BigEndian.AppendUint32(b, seq)
	b = binary.BigEndian.AppendUint32(b, domain)
	for _, s := range sets {
		b = append(b, s...)
	}
	return b
}

// ipfixDatagram builds an IPFIX message.
func ipfixDatagram(seq, domain uint32, sets ...[]byte) []byte {
	var body []byte
	for _, s := range sets {
		body = append(body, s...)
	}
	b := binary.BigEndian.AppendUint16(nil, 10)
	b = binary.BigEndian.AppendUint16(b, uint16(16+len(body)))
	b = binary.BigEndian.AppendUint32(b, 1700000000)
	b = binary.BigEndian.AppendUint32(b, seq)
	b = binary.BigEndian.AppendUint32(b, domain)
	return append(b, body...)
}

type harness struct {
	t   *testing.T
	d   *Decoder
	m   *monitoring.Registry
	evs []*event.Event
	now time.Time
}

func newHarness(t *testing.T, mod func(*Config)) *harness {
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m := monitoring.NewRegistry()
	return &harness{t: t, d: NewDecoder(cfg, m, "nf", nil), m: m, now: time.Unix(1700000000, 0)}
}

func (h *harness) send(from string, b []byte) {
	h.t.Helper()
	h.now = h.now.Add(time.Second)
	err := h.d.Decode(flow.Datagram{From: netip.MustParseAddrPort(from), Received: h.now, Data: b}, func(e *event.Event) error {
		h.evs = append(h.evs, e)
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) counter(name string) int64 { return h.m.Counter("nf." + name).Load() }

func (h *harness) flows() []string {
	var out []string
	for _, e := range h.evs {
		if v, _ := e.Fields.Get("netflow.type"); v != "netflow_flow" {
			continue
		}
		src, _ := e.Fields.Get("source.ip")
		b, _ := e.Fields.Get("source.bytes")
		p, _ := e.Fields.Get("source.packets")
		x, _ := e.Fields.Get("netflow.exporter.address")
		out = append(out, src.(string)+" "+x.(string)+" "+itoa(b)+"B "+itoa(p)+"p")
	}
	return out
}

func itoa(v any) string {
	n, _ := v.(uint64)
	return string(binary.BigEndian.AppendUint64(nil, n)[:0]) + uitoa(n)
}

func uitoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func equal(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

var r1 = testRec{src: "10.0.0.1", dst: "192.0.2.1", sport: 1234, dport: 80, proto: 6, bytes: 1500, pkts: 3}
var r2 = testRec{src: "10.0.0.2", dst: "192.0.2.2", sport: 53, dport: 5353, proto: 17, bytes: 80, pkts: 1}

func TestV9Flow(t *testing.T) {
	h := newHarness(t, nil)
	h.send("192.0.2.100:5000", v9Datagram(1, 7, 60000, templateSet(9, 256), dataSet(256, r1, r2)))
	equal(t, h.flows(), []string{"10.0.0.1 192.0.2.100:5000 1500B 3p", "10.0.0.2 192.0.2.100:5000 80B 1p"})
	for _, e := range h.evs {
		if err := fields.Check(e, Fields); err != nil {
			t.Error(err)
		}
	}
	e := h.evs[0]
	for k, want := range map[string]any{
		"network.transport": "tcp", "network.iana_number": "6", "destination.port": uint64(80),
		"source.locality": "internal", "destination.locality": "external", "flow.locality": "external",
		"netflow.exporter.source_id": uint64(7), "observer.ip": "192.0.2.100", "netflow.octet_delta_count": uint64(1500),
		"network.community_id": "1:8IwDpNEcIzGTgyciwn0GCJnJtC4=",
	} {
		if got, _ := e.Fields.Get(k); got != want {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
}

// A data set that arrives before its template is held and decoded when
// the template comes (softflowd resends templates periodically; a collector
// started after the exporter sees data first).
func TestTemplateAfterData(t *testing.T) {
	h := newHarness(t, nil)
	h.send("192.0.2.100:5000", v9Datagram(1, 7, 60000, dataSet(256, r1)))
	if len(h.evs) != 0 || h.counter("flowsets_pending") != 1 {
		t.Fatalf("before the template: %d events, %d pending", len(h.evs), h.counter("flowsets_pending"))
	}
	h.send("192.0.2.100:5000", v9Datagram(2, 7, 61000, templateSet(9, 256), dataSet(256, r2)))
	equal(t, h.flows(), []string{"10.0.0.2 192.0.2.100:5000 80B 1p", "10.0.0.1 192.0.2.100:5000 1500B 3p"})
	if h.counter("flowsets_pending") != 0 || h.counter("flowsets_dropped.no_template") != 0 {
		t.Fatalf("pending %d, dropped %d", h.counter("flowsets_pending"), h.counter("flowsets_dropped.no_template"))
	}
}

// Held data sets are bounded: the oldest is dropped and counted.
func TestPendingBounded(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.PendingRecords = 2 })
	for i := uint32(1); i <= 5; i++ {
		h.send("192.0.2.100:5000", v9Datagram(i, 7, 60000+i, dataSet(256, r1)))
	}
	if h.counter("flowsets_pending") != 2 || h.counter("flowsets_dropped.no_template") != 3 {
		t.Fatalf("pending %d, dropped %d", h.counter("flowsets_pending"), h.counter("flowsets_dropped.no_template"))
	}
}

// Two exporters with the same observation domain and template id but
// different layouts must not share templates.
func TestTwoExportersSameDomain(t *testing.T) {
	h := newHarness(t, nil)
	h.send("192.0.2.100:5000", ipfixDatagram(0, 1, templateSet(10, 300)))
	// The second exporter's template 300 has only the addresses.
	other := binary.BigEndian.AppendUint16(nil, 2)
	other = binary.BigEndian.AppendUint16(other, 4+4+8)
	other = binary.BigEndian.AppendUint16(other, 300)
	other = binary.BigEndian.AppendUint16(other, 2)
	other = binary.BigEndian.AppendUint16(other, 8)
	other = binary.BigEndian.AppendUint16(other, 4)
	other = binary.BigEndian.AppendUint16(other, 12)
	other = binary.BigEndian.AppendUint16(other, 4)
	h.send("192.0.2.101:5000", ipfixDatagram(0, 1, other))
	h.send("192.0.2.100:5000", ipfixDatagram(0, 1, dataSet(300, r1)))
	short := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	set := binary.BigEndian.AppendUint16(nil, 300)
	set = binary.BigEndian.AppendUint16(set, 4+8)
	h.send("192.0.2.101:5000", ipfixDatagram(0, 1, append(set, short...)))
	equal(t, h.flows(), []string{"10.0.0.1 192.0.2.100:5000 1500B 3p", "1.2.3.4 192.0.2.101:5000 0B 0p"})
	if n := h.counter("sequence.lost"); n != 0 {
		t.Fatalf("sequence.lost = %d", n)
	}
}

// Sequence gaps are counted per exporter: v9 counts datagrams, IPFIX data
// records.
func TestSequenceGaps(t *testing.T) {
	h := newHarness(t, nil)
	h.send("192.0.2.100:5000", v9Datagram(10, 7, 1000, templateSet(9, 256), dataSet(256, r1)))
	h.send("192.0.2.100:5000", v9Datagram(11, 7, 2000, dataSet(256, r1)))
	h.send("192.0.2.100:5000", v9Datagram(14, 7, 3000, dataSet(256, r1))) // 12, 13 lost
	h.send("192.0.2.101:6000", ipfixDatagram(100, 1, templateSet(10, 256), dataSet(256, r1, r2)))
	h.send("192.0.2.101:6000", ipfixDatagram(102, 1, dataSet(256, r1)))
	h.send("192.0.2.101:6000", ipfixDatagram(110, 1, dataSet(256, r1))) // 7 records lost
	if got := h.counter("sequence.lost"); got != 9 {
		t.Errorf("sequence.lost = %d, want 9", got)
	}
	if got := h.counter("sequence.gaps"); got != 2 {
		t.Errorf("sequence.gaps = %d, want 2", got)
	}
	if got := h.counter("exporter.192_0_2_100_5000.sequence_lost"); got != 2 {
		t.Errorf("exporter 192.0.2.100 lost %d, want 2", got)
	}
	if got := h.counter("exporter.192_0_2_101_6000.sequence_lost"); got != 7 {
		t.Errorf("exporter 192.0.2.101 lost %d, want 7", got)
	}
}

// An exporter restart (sequence and uptime back to the start) drops its
// templates: a new layout under the same id must not be read with the old
// one.
func TestSequenceReset(t *testing.T) {
	h := newHarness(t, nil)
	h.send("192.0.2.100:5000", v9Datagram(5000, 7, 900000, templateSet(9, 256), dataSet(256, r1)))
	h.send("192.0.2.100:5000", v9Datagram(5001, 7, 901000, dataSet(256, r1)))
	// Restart: sequence 0, uptime small, data before its (new) template.
	h.send("192.0.2.100:5000", v9Datagram(0, 7, 10, dataSet(256, r2)))
	if got := h.counter("sequence.resets"); got != 1 {
		t.Fatalf("sequence.resets = %d, want 1", got)
	}
	if got := h.counter("sequence.lost"); got != 0 {
		t.Fatalf("a restart counted as %d lost", got)
	}
	if got := len(h.flows()); got != 2 {
		t.Fatalf("the data after the restart was decoded with the old template: %d flows", got)
	}
	h.send("192.0.2.100:5000", v9Datagram(1, 7, 1000, templateSet(9, 256)))
	equal(t, h.flows()[2:], []string{"10.0.0.2 192.0.2.100:5000 80B 1p"})

	// With detect_sequence_reset: false the templates are kept.
	h = newHarness(t, func(c *Config) { c.DetectSequenceReset = false })
	h.send("192.0.2.100:5000", v9Datagram(5000, 7, 900000, templateSet(9, 256)))
	h.send("192.0.2.100:5000", v9Datagram(0, 7, 10, dataSet(256, r2)))
	equal(t, h.flows(), []string{"10.0.0.2 192.0.2.100:5000 80B 1p"})
}

// Templates expire after expiration_timeout without a refresh.
func TestTemplateExpiry(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ExpirationTimeout = 90 * time.Second })
	h.send("192.0.2.100:5000", v9Datagram(1, 7, 1000, templateSet(9, 256)))
	h.now = h.now.Add(time.Minute)
	h.send("192.0.2.100:5000", v9Datagram(2, 7, 61000)) // the exporter is alive, the template not refreshed
	h.now = h.now.Add(time.Minute)
	h.send("192.0.2.100:5000", v9Datagram(3, 7, 121000, dataSet(256, r1)))
	if len(h.flows()) != 0 || h.counter("templates.expired") != 1 {
		t.Fatalf("expired template used: %d flows, %d expired", len(h.flows()), h.counter("templates.expired"))
	}
}

// Malformed datagrams are counted, never panic, and keep what decoded.
func TestMalformed(t *testing.T) {
	h := newHarness(t, nil)
	good := v9Datagram(1, 7, 1000, templateSet(9, 256), dataSet(256, r1))
	for _, b := range [][]byte{
		{},
		{0},
		{0, 9, 0},
		good[:len(good)-3],                      // truncated data set
		append(good, 0, 1, 0),                   // trailing bytes
		{0, 5, 0, 30, 1, 2, 3},                  // v5 count larger than the datagram
		v9Datagram(3, 7, 1, []byte{0, 0, 0, 2}), // set length below its header
		v9Datagram(4, 7, 1, []byte{0, 0, 0, 8, 1, 0, 0, 0}), // template of zero-length fields
		{0, 7, 0, 0}, // version not in protocols
	} {
		h.send("192.0.2.100:5000", b)
	}
	if h.counter("datagrams_invalid") < 5 || h.counter("datagrams_unsupported_version") != 1 {
		t.Fatalf("invalid %d, unsupported %d", h.counter("datagrams_invalid"), h.counter("datagrams_unsupported_version"))
	}
}

// The exporter_stats counts follow the sequence numbers per exporter: v9
// gaps are datagrams, IPFIX gaps are records; flows are data records only.
func TestExporterStatsCounts(t *testing.T) {
	h := newHarness(t, nil)
	h.send("192.0.2.100:5000", v9Datagram(10, 7, 1000, templateSet(9, 256), dataSet(256, r1)))
	h.send("192.0.2.100:5000", v9Datagram(14, 7, 3000, dataSet(256, r1, r2))) // 11, 12, 13 lost
	h.send("192.0.2.101:6000", ipfixDatagram(100, 1, templateSet(10, 256), dataSet(256, r1, r2)))
	h.send("192.0.2.101:6000", ipfixDatagram(110, 1, dataSet(256, r1))) // 8 records lost
	r := h.d.stats.Report(h.now)
	want := map[netip.AddrPort]flow.Counts{
		netip.MustParseAddrPort("192.0.2.100:5000"): {Flows: 3, LostDatagrams: 3},
		netip.MustParseAddrPort("192.0.2.101:6000"): {Flows: 3, LostFlows: 8},
	}
	if diff := cmp.Diff(want, r.Exporters); diff != "" {
		t.Errorf("exporter counts (-want +got):\n%s", diff)
	}
	for _, e := range r.Documents("netflow") {
		if err := fields.Check(e, Fields); err != nil {
			t.Error(err)
		}
	}
}

// softflowd numbers an IPFIX message by the records up to and including
// its own (captured from softflowd 1.1.0: 24 records with sequence number
// 24, then 32 records with 56). Read as RFC 7011 numbers, every change of
// message size looked like lost records.
func TestSequenceSoftflowdIPFIX(t *testing.T) {
	recs := func(n int) []testRec {
		out := make([]testRec, n)
		for i := range out {
			out[i] = r1
		}
		return out
	}
	h := newHarness(t, nil)
	from := "192.0.2.101:6000"
	h.send(from, ipfixDatagram(24, 1, templateSet(10, 256), dataSet(256, recs(24)...)))
	h.send(from, ipfixDatagram(56, 1, dataSet(256, recs(32)...)))
	h.send(from, ipfixDatagram(88, 1, dataSet(256, recs(32)...)))
	h.send(from, ipfixDatagram(112, 1, dataSet(256, recs(24)...)))
	if got := h.counter("sequence.lost"); got != 0 {
		t.Fatalf("no message missing: sequence.lost = %d, want 0", got)
	}
	h.send(from, ipfixDatagram(176, 1, dataSet(256, recs(32)...))) // one of 32 missing before it
	h.send(from, ipfixDatagram(184, 1, dataSet(256, recs(8)...)))
	if got := h.counter("sequence.lost"); got != 32 {
		t.Errorf("one message of 32 records missing: sequence.lost = %d, want 32", got)
	}
}
