package filestream

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

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

// BenchmarkHarvestParsers is BenchmarkHarvest through the parsers: ndjson
// on snort-like JSON lines, and multiline joining each 4 lines.
func BenchmarkHarvestParsers(b *testing.B) {
	const lines = 20000
	for _, bc := range []struct {
		name string
		line func(i int) string
		p    parserConf
	}{
		{"ndjson", func(i int) string {
			return fmt.Sprintf(`{"timestamp":"26/12/03-10:00:%02d.%06d","proto":"TCP","src_addr":"10.0.0.%d","src_port":%d,"dst_addr":"185.15.59.224","dst_port":443,"msg":"rule %d","priority":2}`, i%60, i, i%250, 1024+i%60000, i%100)
		}, parserConf{NDJSON: &ndjsonConf{Target: "snort"}}},
		{"multiline", func(i int) string {
			if i%4 == 0 {
				return fmt.Sprintf("2026-12-03 10:00:00 ERROR request %d failed", i)
			}
			return fmt.Sprintf("\tat com.example.Handler.handle(Handler.java:%d)", i)
		}, parserConf{Multiline: &multilineConf{Type: "pattern", Pattern: regex{regexp.MustCompile(`^\s`)}, Match: "after", MaxLines: 500, Timeout: 5 * time.Second}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "app.log")
			var data []byte
			for i := range lines {
				data = append(append(data, bc.line(i)...), '\n')
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				b.Fatal(err)
			}
			cfg := DefaultConfig()
			cfg.Paths = []string{path}
			cfg.Parsers = parsers{bc.p}
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
		})
	}
}
