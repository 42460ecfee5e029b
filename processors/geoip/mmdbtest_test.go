package geoip

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// testEnv is one processor over generated databases, with its counters and
// log at hand.
type testEnv struct {
	t       testing.TB
	dir     string
	city    string // path of the City database
	asn     string // path of the ASN database
	metrics *monitoring.Registry
	logs    *syncBuffer
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	dir := t.TempDir()
	env := &testEnv{
		t: t, dir: dir,
		city:    filepath.Join(dir, "GeoLite2-City.mmdb"),
		asn:     filepath.Join(dir, "GeoLite2-ASN.mmdb"),
		metrics: monitoring.NewRegistry(),
		logs:    &syncBuffer{},
	}
	env.writeCity(geoiptest.Options{}, geoiptest.Cities()...)
	env.writeASN(geoiptest.ASNs()...)
	return env
}

func (env *testEnv) writeCity(opts geoiptest.Options, recs ...geoiptest.City) {
	env.t.Helper()
	if err := geoiptest.WriteCityDBWith(env.city, opts, recs...); err != nil {
		env.t.Fatal(err)
	}
}

func (env *testEnv) writeASN(recs ...geoiptest.ASN) {
	env.t.Helper()
	if err := geoiptest.WriteASNDB(env.asn, recs...); err != nil {
		env.t.Fatal(err)
	}
}

// replace writes data to a temporary file and renames it over path, as
// geoipupdate does.
func (env *testEnv) replace(path string, data []byte) {
	env.t.Helper()
	tmp := filepath.Join(env.dir, "incoming.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		env.t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		env.t.Fatal(err)
	}
}

func (env *testEnv) config() Config {
	cfg := DefaultConfig()
	cfg.Field = "destination.ip"
	cfg.Database = env.city
	cfg.ASNDatabase = env.asn
	return cfg
}

func (env *testEnv) penv() processors.Env {
	return processors.Env{
		Log:     slog.New(slog.NewTextHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: env.metrics,
		Name:    "processor.geoip",
	}
}

// open builds the processor from cfg and closes it at the end of the test.
func (env *testEnv) open(cfg Config) *Processor {
	env.t.Helper()
	p, err := New(cfg, env.penv())
	if err != nil {
		env.t.Fatalf("New: %v", err)
	}
	env.t.Cleanup(func() { p.Close() })
	return p
}

func (env *testEnv) counter(name string) int64 {
	return env.metrics.Counter("processor.geoip." + name).Load()
}

// waitFor polls cond until it holds or the deadline passes.
func (env *testEnv) waitFor(what string, cond func() bool) {
	env.t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a hang detector, not a budget: cond usually holds in milliseconds
	for !cond() {
		if time.Now().After(deadline) {
			env.t.Fatalf("timed out waiting for %s; log:\n%s", what, env.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// run runs p over an event whose destination.ip is ip, and returns it.
func run(t testing.TB, p *Processor, ip any) *event.Event {
	t.Helper()
	e := event.New(time.Unix(0, 0), 8)
	e.Fields.Add("destination.ip", ip)
	out, err := p.Run(e)
	if err != nil {
		t.Fatalf("Run(%v): %v", ip, err)
	}
	if out != e {
		t.Fatalf("Run(%v) returned another event", ip)
	}
	return out
}

// fieldMap returns the event's fields other than destination.ip.
func fieldMap(e *event.Event) map[string]any {
	m := map[string]any{}
	for _, f := range e.Fields {
		if f.Key != "destination.ip" {
			m[f.Key] = f.Value
		}
	}
	return m
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
