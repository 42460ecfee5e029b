package squid

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

func FuzzParseLine(f *testing.F) {
	b, _ := os.ReadFile("../../testdata/squid-access.log")
	for _, l := range strings.Split(string(b), "\n") {
		f.Add(l)
	}
	p, err := NewParser(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e := event.New(time.Time{}, 32)
		e.Fields.Add("message", line)
		keep, err := p.Parse([]byte(line), e)
		if !keep || err != nil {
			t.Fatalf("Parse(%q) = %v, %v: every line must be kept", line, keep, err)
		}
		if m, _ := e.Fields.GetString("message"); m != line {
			t.Fatalf("message changed: %q", m)
		}
	})
}

func BenchmarkParseLine(b *testing.B) {
	p, _ := NewParser(DefaultConfig())
	line := "1795594313.777     87 10.0.0.5 TCP_MISS/200 48213 GET http://www.wikipedia.org/wiki/Squid - HIER_DIRECT/185.15.59.224 text/html"
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		e := event.New(time.Time{}, 32)
		e.Fields.Add("message", line)
		p.Parse([]byte(line), e)
	}
}

// BenchmarkParse is a file's parser (as the input uses it) alone over
// varied lines: the event is reused, so that the op is the parse and ECS
// mapping, not the event's allocation.
// The lines are the first 100,000 of SQUID_BENCH_LOG when set (e.g. from
// `go run ./scripts/bench/gen`: varied like real traffic, where the testdata
// lines repeat and train the branch predictor), else the testdata lines.
func BenchmarkParse(b *testing.B) {
	p, _ := NewParser(DefaultConfig())
	lines := sampleLines(b)
	if path := os.Getenv("SQUID_BENCH_LOG"); path != "" {
		lines = fileLines(b, path, 100_000)
	}
	fp := p.forFile()
	e := event.New(time.Time{}, 40)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		line := lines[i%len(lines)]
		e.Fields = append(e.Fields[:0], event.Field{Key: "message", Value: line})
		fp.Parse(nil, e)
	}
}

// fileLines returns up to max non-blank lines of the file at path.
func fileLines(tb testing.TB, path string, max int) []string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(lines) < max {
		if l := sc.Text(); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(lines) == 0 {
		tb.Fatalf("%s: no lines", path)
	}
	return lines
}

// sampleLines is testdata/squid-access.log's non-blank lines.
func sampleLines(tb testing.TB) []string {
	tb.Helper()
	data, err := os.ReadFile("../../testdata/squid-access.log")
	if err != nil {
		tb.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}
