package filestream

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// discard is a pipeline.Client that drops every event.
type discard struct{}

func (discard) Publish(context.Context, *event.Event) error { return nil }

// BenchmarkHarvest reads a file of squid-sized lines with --once through
// the harvester (line split, event, _id) into a client that drops them; the
// parser does nothing, so this is the tail engine's own cost per line.
func BenchmarkHarvest(b *testing.B) {
	const lines = 20000
	dir := b.TempDir()
	path := filepath.Join(dir, "access.log")
	var data []byte
	for i := range lines {
		data = fmt.Appendf(data, "1795594313.%03d     87 10.0.0.%d TCP_MISS/200 48213 GET http://www.wikipedia.org/wiki/Squid%d - HIER_DIRECT/185.15.59.224 text/html\n", i%1000, i%250, i)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Paths = []string{path}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		in, err := New(cfg, inputs.Env{ID: "bench", Metrics: monitoring.NewRegistry(), Once: true, Name: "input.bench"},
			func(string) Parser { return plainParser{} })
		if err != nil {
			b.Fatal(err)
		}
		if err := in.Run(context.Background(), discard{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/line")
}
