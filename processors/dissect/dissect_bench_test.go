package dissect

import (
	"bufio"
	"os"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/grok"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// squidTokenizer is the dissect pattern of squid's native access.log line,
// with the field names of grok's %{SQUID_NATIVE}. Squid right-aligns the
// duration, hence the padding modifier on the timestamp.
const squidTokenizer = "%{timestamp->} %{squid.request.duration|long} %{source.ip} %{event.action}/%{http.response.status_code|long} " +
	"%{http.response.bytes|long} %{http.request.method} %{url.original} %{user.name} %{squid.hierarchy_code}/%{destination.address} %{http.response.mime_type}"

func squidSample(b *testing.B) []string {
	f, err := os.Open("../../testdata/squid-access.log")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var lines []string
	d, _ := Compile(squidTokenizer)
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if _, err := d.appendPairs(nil, sc.Text()); err == nil {
			lines = append(lines, sc.Text())
		}
	}
	if len(lines) < 5 {
		b.Fatalf("only %d squid lines", len(lines))
	}
	return lines
}

// BenchmarkSquidDissectVsGrok runs the dissect processor and the grok
// processor (%{SQUID_NATIVE}) on the same squid lines, one event per op,
// target at the root as grok writes. Compare the ns/op of the sub-benchmarks:
//
//	go test -run '^$' -bench SquidDissectVsGrok -benchmem ./processors/dissect/
func BenchmarkSquidDissectVsGrok(b *testing.B) {
	lines := squidSample(b)
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	run := func(b *testing.B, p processors.Processor) {
		b.SetBytes(size / int64(len(lines)))
		b.ReportAllocs()
		e := event.New(time.Unix(0, 0), 16)
		for i := 0; b.Loop(); i++ {
			e.Fields = e.Fields[:0]
			e.Fields.Add("message", lines[i%len(lines)])
			if _, err := p.Run(e); err != nil || len(e.Fields) < 6 {
				b.Fatalf("%v %v", err, e.Fields)
			}
		}
	}
	b.Run("dissect", func(b *testing.B) {
		p, err := NewProcessor(Config{Tokenizer: squidTokenizer, Field: "message", TrimChars: " "})
		if err != nil {
			b.Fatal(err)
		}
		run(b, p)
	})
	b.Run("dissect-strings", func(b *testing.B) {
		tok := "%{timestamp->} %{squid.request.duration} %{source.ip} %{event.action}/%{http.response.status_code} " +
			"%{http.response.bytes} %{http.request.method} %{url.original} %{user.name} %{squid.hierarchy_code}/%{destination.address} %{http.response.mime_type}"
		p, err := NewProcessor(Config{Tokenizer: tok, Field: "message", TrimChars: " "})
		if err != nil {
			b.Fatal(err)
		}
		run(b, p)
	})
	b.Run("grok", func(b *testing.B) {
		cfg := grok.DefaultConfig()
		cfg.Patterns = []string{"%{SQUID_NATIVE}"}
		p, err := grok.NewProcessor(cfg, monitoring.NewRegistry(), "bench")
		if err != nil {
			b.Fatal(err)
		}
		run(b, p)
	})
}

// BenchmarkDissect is the tokenizer alone on Beats' stack-trace case.
func BenchmarkDissect(b *testing.B) {
	d, err := Compile("%{day}-%{month}-%{year} %{hour} %{severity} [%{thread_id}] %{origin} %{message}")
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]pair, 0, 16)
	b.SetBytes(int64(len(stackTrace)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.appendPairs(buf[:0], stackTrace); err != nil {
			b.Fatal(err)
		}
	}
}
