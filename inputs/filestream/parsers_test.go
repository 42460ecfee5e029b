package filestream

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// fsInput is a filestream input from YAML over the scenario's directory
// ($DIR in yml), as `type: filestream` builds it.
func (s *scenario) fsInput(yml string, once bool) (*Input, *collector) {
	s.t.Helper()
	cfg := mustDecode(s.t, strings.ReplaceAll(yml, "$DIR", s.dir))
	cfg.Prospector.Scanner.CheckInterval = 50 * time.Millisecond
	cfg.Prospector.Scanner.Fingerprint.Length = 64
	cfg.Backoff.Init, cfg.Backoff.Max = 10*time.Millisecond, 20*time.Millisecond
	in, c := s.input(cfg, once)
	in.dropEmpty = true
	return in, c
}

func (s *scenario) fsOnce(yml string) *collector {
	s.t.Helper()
	in, c := s.fsInput(yml, true)
	if err := in.Run(context.Background(), c); err != nil {
		s.t.Fatal(err)
	}
	return c
}

const javaTrace = "2026-12-03 10:00:00 ERROR boom\n" +
	"java.lang.IllegalStateException: bad\n" +
	"\tat a.b.C.d(C.java:10)\n" +
	"\tat a.b.C.e(C.java:20)\n" +
	"2026-12-03 10:00:01 INFO fine\n" +
	"2026-12-03 10:00:02 WARN last\n" +
	"\tat x.y(Z.java:1)\n"

// Filebeat's documented Java stack trace example: lines not starting with
// a date are appended to the line before (negate: true, match: after).
func TestMultilinePatternAfter(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", javaTrace)
	c := s.fsOnce(`  - type: filestream
    id: t
    paths: [$DIR/app.log]
    parsers:
      - multiline:
          type: pattern
          pattern: '^\d{4}-\d{2}-\d{2}'
          negate: true
          match: after
`)
	eq(t, "events", c.messages(), []string{
		"2026-12-03 10:00:00 ERROR boom\njava.lang.IllegalStateException: bad\n\tat a.b.C.d(C.java:10)\n\tat a.b.C.e(C.java:20)",
		"2026-12-03 10:00:01 INFO fine",
		"2026-12-03 10:00:02 WARN last\n\tat x.y(Z.java:1)", // flushed at the end of the file (--once)
	})
	e := c.evs[0]
	if f, _ := e.Fields.Get("log.flags"); !equalStrings(f, []string{"multiline"}) {
		t.Errorf("log.flags = %v, want [multiline]", f)
	}
	if off, _ := e.Fields.Get("log.offset"); off != int64(0) {
		t.Errorf("log.offset = %v", off)
	}
	if f, ok := c.evs[1].Fields.Get("log.flags"); ok {
		t.Errorf("single line has log.flags %v", f)
	}
}

func equalStrings(v any, want []string) bool {
	got, _ := v.([]string)
	return strings.Join(got, ",") == strings.Join(want, ",")
}

// The four pattern combinations of Filebeat's multiline docs, plus
// flush_pattern, count, while_pattern and the limits.
func TestMultilineModes(t *testing.T) {
	for _, tc := range []struct {
		name, opts, in string
		want           []string
	}{
		{"negate false after: continuation lines match", "pattern: '^ '\n          match: after",
			"a\n b\n c\nd\n e\n", []string{"a\n b\n c", "d\n e"}},
		{"negate true after", "pattern: '^START'\n          negate: true\n          match: after",
			"x\nSTART 1\nm\nn\nSTART 2\n", []string{"x", "START 1\nm\nn", "START 2"}},
		{"negate false before: a line ending in \\ continues on the next", `pattern: '\\$'` + "\n          match: before",
			"a \\\nb \\\nc\nd\n", []string{"a \\\nb \\\nc", "d"}},
		{"negate true before", "pattern: ';$'\n          negate: true\n          match: before",
			"a\nb;\nc;\nd\ne;\n", []string{"a\nb;", "c;", "d\ne;"}},
		{"flush_pattern ends the event", "pattern: 'Start new event'\n          negate: true\n          match: after\n          flush_pattern: 'End event'",
			"[2015] Start new event\n[2015] a\n[2015] End event\n[2015] b\n[2015] Start new event\n[2015] c\n",
			[]string{"[2015] Start new event\n[2015] a\n[2015] End event", "[2015] b", "[2015] Start new event\n[2015] c"}},
		{"count", "type: count\n          count_lines: 2",
			"1\n2\n3\n4\n5\n", []string{"1\n2", "3\n4", "5"}},
		{"while_pattern", "type: while_pattern\n          pattern: '^ '",
			"a\n b\n c\nd\n e\nf\n", []string{"a", " b\n c", "d", " e", "f"}},
		{"while_pattern negate", "type: while_pattern\n          pattern: '^-'\n          negate: true",
			"x\ny\n-\nz\n", []string{"x\ny", "-", "z"}},
		{"max_lines drops the rest of the event", "pattern: '^ '\n          match: after\n          max_lines: 2",
			"a\n b\n c\n d\ne\n", []string{"a\n b", "e"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenario(t)
			s.write("app.log", tc.in)
			c := s.fsOnce("  - type: filestream\n    id: t\n    paths: [$DIR/app.log]\n    parsers:\n      - multiline:\n          " + tc.opts + "\n")
			eq(t, "events", c.messages(), tc.want)
		})
	}
}

func TestMultilineMaxBytesTruncates(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", "head\n 1234567890\n 1234567890\nnext\n")
	c := s.fsOnce("  - type: filestream\n    id: t\n    paths: [$DIR/app.log]\n    message_max_bytes: 16\n    parsers:\n      - multiline: {pattern: '^ ', match: after}\n")
	eq(t, "events", c.messages(), []string{"head\n 1234567890", "next"})
	if f, _ := c.evs[0].Fields.Get("log.flags"); !equalStrings(f, []string{"truncated", "multiline"}) {
		t.Errorf("log.flags = %v", f)
	}
}

// An incomplete event is shipped when no line came for multiline.timeout,
// while the file is followed (not only at its end).
func TestMultilineTimeoutFlushes(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", "ERROR one\n  detail\n")
	in, c := s.fsInput("  - type: filestream\n    id: t\n    paths: [$DIR/app.log]\n    parsers:\n      - multiline: {pattern: '^\\s', match: after, timeout: 200ms}\n", false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx, c); close(done) }()
	defer func() { cancel(); <-done }()
	eq(t, "events", s.waitFor(c, 1), []string{"ERROR one\n  detail"})
	s.write("app.log", "  late\nERROR two\n")
	eq(t, "events", s.waitFor(c, 2), []string{"ERROR one\n  detail", "  late"})
}

// Stopped in the middle of a multiline event, the shipper reads the whole
// event again at the next start: nothing lost, nothing twice. The cursor
// never passes a line of an event not shipped yet.
func TestMultilineRestartMidEvent(t *testing.T) {
	s := newScenario(t)
	const yml = "  - type: filestream\n    id: t\n    paths: [$DIR/app.log]\n    parsers:\n      - multiline: {pattern: '^\\s', match: after, timeout: 1h}\n"
	s.write("app.log", "A 1\n  a\nB 2\n  b1\n")
	in, c := s.fsInput(yml, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx, c); close(done) }()
	eq(t, "first run", s.waitFor(c, 1), []string{"A 1\n  a"})
	// B is held (its end is not known yet); stop now.
	s.waitUntil("B read", func() bool { return s.metrics.Snapshot()["input.t.lines"] >= 4 })
	cancel()
	<-done
	if err := s.store.Flush(); err != nil {
		t.Fatal(err)
	}
	s.write("app.log", "  b2\nC 3\n")
	c2 := s.fsOnce(yml)
	eq(t, "second run", c2.messages(), []string{"B 2\n  b1\n  b2", "C 3"})
	c3 := s.fsOnce(yml)
	eq(t, "third run", c3.messages(), nil)
}

// Filebeat's order: parsers, then include_lines / exclude_lines on the
// message they leave (a multiline event is kept or dropped whole).
func TestIncludeExcludeLinesAfterParsers(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", "DBG x\n  more ERR\nERR y\n  trace\nINFO z\nERR DBG both\n")
	const yml = `  - type: filestream
    id: t
    paths: [$DIR/app.log]
    include_lines: ['^ERR', 'ERR$']
    exclude_lines: ['DBG']
    parsers:
      - multiline: {pattern: '^\s', match: after}
`
	c := s.fsOnce(yml)
	eq(t, "events", c.messages(), []string{"ERR y\n  trace"})
	// DBG x + its line, INFO z, ERR DBG both
	if v := s.metrics.Snapshot()["input.t.lines_filtered"]; v != 4 {
		t.Errorf("lines_filtered = %v, want 4", v)
	}
	// Nothing comes twice (dropped lines after the last event are read
	// again, and dropped again, as in Filebeat: only events move the cursor).
	eq(t, "again", s.fsOnce(yml).messages(), nil)
}

func TestEmptyLinesAreNotEvents(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", "a\n\n\r\nb\n")
	eq(t, "events", s.fsOnce("  - type: filestream\n    id: t\n    paths: [$DIR/app.log]\n").messages(), []string{"a", "b"})
}

func TestCRLFStripped(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", "a\r\nb\r\n")
	eq(t, "auto", s.fsOnce("  - type: filestream\n    id: t\n    paths: [$DIR/app.log]\n").messages(), []string{"a", "b"})
}

func TestLatin1Decoded(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", "caf\xe9 \x80\n")
	eq(t, "latin1", s.fsOnce("  - type: filestream\n    id: t\n    paths: [$DIR/app.log]\n    encoding: latin1\n").messages(), []string{"café €"})
}

func TestRecursiveGlob(t *testing.T) {
	s := newScenario(t)
	for _, d := range []string{"logs/a", "logs/a/b/c"} {
		if err := os.MkdirAll(s.path(d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s.write("logs/top.log", "top\n")
	s.write("logs/a/one.log", "one\n")
	s.write("logs/a/b/c/deep.log", "deep\n")
	got := s.fsOnce("  - type: filestream\n    id: t\n    paths: ['$DIR/logs/**/*.log']\n").messages()
	eq(t, "recursive", sorted(got), []string{"deep", "one", "top"})
	s2 := newScenario(t)
	if err := os.MkdirAll(s2.path("logs/a"), 0o700); err != nil {
		t.Fatal(err)
	}
	s2.write("logs/a/one.log", "one\n")
	s2.write("logs/top.log", "top\n")
	got = s2.fsOnce("  - type: filestream\n    id: t\n    paths: ['$DIR/logs/**/*.log']\n    prospector.scanner.recursive_glob: false\n").messages()
	eq(t, "not recursive: ** is *", got, []string{"one"})
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestSymlinksSkippedByDefault(t *testing.T) {
	s := newScenario(t)
	if err := os.MkdirAll(s.path("real"), 0o700); err != nil {
		t.Fatal(err)
	}
	s.write("real/app.txt", "via link\n")
	if err := os.MkdirAll(s.path("logs"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(s.path("real/app.txt"), s.path("logs/app.log")); err != nil {
		t.Fatal(err)
	}
	eq(t, "default", s.fsOnce("  - type: filestream\n    id: t\n    paths: [$DIR/logs/*.log]\n").messages(), nil)
	eq(t, "symlinks: true", s.fsOnce("  - type: filestream\n    id: t2\n    paths: [$DIR/logs/*.log]\n    prospector.scanner.symlinks: true\n").messages(), []string{"via link"})
}

var _ = event.New
