package grok

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/shipper/event"
)

// FuzzMatch checks, for every bundled pattern, that the split fast path
// gives exactly what the plain regexp gives (same match, same groups), and
// that nothing panics on any input.
func FuzzMatch(f *testing.F) {
	for _, l := range allSamples(f, 50) {
		f.Add(l)
	}
	f.Add("fe80::1%eth0 x")
	f.Add("1 2 fe80::1%a b/0 1 GET u - H/- -")
	f.Add("\x00\xff\xfe 1 2 3")
	var pats []*Pattern
	for name := range bundled {
		g, err := Compile(Config{Patterns: []string{"%{" + name + "}"}, BreakOnMatch: true})
		if err != nil {
			f.Fatal(err)
		}
		pats = append(pats, g.Patterns()[0])
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, p := range pats {
			var fl event.Fields
			p.Match(line, &fl)
			if p.split == nil {
				continue
			}
			want := p.re.FindStringSubmatchIndex(line)
			got := make([]int, 2*(p.split.ncap+1))
			ok := p.split.match(line, got)
			if ok != (want != nil) {
				t.Fatalf("%s on %q: split matched %v, regexp %v", p.Source, line, ok, want != nil)
			}
			if !ok {
				continue
			}
			for i := range want {
				if want[i] != got[i] {
					t.Fatalf("%s on %q: split groups %v, regexp %v", p.Source, line, got, want)
				}
			}
		}
	})
}

// FuzzConvert: typed conversion never panics and never yields a value of
// the wrong type.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{"0", "000", "-1", "+5", "1.5", "1e400", "NaN", "inf", "99999999999999999999", "", "\x00", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, ok := convert(s, Int, new(Values)); ok {
			if _, isInt := v.(int64); !isInt {
				t.Fatalf("convert(%q, Int) = %T", s, v)
			}
		}
		if v, ok := convert(s, Float, new(Values)); ok {
			if _, isF := v.(float64); !isF {
				t.Fatalf("convert(%q, Float) = %T", s, v)
			}
		}
	})
}

// TestHugeLine: a 10 MiB line, NULs and invalid UTF-8 neither panic nor
// match where they must not.
func TestHugeLine(t *testing.T) {
	sample := readLines(t, filepath.Join("..", "..", "patterns", "testdata", "squid_native.log"))[0]
	huge := strings.Replace(sample, "http://127.0.0.1:9428/", "http://x/"+strings.Repeat("a\x00\xff", 10<<20/3), 1)
	for name := range bundled {
		g, err := Compile(Config{Patterns: []string{"%{" + name + "}"}, BreakOnMatch: true})
		if err != nil {
			t.Fatal(err)
		}
		var f event.Fields
		i := g.Match(huge, &f)
		if name == "SQUID_NATIVE" {
			if i != 0 {
				t.Errorf("SQUID_NATIVE does not match a 10 MiB URL")
			}
			if u, _ := f.GetString("url.original"); len(u) < 10<<20-10 {
				t.Errorf("url.original has %d bytes", len(u))
			}
		}
	}
}
