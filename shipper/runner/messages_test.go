package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/shipper-project/shipper/shipper/config"
)

// lockedBuffer is a goroutine-safe slog sink.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(l.b.String(), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// The stop summary is logged after the registry's last write, so it does
// not say registry_writes=0 after writing it (issue 19).
func TestStopSummaryCountsTheFinalRegistryWrite(t *testing.T) {
	e := newEnv(t)
	e.appendLines(sampleLines(t))
	yml := fmt.Sprintf("shipper.inputs:\n  - type: squid\n    id: sq\n    paths: [%q]\npath.data: %q\nlogging.metrics.enabled: false\nshipper.registry.flush: 1h\noutput.file: {path: %q}\n", e.log, e.data, e.dir)
	cfg, err := config.LoadBytes([]byte(yml), "test.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	r, err := New(cfg, Options{Once: true}, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	sum := logs.records(t, "shipper stopped")
	if len(sum) != 1 {
		t.Fatalf("%d stop summaries, want 1", len(sum))
	}
	writes := r.Metrics.Snapshot()["registry.writes"]
	if writes == 0 {
		t.Fatal("the registry was never written")
	}
	if got := sum[0]["registry_writes"]; got != float64(writes) {
		t.Errorf("stop summary registry_writes = %v, want %d (the writes done by then)", got, writes)
	}
}

// The periodic metrics log prints counters as changes and gauges as their
// value: a queue that empties shows filled=0, not filled=-12 (issue 19).
func TestMetricsLogPrintsGaugesAsValues(t *testing.T) {
	prev := map[string]int64{"pipeline.queue.filled": 12, "output.events.acked": 100, "queue.disk.bytes": 4096, "pipeline.events.published": 5}
	snap := map[string]int64{"pipeline.queue.filled": 0, "output.events.acked": 130, "queue.disk.bytes": 8192, "pipeline.events.published": 5}
	got := fmt.Sprint(metricsAttrs(prev, snap))
	want := "[output.events.acked 30 pipeline.queue.filled 0 queue.disk.bytes 8192]"
	if got != want {
		t.Errorf("metrics log attributes = %s, want %s", got, want)
	}
	// An unchanged non-zero gauge is still reported (it is a level, not a change).
	if got := fmt.Sprint(metricsAttrs(snap, snap)); got != "[queue.disk.bytes 8192]" {
		t.Errorf("unchanged = %s, want [queue.disk.bytes 8192]", got)
	}
}

// A stop that arrives while a reload builds the new run: the replaced run
// did not log the stop summary (StopForReload), so the new one, asked to
// stop before it starts, logs it, with the counters carried over.
func TestStopDuringReloadStillLogsTheSummary(t *testing.T) {
	e := newEnv(t)
	e.appendLines(sampleLines(t))
	yml := fmt.Sprintf("shipper.inputs:\n  - type: squid\n    id: sq\n    paths: [%q]\npath.data: %q\nlogging.metrics.enabled: false\noutput.file: {path: %q}\n", e.log, e.data, e.dir)
	cfg, err := config.LoadBytes([]byte(yml), "test.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	first, err := New(cfg, Options{Once: true}, log)
	if err != nil {
		t.Fatal(err)
	}
	first.StopForReload()
	if err := first.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(logs.records(t, "shipper stopped")); n != 0 {
		t.Fatalf("a run stopped for a reload logged %d stop summaries, want 0", n)
	}
	published := first.Metrics.Snapshot()["pipeline.events.published"]
	if published == 0 {
		t.Fatal("nothing published by the first run")
	}
	second, err := New(cfg, Options{Reloaded: true, Metrics: first.Metrics, Start: first.Start()}, log)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Start().Equal(first.Start()) {
		t.Errorf("start after reload = %v, want the process start %v", second.Start(), first.Start())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the stop came while the reload was under way
	second.Run(ctx)
	sum := logs.records(t, "shipper stopped")
	if len(sum) != 1 {
		t.Fatalf("%d stop summaries after a stop during a reload, want 1", len(sum))
	}
	if got := sum[0]["published"]; got != float64(published) {
		t.Errorf("summary published = %v, want the process-lifetime %d", got, published)
	}
}
