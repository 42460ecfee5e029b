package meminfo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

var readTime = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func parseFile(t testing.TB, path string) []*event.Event {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Berlin")
	return sysstattest.ParseLines(t, NewParser(loc, func() time.Time { return readTime }), text)
}

func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			evs := parseFile(t, f)
			sysstattest.Golden(t, strings.TrimSuffix(f, ".txt")+".golden.ndjson", evs)
			sysstattest.CheckCatalog(t, evs, Fields, filestream.Fields)
		})
	}
}

func TestValues(t *testing.T) {
	evs := parseFile(t, "testdata/meminfo-2.6.32-no-available.txt")
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	e := evs[0]
	for k, want := range map[string]any{
		"system.memory.total":             int64(255488 * 1024),
		"system.memory.free":              int64(31212 * 1024),
		"system.memory.actual.free":       int64((31212 + 12044 + 98120) * 1024), // no MemAvailable: free+buffers+cached
		"system.memory.actual.used.bytes": int64((255488 - 31212 - 12044 - 98120) * 1024),
		"system.memory.swap.used.bytes":   int64((131068 - 126972) * 1024),
		"system.memory.swap.used.pct":     0.0313,
		"system.memory.cached":            int64(98120 * 1024),
		"event.dataset":                   "system.memory",
	} {
		if got, _ := e.Fields.Get(k); got != want {
			t.Errorf("%s = %v (%T), want %v", k, got, got, want)
		}
	}
	if e.Fields.Has("message") {
		t.Error("a reading keeps the message of its SwapFree line")
	}
	if !e.Timestamp.Equal(readTime) {
		t.Errorf("@timestamp %v, want the read time %v", e.Timestamp, readTime)
	}
}

func TestReadings(t *testing.T) {
	evs := parseFile(t, "testdata/readings.txt")
	// A partial first reading (tagged), four complete ones, a last one cut
	// short (nothing yet).
	var got []string
	for _, e := range evs {
		s := e.Timestamp.UTC().Format(time.RFC3339)
		if e.HasTag(ParseFailureTag) {
			s = "failure"
		}
		got = append(got, s)
	}
	want := []string{"failure", "2026-11-25T07:30:10Z", "2026-11-25T07:30:20Z", "2026-11-25T07:30:30Z"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("readings\n got %v\nwant %v", got, want)
	}
}

func TestLines(t *testing.T) {
	f := func(line string, wantKeep, wantErr bool) {
		t.Helper()
		p := NewParser(time.UTC, nil)
		e := event.New(time.Time{}, 4)
		keep, err := p.Parse([]byte(line), e)
		if keep != wantKeep || (err != nil) != wantErr {
			t.Errorf("Parse(%q) = %v, %v; want keep %v, error %v", line, keep, err, wantKeep, wantErr)
		}
	}
	f("", false, false)
	f("-----", false, false)
	f("MemTotal:  1 kB", false, false)
	f("Active(anon):  1 kB", false, false)
	f("HugePages_Total:       0", false, false)
	f("MemTotal:  x kB", true, true)
	f("MemTotal:  1 MB", true, true)
	f("MemTotal:  99999999999999999 kB", true, true)
	f("SwapFree:  1 kB", true, true) // without MemTotal
	f("hello world", true, true)
	f("1795594220", false, false) // date +%s
}

type collector struct {
	mu  sync.Mutex
	evs []*event.Event
}

func (c *collector) Publish(_ context.Context, e *event.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evs = append(c.evs, e)
	return nil
}

// With neither paths nor command, the input reads <hostfs>/proc/meminfo.
func TestProcMode(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Hostfs = "testdata/hostfs"
	m := monitoring.NewRegistry()
	in, err := New(cfg, inputs.Env{ID: "mem", Name: "input.mem", Once: true, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	if err := in.Run(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.evs) != 1 {
		t.Fatalf("%d events, want 1", len(c.evs))
	}
	if v, _ := c.evs[0].Fields.Get("system.memory.total"); v != int64(24683656*1024) {
		t.Errorf("total = %v", v)
	}
	if time.Since(c.evs[0].Timestamp) > time.Minute {
		t.Errorf("@timestamp %v is not the read time", c.evs[0].Timestamp)
	}
	sysstattest.CheckCatalog(t, c.evs, Fields)
}

func TestProcModeMissingFile(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Hostfs = t.TempDir()
	m := monitoring.NewRegistry()
	in, err := New(cfg, inputs.Env{ID: "mem", Name: "input.mem", Once: true, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	if err := in.Run(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.evs) != 0 || m.Counter("input.mem.run_failures").Load() != 1 {
		t.Errorf("events %d, run_failures %d; want 0 and 1", len(c.evs), m.Counter("input.mem.run_failures").Load())
	}
}

func runOnceReal(t *testing.T, cfg Config) []*event.Event {
	t.Helper()
	in, err := New(cfg, inputs.Env{ID: "mem", Name: "input.mem", Once: true})
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	if err := in.Run(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return c.evs
}
