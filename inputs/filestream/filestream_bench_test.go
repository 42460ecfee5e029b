package filestream

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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

// BenchmarkDocID compares the _id of issue 18 (offset + hash of the line's
// bytes) with the one before it (offset only), side by side.
func BenchmarkDocID(b *testing.B) {
	pfx := docIDPrefix("squid-access", "fingerprint::0123456789abcdef")
	line := []byte("1795594313.777     87 10.0.0.5 TCP_MISS/200 48213 GET http://www.wikipedia.org/wiki/Squid - HIER_DIRECT/185.15.59.224 text/html")
	var sink string
	b.Run("offset", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = pfx + strconv.FormatInt(123456789, 36)
		}
	})
	b.Run("offset+content", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = docID(pfx, 123456789, line)
		}
	})
	_ = sink
}
