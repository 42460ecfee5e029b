package grok

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	vj "github.com/vjeantet/grok"

	"github.com/shipper-project/shipper/internal/squidgen"
	"github.com/shipper-project/shipper/shipper/event"
)

// bundled are the whole-line patterns of patterns/ and their sample files.
var bundled = map[string]string{
	"SQUID_NATIVE":      "squid_native.log",
	"SQUID_COMMON":      "squid_common.log",
	"SQUID_COMBINED":    "squid_combined.log",
	"SNORT3_ALERT_FAST": "snort_alert_fast.log",
	"SYSLOG3164":        "syslog.log",
}

// newVJDiff is vjeantet/grok loaded like our library: bundled patterns and
// our rewrite of the stock IPV6 (see rewrites in library.go).
func newVJDiff(t testing.TB) *vj.Grok {
	t.Helper()
	defs := bundledDefs(t)
	for k, v := range rewrites {
		defs[k] = v.expr
	}
	g, err := vj.NewWithConfig(&vj.Config{NamedCapturesOnly: true, RemoveEmptyValues: true, Patterns: defs})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// allSamples returns every sample line of every bundled pattern plus
// generated squid lines: each pattern is checked on lines it must match and
// on lines it must reject.
func allSamples(t testing.TB, generated int) []string {
	var lines []string
	names := make([]string, 0, len(bundled))
	for _, f := range bundled {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		lines = append(lines, readLines(t, filepath.Join("..", "..", "patterns", "testdata", f))...)
	}
	return append(lines, squidgen.Lines(generated, 7)...)
}

// TestDifferential: for every bundled pattern and every sample and
// generated line, our fields equal vjeantet/grok's Parse (typed fields
// compared after the same conversion).
func TestDifferential(t *testing.T) {
	ref := newVJDiff(t)
	lines := allSamples(t, 5000)
	for name, sample := range bundled {
		t.Run(name, func(t *testing.T) {
			pat := "%{" + name + "}"
			g, err := Compile(Config{Patterns: []string{pat}, BreakOnMatch: true})
			if err != nil {
				t.Fatal(err)
			}
			p := g.Patterns()[0]
			if p.split == nil && name != "SYSLOG3164" { // syslog's optional parts leave nothing to split on
				t.Errorf("%s: the split fast path does not apply", name)
			}
			types := map[string]Type{}
			for _, f := range p.Fields() {
				types[f.Name] = f.Type
			}
			matched := 0
			for _, line := range lines {
				want, err := ref.Parse(pat, line)
				if err != nil {
					t.Fatal(err)
				}
				wantTyped := map[string]any{}
				for k, v := range want {
					if tv, ok := convert(v, types[k], new(Values)); ok {
						wantTyped[k] = tv
					}
				}
				var f event.Fields
				i := g.Match(line, &f)
				got := map[string]any{}
				for _, fl := range f {
					if _, dup := got[fl.Key]; dup {
						t.Errorf("Match(%q): field %s added twice", line, fl.Key)
					}
					got[fl.Key] = fl.Value
				}
				if (i == 0) != (len(want) > 0) {
					t.Errorf("Match(%q) = %d, vjeantet matched: %v", line, i, len(want) > 0)
				}
				if diff := cmp.Diff(wantTyped, got); diff != "" {
					t.Errorf("Match(%q) fields differ from vjeantet/grok (-vjeantet +ours):\n%s", line, diff)
				}
				if i == 0 {
					matched++
				}
			}
			own := readLines(t, filepath.Join("..", "..", "patterns", "testdata", sample))
			if matched < len(own) {
				t.Errorf("%s matched %d lines, want at least its %d samples", name, matched, len(own))
			}
		})
	}
}

// TestStockPatterns compiles every stock pattern of vjeantet/grok and checks
// the list of those Go's RE2 cannot run (or that are broken upstream), so
// that a change is noticed.
func TestStockPatterns(t *testing.T) {
	lib := NewLibrary()
	var rejected []string
	for name := range stockPatterns {
		if _, err := CompileWith(lib, []string{"%{" + name + "}"}, true); err != nil {
			rejected = append(rejected, name)
			t.Logf("%s: %v", name, err)
		}
	}
	sort.Strings(rejected)
	want := []string{"COMMONENVOYACCESSLOG"} // %{DATA:} has no field name
	if diff := cmp.Diff(want, rejected); diff != "" {
		t.Errorf("rejected stock patterns (-want +got):\n%s", diff)
	}
}

// TestStockDifferential compares every stock pattern with vjeantet/grok on
// the sample lines (most do not match: the point is the same answer).
func TestStockDifferential(t *testing.T) {
	ref := newVJDiff(t)
	lib := NewLibrary()
	lines := allSamples(t, 50)
	lines = append(lines, "", "-", "hello world", "2026-11-25T08:30:35.123Z INFO started", "user@example.org", "fe80::1%eth0 up")
	for name := range stockPatterns {
		pat := "%{" + name + "}"
		g, err := CompileWith(lib, []string{pat}, true)
		if err != nil {
			continue
		}
		for _, line := range lines {
			want, _ := ref.Parse(pat, line)
			var f event.Fields
			i := g.Match(line, &f)
			got := map[string]string{}
			for _, fl := range f {
				got[fl.Key] = fl.Value.(string)
			}
			if len(want) == 0 {
				want = map[string]string{}
			}
			if i < 0 && len(want) > 0 || !cmp.Equal(want, got) {
				t.Errorf("%s on %q: (-vjeantet +ours):\n%s", name, line, cmp.Diff(want, got))
			}
		}
	}
}

func TestCompileErrors(t *testing.T) {
	f := func(cfg Config, want ...string) {
		t.Helper()
		if cfg.Field == "" {
			cfg.Field = "message"
		}
		_, err := Compile(cfg)
		if err == nil {
			t.Fatalf("Compile(%v) = nil error, want %q", cfg.Patterns, want)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Compile(%v) = %q, want it to contain %q", cfg.Patterns, err, w)
			}
		}
	}
	f(Config{Patterns: []string{"%{NOPE:x}"}}, `patterns[0] "%{NOPE:x}"`, "column 1", "no pattern named NOPE")
	f(Config{Patterns: []string{"a(?=b)"}}, "column 2", "lookahead")
	f(Config{Patterns: []string{`(\w)\1`}}, "backreference")
	f(Config{Patterns: []string{"%{A}"}, PatternDefinitions: map[string]string{"A": "x%{B}", "B": "%{A}"}}, "refers to itself")
	f(Config{Patterns: []string{"%{A}"}, PatternDefinitions: map[string]string{"A": `x\Zy`}}, "pattern A (pattern_definitions.A)", `\Z`)
	f(Config{Patterns: []string{"%{INT:x:bool}"}}, `unknown type "bool"`)
	f(Config{Patterns: []string{"%{INT:x y}"}}, "invalid")
	f(Config{Patterns: []string{"%{COMMONENVOYACCESSLOG}"}}, "empty field name")
}

func TestLibraryFileErrors(t *testing.T) {
	l := NewLibrary()
	err := l.AddFile("patterns/mine", []byte("# c\nGOOD x\nBAD\n"))
	if err == nil || !strings.Contains(err.Error(), "patterns/mine:3") {
		t.Errorf("AddFile = %v, want an error at patterns/mine:3", err)
	}
	_, origin, _ := l.Lookup("GOOD")
	if origin != "patterns/mine:2" {
		t.Errorf("origin = %q", origin)
	}
	_, err = CompileWith(l, []string{"%{X}"}, true)
	if err == nil {
		t.Error("want error")
	}
	if err := l.AddFile("patterns/bad", []byte("X (?<=a)b\n")); err != nil {
		t.Fatal(err)
	}
	_, err = CompileWith(l, []string{"%{X}"}, true)
	if err == nil || !strings.Contains(err.Error(), "patterns/bad:1") || !strings.Contains(err.Error(), "lookbehind") {
		t.Errorf("CompileWith = %v, want lookbehind at patterns/bad:1", err)
	}
}
