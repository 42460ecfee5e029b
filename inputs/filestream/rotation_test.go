package filestream

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// follows runs a filestream input from YAML until the test ends.
func (s *scenario) fsFollow(yml string) *collector {
	in, c := s.fsInput(yml, false)
	s.run(in, c)
	return c
}

// settle waits until no new event arrived for a while (to let a duplicate
// show up) — progress-based, no fixed deadline for the events themselves.
func (s *scenario) settle(c *collector, quiet time.Duration) []string {
	n, since := -1, time.Now()
	for {
		m := c.messages()
		if len(m) != n {
			n, since = len(m), time.Now()
		}
		if time.Since(since) >= quiet {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func once(t *testing.T, got []string, want ...string) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range got {
		seen[m]++
	}
	for _, w := range want {
		if seen[w] != 1 {
			t.Errorf("%q delivered %d times; all: %q", w, seen[w], got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d events, want %d: %q", len(got), len(want), got)
	}
}

var pad = strings.Repeat("x", 70) // past the test fingerprint (64 bytes)

const multilineYML = `  - type: filestream
    id: t
    paths: [$DIR/app.log*]
    rotation.external.strategy.copytruncate.suffix_regex: '\.\d$'
    parsers:
      - multiline: {pattern: '^\s', match: after, timeout: 300ms}
`

// logrotate's rename + create in the middle of a multiline event: with
// close.on_state_change.renamed the old reader stops before the event it
// holds, and the reader that finds the file under its new name reads the
// event whole. The event's lines are all written before the rename, so the
// documents are the same whether the multiline timeout fires before the
// rename or after it (no timing luck).
func TestMultilineRenameRotationMidEvent(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", "E1 "+pad+"\n", "  a\n", "  b\n")
	c := s.fsFollow(multilineYML + "    close.on_state_change.renamed: true\n")
	s.waitUntil("E1 read", func() bool { return s.metrics.Snapshot()["input.t.lines"] >= 3 })
	if err := os.Rename(s.path("app.log"), s.path("app.log.1")); err != nil {
		t.Fatal(err)
	}
	s.write("app.log", "E2 "+pad+"\n", "  c\n")
	s.waitFor(c, 2)
	once(t, s.settle(c, time.Second), "E1 "+pad+"\n  a\n  b", "E2 "+pad+"\n  c")
}

// copytruncate in the middle of a multiline event: the reader of the
// truncated file stops before the event, the copy's reader reads it whole
// (or, if the timeout fired first, on from after it: the same documents).
func TestMultilineCopyTruncateMidEvent(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", "E0 "+pad+"\n", "E1\n", "  a\n", "  b\n")
	c := s.fsFollow(multilineYML)
	s.waitFor(c, 1) // E0
	s.waitUntil("E1 read", func() bool { return s.metrics.Snapshot()["input.t.lines"] >= 4 })
	b, err := os.ReadFile(s.path("app.log"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.path("app.log.1"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(s.path("app.log"), 0); err != nil {
		t.Fatal(err)
	}
	s.write("app.log", "E2 "+pad+"\n", "  c\n")
	s.waitFor(c, 3)
	once(t, s.settle(c, time.Second), "E0 "+pad, "E1\n  a\n  b", "E2 "+pad+"\n  c")
}

// run runs in until the test ends.
func (s *scenario) run(in *Input, c *collector) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx, c); close(done) }()
	s.t.Cleanup(func() { cancel(); <-done })
}
