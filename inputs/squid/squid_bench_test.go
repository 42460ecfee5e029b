package squid

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// releaser is a pipeline.Client that hands every event straight back to
// its pool, as the pipeline does once an output is done with it.
type releaser struct{ n int }

func (r *releaser) Publish(_ context.Context, e *event.Event) error {
	r.n++
	event.Release(e)
	return nil
}

// BenchmarkInput is the input side of `squid → file` (issue 17): the tail
// engine reads a file of squid lines with --once, splits it, computes the
// _id, parses each line with grok and maps it to ECS, into a client that
// recycles the events. One op is one read of the whole file; ns/line is
// the figure to compare. The file is SQUID_BENCH_LOG
// when set (e.g. 100,000 lines of `go run ./scripts/bench/gen`), else the
// testdata lines repeated. Compare two revisions side by side:
//
//	go test -run '^$' -bench Input -count 6 ./inputs/squid/
func BenchmarkInput(b *testing.B) {
	path := os.Getenv("SQUID_BENCH_LOG")
	if path == "" {
		lines := sampleLines(b)
		var sb strings.Builder
		for i := range 50_000 {
			sb.WriteString(lines[i%len(lines)])
			sb.WriteByte('\n')
		}
		path = filepath.Join(b.TempDir(), "access.log")
		if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Paths = []string{path}
	p, err := NewParser(cfg)
	if err != nil {
		b.Fatal(err)
	}
	env := inputs.Env{ID: "bench", Log: slog.New(slog.DiscardHandler), Once: true, Name: "input.bench"}
	run := func() int {
		env.Metrics = monitoring.NewRegistry()
		in, err := filestream.New(cfg.Config, env, func(string) filestream.Parser { return p.forFile() })
		if err != nil {
			b.Fatal(err)
		}
		var r releaser
		if err := in.Run(context.Background(), &r); err != nil {
			b.Fatal(err)
		}
		return r.n
	}
	lines := run() // warm: the pool, the page cache
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if n := run(); n != lines {
			b.Fatalf("read %d lines, want %d", n, lines)
		}
	}
	b.StopTimer()
	n := float64(b.N * lines)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/line")
	// CPU time (all threads: the GC's too) is steadier than wall time on a
	// shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/n, "cpu-ns/line")
}

// cpuTime is the process's user+system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
