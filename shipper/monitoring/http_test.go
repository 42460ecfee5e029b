package monitoring

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/shipper/config"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fixture is a registry as a run with two inputs, a geoip processor and
// the elasticsearch output leaves it.
func fixture() (*Registry, Status) {
	m := NewRegistry()
	set := map[string]int64{
		"pipeline.events.published":                                 120,
		"pipeline.events.final":                                     100,
		"pipeline.events.filtered":                                  3,
		"pipeline.events.processor_errors":                          2,
		"pipeline.queue.filled":                                     20,
		"pipeline.queue.filled.bytes":                               3 << 20,
		"output.events.acked":                                       95,
		"output.events.duplicates":                                  1,
		"output.events.dead_letter":                                 1,
		"output.events.retried":                                     7,
		"output.batches.sent":                                       4,
		"output.batches.failed":                                     1,
		"output.write.bytes":                                        4096,
		"output.requests":                                           5,
		"input.squid-access.events.published":                       100,
		"input.squid-access.events.acked":                           90,
		"input.squid-access.events.processor_errors":                2,
		"input.squid-access.lines":                                  101,
		"input.squid-access.files.open":                             1,
		"input.squid-access.processor.0.geoip.lookups":              50,
		"input.squid-access.processor.0.geoip.database_age_seconds": 86400,
		"input.snmp.core.events.published":                          20,
		"input.snmp.core.events.acked":                              10,
		"input.snmp.core.polls":                                     2,
		"registry.writes":                                           6,
		"registry.bytes_written":                                    600,
		"dead_letter.events":                                        1,
		"dead_letter.bytes":                                         321,
	}
	for k, v := range set {
		m.Counter(k).Set(v)
	}
	st := Status{
		Name: "router1", Version: "1.2.3", Commit: "abc123", Start: t0,
		Inputs:        []InputStatus{{ID: "squid-access", Type: "squid"}, {ID: "snmp.core", Type: "snmp"}},
		Output:        "elasticsearch",
		OutputHosts:   []string{"http://127.0.0.1:9200"},
		QueueCapacity: 4096,
		QueueBytes:    8 << 20,
		Errors:        []LogEntry{{Time: t0, Level: "ERROR", Message: "bulk request failed", Attrs: "status=503"}},
	}
	return m, st
}

func TestBuildStatsGroupsCounters(t *testing.T) {
	m, st := fixture()
	s := BuildStats(m.Snapshot(), st, t0.Add(90*time.Second))
	if s.Beat.Info.Uptime.MS != 90000 {
		t.Errorf("uptime = %d ms, want 90000", s.Beat.Info.Uptime.MS)
	}
	if s.Pipeline.Events.Active != 20 || s.Pipeline.Queue.Filled != 20 || s.Pipeline.Queue.MaxEvents != 4096 {
		t.Errorf("pipeline = %+v", s.Pipeline)
	}
	// The byte gauge and its bound; pct by the nearer bound (3 of 8 MiB).
	if q := s.Pipeline.Queue; q.FilledBytes != 3<<20 || q.MaxBytes != 8<<20 || q.Pct != 0.375 {
		t.Errorf("queue = %+v, want filled_bytes %d, max_bytes %d, pct 0.375", q, 3<<20, 8<<20)
	}
	if s.Output.Events.Acked != 95 || s.Output.Events.DeadLetter != 1 || s.Output.Batches.Failed != 1 || s.Output.WriteBytes != 4096 {
		t.Errorf("output = %+v", s.Output)
	}
	if s.Output.Health != "ok" {
		t.Errorf("health = %q, want ok", s.Output.Health)
	}
	if s.Registry.Writes != 6 || s.Registry.BytesWritten != 600 || s.DeadLetter.Bytes != 321 {
		t.Errorf("registry = %+v, dead letter = %+v", s.Registry, s.DeadLetter)
	}
	if len(s.Inputs) != 2 {
		t.Fatalf("inputs = %+v", s.Inputs)
	}
	sq := s.Inputs[0]
	if sq.ID != "squid-access" || sq.Events.Published != 100 || sq.Events.Acked != 90 || sq.Events.ProcessorErrors != 2 {
		t.Errorf("squid input = %+v", sq)
	}
	if diff := cmp.Diff(map[string]int64{"lines": 101, "files.open": 1}, sq.Metrics); diff != "" {
		t.Errorf("squid metrics (-want +got):\n%s", diff)
	}
	if sn := s.Inputs[1]; sn.Events.Published != 20 || sn.Metrics["polls"] != 2 {
		t.Errorf("snmp input (dotted id) = %+v", sn)
	}
	want := []GeoIPStats{{Name: "input.squid-access.processor.0.geoip", Database: "city", AgeSeconds: 86400}}
	if diff := cmp.Diff(want, s.GeoIP); diff != "" {
		t.Errorf("geoip (-want +got):\n%s", diff)
	}
	if s.Beat.Runtime.GoMaxProcs != runtime.GOMAXPROCS(0) {
		t.Errorf("beat.runtime.gomaxprocs = %d, want %d", s.Beat.Runtime.GoMaxProcs, runtime.GOMAXPROCS(0))
	}
	if s.Beat.Memstats.HeapAlloc == 0 || s.Beat.Runtime.Goroutines == 0 {
		t.Errorf("memstats = %+v", s.Beat.Memstats)
	}
}

func TestHealth(t *testing.T) {
	f := func(name string, sent, failed, filled, bytes int64, r rates, want string) {
		t.Helper()
		m := NewRegistry()
		m.Counter("output.batches.sent").Set(sent)
		m.Counter("output.batches.failed").Set(failed)
		m.Counter("pipeline.queue.filled").Set(filled)
		m.Counter("pipeline.queue.filled.bytes").Set(bytes)
		s := buildStats(m.Snapshot(), Status{QueueCapacity: 100, QueueBytes: 1000}, t0, r)
		if s.Output.Health != want {
			t.Errorf("%s: health = %q, want %q", name, s.Output.Health, want)
		}
	}
	f("nothing yet", 0, 0, 0, 0, rates{}, "idle")
	f("never succeeded", 0, 3, 0, 0, rates{}, "failing")
	f("sending", 5, 0, 10, 100, rates{}, "ok")
	f("recent failures", 5, 1, 10, 100, rates{failing: true}, "failing")
	f("queue full", 5, 0, 95, 100, rates{}, "backpressure")
	f("queue full in bytes", 5, 0, 10, 950, rates{}, "backpressure")
}

// TestQueueBytesWithoutBound: with queue.mem.bytes: 0 nothing is measured;
// pct follows the events alone and max_bytes says 0, as in Beats.
func TestQueueBytesWithoutBound(t *testing.T) {
	m := NewRegistry()
	m.Counter("pipeline.queue.filled").Set(50)
	s := BuildStats(m.Snapshot(), Status{QueueCapacity: 100}, t0)
	if q := s.Pipeline.Queue; q.FilledBytes != 0 || q.MaxBytes != 0 || q.Pct != 0.5 {
		t.Errorf("queue = %+v, want filled_bytes 0, max_bytes 0, pct 0.5", q)
	}
}

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestStatsEndpoint(t *testing.T) {
	m, st := fixture()
	h := newHandler(m, func() Status { return st }, func() time.Time { return t0.Add(10 * time.Second) })
	res, body := get(t, h, "/stats")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /stats = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("GET /stats: not JSON: %v\n%s", err, body)
	}
	// The Beats-like top-level sections are all there.
	for _, k := range []string{"beat", "pipeline", "output", "inputs", "registry", "dead_letter", "geoip", "errors", "counters"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("GET /stats: no %q section", k)
		}
	}
	queue, _ := doc["pipeline"].(map[string]any)["queue"].(map[string]any)
	want := map[string]any{"filled": 20.0, "filled_bytes": float64(3 << 20), "max_events": 4096.0, "max_bytes": float64(8 << 20), "pct": 0.375}
	if diff := cmp.Diff(want, queue); diff != "" {
		t.Errorf("GET /stats: pipeline.queue (-want +got):\n%s", diff)
	}
	var s Stats
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	// First look: rates from the start (10 s ago, counters were 0).
	if s.Inputs[0].Rate != 10 || s.Output.Rate != 9.5 {
		t.Errorf("rates = %v, %v; want 10, 9.5", s.Inputs[0].Rate, s.Output.Rate)
	}
	if s.Counters["input.squid-access.lines"] != 101 {
		t.Errorf("counters lost: %v", s.Counters)
	}
	if s.Errors[0].Message != "bulk request failed" {
		t.Errorf("errors = %+v", s.Errors)
	}
}

func TestRatesUseTheLastWindow(t *testing.T) {
	m := NewRegistry()
	now := t0
	st := Status{Start: t0, Inputs: []InputStatus{{ID: "a", Type: "squid"}}}
	h := newHandler(m, func() Status { return st }, func() time.Time { return now })
	pub := m.Counter("input.a.events.published")
	rate := func() float64 {
		_, body := get(t, h, "/stats")
		var s Stats
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			t.Fatal(err)
		}
		return s.Inputs[0].Rate
	}
	if r := rate(); r != 0 {
		t.Errorf("rate at start = %v, want 0", r)
	}
	now = now.Add(RateWindow)
	pub.Add(100)
	if r := rate(); r != 10 {
		t.Errorf("rate after 100 events in 10 s = %v, want 10", r)
	}
	now = now.Add(time.Second) // inside the next window: the last complete one stays
	pub.Add(1000)
	if r := rate(); r != 10 {
		t.Errorf("rate inside the window = %v, want 10 (last complete window)", r)
	}
	now = now.Add(RateWindow - time.Second)
	if r := rate(); r != 100 {
		t.Errorf("rate after 1000 events in the next 10 s = %v, want 100", r)
	}
}

var (
	promLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$`)
	promType = regexp.MustCompile(`^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$`)
)

// checkExposition checks the text format: every sample line parses, belongs
// to the family whose TYPE line precedes it, and no family appears twice.
func checkExposition(t *testing.T, text string) map[string]string {
	t.Helper()
	samples := map[string]string{}
	seen := map[string]bool{}
	family := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if m := promType.FindStringSubmatch(line); m != nil {
			if seen[m[1]] {
				t.Errorf("family %s declared twice", m[1])
			}
			seen[m[1]], family = true, m[1]
			continue
		}
		m := promLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("bad exposition line %q", line)
			continue
		}
		if m[1] != family {
			t.Errorf("sample %q outside its family (last TYPE %s)", line, family)
		}
		samples[m[1]+m[2]] = m[len(m)-1]
	}
	return samples
}

func TestMetricsEndpoint(t *testing.T) {
	m, st := fixture()
	h := newHandler(m, func() Status { return st }, func() time.Time { return t0.Add(time.Minute) })
	res, body := get(t, h, "/metrics")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q", ct)
	}
	got := checkExposition(t, body)
	want := map[string]string{
		`shipper_output_events_acked_total`:                                                      "95",
		`shipper_pipeline_queue_filled`:                                                          "20",
		`shipper_input_events_published_total{input="squid-access"}`:                             "100",
		`shipper_input_events_published_total{input="snmp.core"}`:                                "20",
		`shipper_input_polls_total{input="snmp.core"}`:                                           "2",
		`shipper_input_files_open{input="squid-access"}`:                                         "1",
		`shipper_input_processor_geoip_lookups_total{input="squid-access",processor="0"}`:        "50",
		`shipper_input_processor_geoip_database_age_seconds{input="squid-access",processor="0"}`: "86400",
		`shipper_registry_writes_total`:                                                          "6",
		`shipper_dead_letter_bytes`:                                                              "321",
		`shipper_uptime_seconds`:                                                                 "60.000",
		`shipper_pipeline_queue_max_events`:                                                      "4096",
		`shipper_pipeline_queue_filled_bytes`:                                                    "3145728",
		`shipper_pipeline_queue_max_bytes`:                                                       "8388608",
		`shipper_build_info{version="1.2.3",commit="abc123"}`:                                    "1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("/metrics %s = %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["process_resident_memory_bytes"]; !ok {
		t.Error("/metrics: no process_resident_memory_bytes")
	}
}

func TestPromNameEscapes(t *testing.T) {
	f := func(name string, ids []string, want string) {
		t.Helper()
		n, l := promName(name, ids)
		if got := n + labelString(l); got != want {
			t.Errorf("promName(%q) = %s, want %s", name, got, want)
		}
	}
	f("output.events.acked", nil, "shipper_output_events_acked")
	f("input.a\"b.lines", []string{`a"b`}, `shipper_input_lines{input="a\"b"}`)
	f("input.unknown.x-y", nil, `shipper_input_x_y{input="unknown"}`)
	f("processor.global.1.grok.pattern.2.matched", nil, `shipper_processor_global_grok_pattern_matched{global="1",pattern="2"}`)
}

func TestStatusPage(t *testing.T) {
	m, st := fixture()
	h := newHandler(m, func() Status { return st }, func() time.Time { return t0.Add(time.Hour) })
	res, body := get(t, h, "/")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"router1", "squid-access", "snmp.core", "elasticsearch", `class="badge failing"`, "bulk request failed", "status=503", "GeoIP city database age", "1h0m0s"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /: no %q in the page", want)
		}
	}
	if res, _ := get(t, h, "/nope"); res.StatusCode != 404 {
		t.Errorf("GET /nope = %d, want 404", res.StatusCode)
	}
}

func TestServe(t *testing.T) {
	m, st := fixture()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	// The port is taken: Serve says so at once.
	if err := Serve(context.Background(), addr, m, nil, nil); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Serve on a taken port = %v, want address already in use", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, m, func() Status { return st }, slog.New(slog.DiscardHandler)) }()
	res, err := http.Get("http://" + addr + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	var s Stats
	err = json.NewDecoder(res.Body).Decode(&s)
	res.Body.Close()
	if err != nil || s.Output.Events.Acked != 95 {
		t.Errorf("GET /stats over TCP: %v, acked %d", err, s.Output.Events.Acked)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
}

func TestRecentLog(t *testing.T) {
	rl := NewRecentLog(2)
	var sink strings.Builder
	log := slog.New(rl.Handler(slog.NewTextHandler(&sink, &slog.HandlerOptions{Level: slog.LevelError})))
	log = log.With("output", "elasticsearch")
	log.Info("not kept")
	log.Warn("first", "password", config.Secret("hunter2"))
	log.WithGroup("g").Error("second", "status", 503)
	log.Error("third")
	got := rl.Entries()
	if len(got) != 2 || got[0].Message != "third" || got[1].Message != "second" {
		t.Fatalf("Entries = %+v, want third, second", got)
	}
	if got[1].Attrs != "output=elasticsearch g.status=503" {
		t.Errorf("attrs = %q", got[1].Attrs)
	}
	// The wrapped handler still filters at its own level.
	if strings.Contains(sink.String(), "first") || !strings.Contains(sink.String(), "third") {
		t.Errorf("wrapped handler got %q", sink.String())
	}
	rl = NewRecentLog(5)
	slog.New(rl.Handler(slog.DiscardHandler)).Warn("x", "password", config.Secret("hunter2"))
	if e := rl.Entries(); len(e) != 1 || strings.Contains(e[0].Attrs, "hunter2") {
		t.Errorf("secret leaked or lost: %+v", e)
	}
	var nilLog *RecentLog
	if nilLog.Entries() != nil {
		t.Error("nil RecentLog has entries")
	}
}

func TestParseVmRSS(t *testing.T) {
	f := func(in string, want int64) {
		t.Helper()
		if got := parseVmRSS([]byte(in)); got != want {
			t.Errorf("parseVmRSS(%q) = %d, want %d", in, got, want)
		}
	}
	f("Name:\tshipper\nVmPeak:\t  10 kB\nVmRSS:\t   12345 kB\nThreads: 7\n", 12345*1024)
	f("VmRSS: 7", 7)
	f("VmRSS:", 0)
	f("VmRSS: x kB", 0)
	f("", 0)
}

func FuzzParseVmRSS(f *testing.F) {
	f.Add([]byte("VmRSS:\t   12345 kB\n"))
	f.Add([]byte("VmRSS:"))
	f.Fuzz(func(t *testing.T, b []byte) { _ = parseVmRSS(b) })
}
