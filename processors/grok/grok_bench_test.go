package grok

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/internal/squidgen"
	"github.com/shipper-project/shipper/shipper/event"
)

// BenchmarkSquid compares, over the same 100k generated squid lines, plain
// vjeantet/grok Parse, our compiled grok and a hand-written splitter. One op
// is one line. Run:
//
//	go test -run '^$' -bench Squid -benchmem ./processors/grok/
func BenchmarkSquid(b *testing.B) {
	lines := squidgen.Lines(100_000, 42)
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	avg := size / int64(len(lines))

	b.Run("vjeantet-Parse", func(b *testing.B) {
		g := newVJ(b)
		if _, err := g.Parse("%{SQUID_NATIVE}", lines[0]); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(avg)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			m, _ := g.Parse("%{SQUID_NATIVE}", lines[i%len(lines)])
			if len(m) == 0 {
				b.Fatal("no match")
			}
		}
	})
	b.Run("compiled", func(b *testing.B) {
		g, err := Compile(Config{Patterns: []string{"%{SQUID_NATIVE}"}, BreakOnMatch: true})
		if err != nil {
			b.Fatal(err)
		}
		f := make(event.Fields, 0, 16)
		b.SetBytes(avg)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			f = f[:0]
			if g.Match(lines[i%len(lines)], &f) < 0 {
				b.Fatal("no match")
			}
		}
	})
	b.Run("splitter", func(b *testing.B) {
		f := make(event.Fields, 0, 16)
		b.SetBytes(avg)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			f = f[:0]
			if !splitSquid(lines[i%len(lines)], &f) {
				b.Fatal("no match")
			}
		}
	})
}

// splitSquid is the hand-written baseline: split on spaces and convert, the
// least any parser of this format has to do. It checks less than the pattern.
func splitSquid(line string, dst *event.Fields) bool {
	var tok [10]string
	n := 0
	for n < 10 {
		line = strings.TrimLeft(line, " ")
		if line == "" {
			break
		}
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			i = len(line)
		}
		tok[n], line = line[:i], line[i:]
		n++
	}
	if n != 10 {
		return false
	}
	dst.Add("timestamp", tok[0])
	if v, ok := Digits(tok[1]); ok {
		dst.Add("squid.request.duration", v)
	}
	if tok[2] != "-" {
		dst.Add("source.ip", tok[2])
	}
	action, status, _ := strings.Cut(tok[3], "/")
	dst.Add("event.action", action)
	if v, ok := Digits(status); ok && v != 0 {
		dst.Add("http.response.status_code", v)
	}
	if v, ok := Digits(tok[4]); ok {
		dst.Add("http.response.bytes", v)
	}
	dst.Add("http.request.method", tok[5])
	dst.Add("url.original", tok[6])
	if tok[7] != "-" {
		dst.Add("user.name", tok[7])
	}
	hier, dest, _ := strings.Cut(tok[8], "/")
	dst.Add("squid.hierarchy_code", hier)
	if dest != "-" {
		dst.Add("destination.address", dest)
	}
	if tok[9] != "-" {
		dst.Add("squid.content_type", tok[9])
	}
	return true
}
