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

// FuzzScanWide: scanWide stops where the byte-by-byte scan of its class
// stops, for NOTSPACE's class and for one where control bytes below the
// bound are in the class too.
func FuzzScanWide(f *testing.F) {
	f.Add("http://www.example.org/wiki/Squid?q=1 alice", uint8(3))
	f.Add("\x80\xff\x21\x7f\x20abcdefgh\x00", uint8(0))
	f.Add("abc\x01defghijklmn\x02op qr", uint8(1))
	f.Add("abcdefg", uint8(0))
	var notSpace, withCtl [256]bool
	for b := range 256 {
		notSpace[b] = b > 0x20 || !strings.ContainsRune("\t\n\v\f\r ", rune(b))
		withCtl[b] = b >= 0x30 || b < 0x10
	}
	f.Fuzz(func(t *testing.T, text string, j uint8) {
		if int(j) > len(text) {
			return
		}
		for _, c := range []struct {
			class *[256]bool
			lo    byte
		}{{&notSpace, 0x21}, {&withCtl, 0x30}} {
			want := int(j)
			for want < len(text) && c.class[text[want]] {
				want++
			}
			if got := scanWide(text, int(j), c.lo, c.class); got != want {
				t.Fatalf("scanWide(%q, %d, %#x) = %d, want %d", text, j, c.lo, got, want)
			}
		}
	})
}

// TestWideFrom: the bound is the least byte from which the class holds
// every byte; none unless that is below 0x80.
func TestWideFrom(t *testing.T) {
	f := func(class string, high bool, want byte) {
		t.Helper()
		var c [256]bool
		for i := 0; i < len(class); i++ {
			c[class[i]] = true
		}
		if high {
			for b := 0x80; b < 0x100; b++ {
				c[b] = true
			}
		}
		if got := wideFrom(&c); got != want {
			t.Errorf("wideFrom(%q, high %v) = %#x, want %#x", class, high, got, want)
		}
	}
	var notSpace []byte
	for b := 0x21; b < 0x80; b++ {
		notSpace = append(notSpace, byte(b))
	}
	f(string(notSpace), true, 0x21)
	f(string(notSpace), false, 0)
	f(string(notSpace[1:]), true, 0x22)
	f("abc", true, 0)
	f("", true, 0)
}
