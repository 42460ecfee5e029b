package snort

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
	"github.com/shipper-project/shipper/shipper/event"
)

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// newYear is the clock of the golden test: ten minutes into 2027 in Berlin,
// so that year-less December alerts belong to 2026 and January ones to 2027.
var newYear = time.Date(2027, 1, 1, 0, 10, 0, 0, time.UTC)

func parseFixture(t testing.TB, b64 bool) []*event.Event {
	t.Helper()
	text, err := os.ReadFile("testdata/alert_json.txt")
	if err != nil {
		t.Fatal(err)
	}
	return sysstattest.ParseLines(t, NewParser(berlin(t), func() time.Time { return newYear }, b64), text)
}

func TestGolden(t *testing.T) {
	evs := parseFixture(t, true)
	if len(evs) != 6 {
		t.Fatalf("%d events, want 6 (one per line, the truncated one too)", len(evs))
	}
	sysstattest.Golden(t, "testdata/alert_json.golden.ndjson", evs)
	// Every field is in the catalog, except the unknown ones of line 4,
	// which are kept under snort.* on purpose.
	for i, e := range evs {
		if i == 3 {
			c := e.Clone()
			for _, k := range []string{"snort.snort_future_field", "snort.appid", "snort.weird_key"} {
				if !c.Fields.Delete(k) {
					t.Errorf("unknown field %s not kept", k)
				}
			}
			e = c
		}
		sysstattest.CheckCatalog(t, []*event.Event{e}, Fields, filestream.Fields)
	}
}

func TestMapping(t *testing.T) {
	evs := parseFixture(t, false)
	f := func(i int, key string, want any) {
		t.Helper()
		got, ok := evs[i].Fields.Get(key)
		if !ok {
			t.Errorf("event %d: %s missing", i, key)
			return
		}
		if s, isSlice := want.([]string); isSlice {
			if g, _ := got.([]string); strings.Join(g, ",") != strings.Join(s, ",") {
				t.Errorf("event %d: %s = %v, want %v", i, key, got, want)
			}
			return
		}
		if got != want {
			t.Errorf("event %d: %s = %v (%T), want %v (%T)", i, key, got, got, want, want)
		}
	}
	f(0, "rule.id", "1411")
	f(0, "rule.version", "19")
	f(0, "snort.gid", int64(1))
	f(0, "rule.category", "Attempted Information Leak")
	f(0, "rule.description", "SERVER-WEBAPP /etc/passwd file access attempt")
	f(0, "message", "SERVER-WEBAPP /etc/passwd file access attempt")
	f(0, "event.severity", int64(2))
	f(0, "source.ip", "10.0.0.5")
	f(0, "source.port", int64(52345))
	f(0, "destination.ip", "81.2.69.142")
	f(0, "destination.port", int64(80))
	f(0, "network.transport", "tcp")
	f(0, "network.protocol", "http")
	f(0, "network.type", "ipv4")
	f(0, "snort.packet.length", int64(60))
	f(0, "event.action", "allow")
	f(0, "event.type", []string{"allowed"})
	f(0, "event.kind", "alert")
	f(0, "event.category", []string{"network", "intrusion_detection"})
	f(0, "event.module", "snort")
	f(0, "event.dataset", "snort.alert")
	f(0, "observer.ingress.interface.name", "eth0")
	f(0, "source.mac", "08-00-27-8C-11-5D")
	f(0, "snort.tcp.flags", "***AP***")
	f(0, "related.ip", []string{"10.0.0.5", "81.2.69.142"})
	// ECS network.bytes/packets are the flow's totals in both directions
	// (client_bytes+server_bytes), not the alerting packet's pkt_len and
	// pkt_num, which Elastic's integration puts there (issue 19).
	f(0, "network.bytes", int64(412))
	f(0, "network.packets", int64(4))
	f(0, "snort.packet.number", int64(1021))
	f(0, "observer.vendor", "Snort")
	f(0, "observer.product", "Snort")
	f(0, "observer.type", "ids")
	if evs[0].Fields.Has("snort.packet.b64_data") {
		t.Error("b64_data kept without include_b64_data")
	}
	if evs[0].Fields.Has("network.vlan.id") {
		t.Error("vlan 0 kept")
	}
	f(1, "event.type", []string{"allowed"}) // would_drop: IDS mode, the packet went on
	f(2, "event.type", []string{"denied"})
	f(2, "network.type", "ipv6")
	f(2, "network.vlan.id", "12")
	f(2, "snort.icmp.id", int64(4711))
	f(3, "snort.snort_future_field", "v2")
	f(3, "source.ip", "81.2.69.142") // from src_ap, snort3's default field
	f(3, "source.port", int64(443))
	f(3, "destination.ip", "10.0.0.5")
	f(3, "destination.port", int64(52346))
	f(3, "snort.weird_key", 3.5)
	if !evs[4].HasTag(JSONParseFailureTag) {
		t.Error("truncated line not tagged _jsonparsefailure")
	}
	f(4, "message", `{ "timestamp" : "12/31-22:00:01.000000", "pkt_num" : 1025, "proto" : "TCP", "pkt_len" : 1500, "dir" : "S2C", "src_addr" : "81.2.69.142", "src_`)
	if !evs[5].HasTag(FieldFailureTag) || evs[5].Fields.Has("source.port") {
		t.Error("non-numeric port: want tagged and left out")
	}
	if evs[5].Fields.Has("network.protocol") {
		t.Error("service unknown kept")
	}
	// Times: seconds wins (with the fraction of timestamp); year-less ones
	// are inferred against the clock (2027-01-01 01:10 in Berlin).
	want := []string{
		"2026-12-31T22:59:58.123456Z", // 26/12/31-23:59:58.123456 CET, seconds given
		"2026-12-31T22:59:59.967749Z", // 12/31 without year: 2026, not the future 2027-12-31
		"2027-01-01T00:00:00.000001Z", // 01/01-01:00 CET: this year, 10 minutes ago
		"2026-12-31T21:00:00.5Z",
		"2027-01-01T00:10:00Z", // truncated line: read time
		"2026-12-31T21:00:02Z",
	}
	for i, e := range evs {
		if got := e.Timestamp.UTC().Format(time.RFC3339Nano); got != want[i] {
			t.Errorf("event %d: @timestamp %s, want %s", i, got, want[i])
		}
	}
}

func TestIncludeB64(t *testing.T) {
	evs := parseFixture(t, true)
	if v, _ := evs[0].Fields.GetString("snort.packet.b64_data"); v != "R0VUIC9ldGMvcGFzc3dkIEhUVFAvMS4xDQo=" {
		t.Errorf("b64_data = %q", v)
	}
}

func TestYearInference(t *testing.T) {
	loc := berlin(t)
	f := func(name, ts string, now time.Time, want string) {
		t.Helper()
		p := NewParser(loc, func() time.Time { return now }, false)
		e := event.New(time.Time{}, 4)
		if _, err := p.Parse([]byte(`{"timestamp":"`+ts+`"}`), e); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := e.Timestamp.UTC().Format(time.RFC3339Nano); got != want {
			t.Errorf("%s: %s read at %s = %s, want %s", name, ts, now.Format(time.RFC3339), got, want)
		}
	}
	jan1 := time.Date(2027, 1, 1, 0, 0, 30, 0, time.UTC) // 01:00:30 CET
	f("new year: december is last year", "12/31-23:59:59.0", jan1, "2026-12-31T22:59:59Z")
	f("new year: january is this year", "01/01-01:00:00.0", jan1, "2027-01-01T00:00:00Z")
	f("sensor a little ahead stays this year", "01/01-01:00:45.0", jan1, "2027-01-01T00:00:45Z")
	f("sensor ahead across new year", "01/01-00:00:10.0", time.Date(2026, 12, 31, 22, 59, 50, 0, time.UTC), "2026-12-31T23:00:10Z")
	f("more than the slack ahead is last year", "01/01-01:05:00.0", jan1, "2026-01-01T00:05:00Z")
	f("feb 29 goes to the last leap year", "02/29-12:00:00.0", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), "2024-02-29T11:00:00Z")
	f("with year", "24/02/29-12:00:00.25", jan1, "2024-02-29T11:00:00.25Z")
	// DST in Berlin, 2026: 03-29 02:00 CET → 03:00 CEST; 10-25 03:00 CEST → 02:00 CET.
	f("dst gap moves forward", "03/29-02:30:00.0", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), "2026-03-29T01:30:00Z")
	f("dst overlap takes the first", "10/25-02:30:00.0", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "2026-10-25T00:30:00Z")
	f("summer time", "07/01-12:00:00.0", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "2026-07-01T10:00:00Z")
}

// In the repeated hour, a log that is already past the first 02:30 puts
// the next 02:30 in the second one.
func TestDSTOverlapInOrder(t *testing.T) {
	p := NewParser(berlin(t), func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }, false)
	var got []string
	for _, ts := range []string{"10/25-02:30:00.0", "10/25-02:59:59.0", "10/25-02:10:00.0", "10/25-02:30:00.0", "10/25-03:00:00.0"} {
		e := event.New(time.Time{}, 4)
		p.Parse([]byte(`{"timestamp":"`+ts+`"}`), e)
		got = append(got, e.Timestamp.UTC().Format("15:04:05"))
	}
	want := "00:30:00 00:59:59 01:10:00 01:30:00 02:00:00"
	if strings.Join(got, " ") != want {
		t.Errorf("overlap hour: got %v, want %s", got, want)
	}
}

func TestBadLines(t *testing.T) {
	f := func(line string, wantKeep bool, wantTag string) {
		t.Helper()
		p := NewParser(time.UTC, nil, false)
		e := event.New(time.Time{}, 4)
		keep, err := p.Parse([]byte(line), e)
		if keep != wantKeep {
			t.Errorf("Parse(%q) keep = %v, want %v", line, keep, wantKeep)
		}
		if wantTag != "" && (err == nil || !e.HasTag(wantTag)) {
			t.Errorf("Parse(%q) = %v, tags %v; want error and %s", line, err, e.Fields, wantTag)
		}
	}
	f("", false, "")
	f("   ", false, "")
	f("{", true, JSONParseFailureTag)
	f("[1,2]", true, JSONParseFailureTag)
	f("null", true, JSONParseFailureTag)
	f(`{"a":1} {"b":2}`, true, JSONParseFailureTag)
	f(`{"timestamp":"13/45-99:00:00.0"}`, true, TimestampFailureTag)
	f(`{"priority":"high"}`, true, FieldFailureTag)
	f(`{"msg":"x"}`, true, "")
}
