package filestream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/state"
)

// collector is a pipeline.Client that acknowledges every event at once.
type collector struct {
	mu   sync.Mutex
	in   *Input
	msgs []string
	evs  []*event.Event
}

func (c *collector) Publish(_ context.Context, e *event.Event) error {
	c.mu.Lock()
	m, _ := e.Fields.GetString("message")
	c.msgs = append(c.msgs, m)
	c.evs = append(c.evs, e)
	c.mu.Unlock()
	c.in.ACKed([]any{e.Private})
	return nil
}

func (c *collector) messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// scenario is a directory with a log, a registry and a tailing input.
type scenario struct {
	t       *testing.T
	dir     string
	store   *state.Store
	metrics *monitoring.Registry
}

func newScenario(t *testing.T) *scenario {
	dir := t.TempDir()
	m := monitoring.NewRegistry()
	st, err := state.Open(filepath.Join(dir, "data"), time.Second, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &scenario{t: t, dir: dir, store: st, metrics: m}
}

func (s *scenario) path(name string) string { return filepath.Join(s.dir, name) }

func (s *scenario) write(name string, lines ...string) {
	s.t.Helper()
	f, err := os.OpenFile(s.path(name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		if _, err := io.WriteString(f, l); err != nil {
			s.t.Fatal(err)
		}
	}
}

func (s *scenario) input(cfg Config, once bool) (*Input, *collector) {
	s.t.Helper()
	in, err := New(cfg, inputs.Env{ID: "t", Store: s.store, Metrics: s.metrics, Once: once, Name: "input.t"},
		func(string) Parser { return plainParser{} })
	if err != nil {
		s.t.Fatal(err)
	}
	return in, &collector{in: in}
}

func (s *scenario) config(globs ...string) Config {
	c := DefaultConfig()
	for _, g := range globs {
		c.Paths = append(c.Paths, s.path(g))
	}
	c.Prospector.Scanner.CheckInterval = 50 * time.Millisecond
	c.Prospector.Scanner.Fingerprint.Length = 64
	c.Backoff.Init, c.Backoff.Max = 10*time.Millisecond, 20*time.Millisecond
	return c
}

// runOnce reads to the end and returns what was published.
func (s *scenario) runOnce(cfg Config) []string {
	s.t.Helper()
	in, c := s.input(cfg, true)
	if err := in.Run(context.Background(), c); err != nil {
		s.t.Fatal(err)
	}
	return c.messages()
}

// follow runs the input in the background until the test ends.
func (s *scenario) follow(cfg Config) *collector {
	in, c := s.input(cfg, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx, c); close(done) }()
	s.t.Cleanup(func() { cancel(); <-done })
	return c
}

// waitFor polls until the collector holds n messages. It fails only when
// nothing arrived for stallTimeout: a loaded machine is slow, not lossy.
func (s *scenario) waitFor(c *collector, n int) []string {
	s.t.Helper()
	last, deadline := -1, time.Time{}
	for {
		m := c.messages()
		if len(m) >= n {
			return m
		}
		if len(m) != last {
			last, deadline = len(m), time.Now().Add(stallTimeout)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("got %d messages, want %d (none new for %s): %q", len(m), n, stallTimeout, m)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitUntil polls cond until it holds or stallTimeout passed.
func (s *scenario) waitUntil(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(stallTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("waited %s for: %s", stallTimeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stallTimeout is how long a wait may see no progress before it fails.
const stallTimeout = 15 * time.Second

func numbered(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("line %06d %s\n", i, strings.Repeat("x", 40)))
	}
	return out
}

func trimmed(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimSuffix(l, "\n")
	}
	return out
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n got %d %q\nwant %d %q", what, len(got), got, len(want), want)
	}
}

func TestOnceReadsCompleteLinesAndResumes(t *testing.T) {
	s := newScenario(t)
	s.write("a.log", numbered(0, 3)...)
	s.write("a.log", "partial without newline")
	cfg := s.config("*.log")
	eq(t, "first run", s.runOnce(cfg), trimmed(numbered(0, 3)))
	s.store.Flush()
	s.write("a.log", " now finished\n")
	s.write("a.log", numbered(3, 5)...)
	want := append([]string{"partial without newline now finished"}, trimmed(numbered(3, 5))...)
	eq(t, "second run", s.runOnce(cfg), want)
}

func TestLongLinesAreTruncatedNotFatal(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("*.log")
	cfg.MaxBytes = 100
	cfg.BufferSize = 512
	s.write("a.log", numbered(0, 2)...)
	s.write("a.log", strings.Repeat("L", 5000)+"\n")
	s.write("a.log", numbered(2, 3)...)
	in, c := s.input(cfg, true)
	in.Run(context.Background(), c)
	got := c.messages()
	want := append(trimmed(numbered(0, 2)), strings.Repeat("L", 100))
	want = append(want, trimmed(numbered(2, 3))...)
	eq(t, "messages", got, want)
	if !c.evs[2].HasTag("truncated") {
		t.Errorf("truncated line not tagged: %v", c.evs[2].Fields)
	}
	if n := s.metrics.Counter("input.t.lines_truncated").Load(); n != 1 {
		t.Errorf("lines_truncated = %d, want 1", n)
	}
}

func TestRenameAndCreateKeepsStateAndReadsNewFile(t *testing.T) {
	s := newScenario(t)
	s.write("access.log", numbered(0, 10)...)
	c := s.follow(s.config("access.log*"))
	s.waitFor(c, 10)
	s.write("access.log", numbered(10, 12)...)
	if err := os.Rename(s.path("access.log"), s.path("access.log.1")); err != nil {
		t.Fatal(err)
	}
	s.write("access.log.1", numbered(12, 13)...) // the writer still holds the old file
	s.write("access.log", numbered(13, 20)...)
	got := s.waitFor(c, 20)
	seen := map[string]int{}
	for _, m := range got {
		seen[m]++
	}
	for _, l := range trimmed(numbered(0, 20)) {
		if seen[l] != 1 {
			t.Errorf("%q delivered %d times", l, seen[l])
		}
	}
}

func TestCopyTruncateReadsRotatedTailOnce(t *testing.T) {
	s := newScenario(t)
	s.write("access.log", numbered(0, 10)...)
	c := s.follow(s.config("access.log", "access.log.1"))
	s.waitFor(c, 10)
	// logrotate copytruncate: copy (with lines the reader has not seen yet),
	// then truncate, then the writer goes on.
	s.write("access.log", numbered(10, 15)...)
	b, _ := os.ReadFile(s.path("access.log"))
	os.WriteFile(s.path("access.log.1"), b, 0o600)
	os.Truncate(s.path("access.log"), 0)
	s.write("access.log", numbered(15, 25)...)
	got := s.waitFor(c, 25)
	time.Sleep(200 * time.Millisecond) // let any duplicate show up
	got = c.messages()
	seen := map[string]int{}
	for _, m := range got {
		seen[m]++
	}
	dups := 0
	for _, l := range trimmed(numbered(0, 25)) {
		if seen[l] == 0 {
			t.Errorf("%q lost", l)
		}
		dups += seen[l] - 1
	}
	// The reader may have read some of 10..14 from access.log before the
	// truncation; those are not read again from the copy.
	if dups != 0 {
		t.Errorf("%d duplicates after copytruncate: %q", dups, got)
	}
}

func TestTruncationInNativeModeRestartsAtZero(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("a.log")
	cfg.FileIdentity = "native"
	s.write("a.log", numbered(0, 5)...)
	c := s.follow(cfg)
	s.waitFor(c, 5)
	os.Truncate(s.path("a.log"), 0)
	s.write("a.log", "new 1\n", "new 2\n")
	got := s.waitFor(c, 7)
	eq(t, "after truncation", got[5:], []string{"new 1", "new 2"})
}

func TestHarvesterLimitReadsAllFiles(t *testing.T) {
	s := newScenario(t)
	const files = 60
	for i := range files {
		s.write(fmt.Sprintf("f%03d.log", i), numbered(i*3, i*3+3)...)
	}
	cfg := s.config("*.log")
	cfg.HarvesterLim = 7
	in, c := s.input(cfg, true)
	maxOpen := int64(0)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			if n := s.metrics.Counter("input.t.files.open").Load(); n > maxOpen {
				maxOpen = n
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	})
	in.Run(context.Background(), c)
	close(stop)
	wg.Wait()
	if got := len(c.messages()); got != files*3 {
		t.Errorf("read %d lines, want %d", got, files*3)
	}
	if maxOpen > 7 {
		t.Errorf("%d files open at once, harvester_limit is 7", maxOpen)
	}
}

func TestLineReader(t *testing.T) {
	f := func(input string, bufSize, max int, want ...string) {
		t.Helper()
		lr := newLineReader(strings.NewReader(input), 0, bufSize, max)
		var got []string
		var last int64
		for {
			line, start, end, trunc, err := lr.next()
			if err != nil {
				break
			}
			if start != last {
				t.Errorf("line %q starts at %d, want %d", line, start, last)
			}
			last = end
			s := string(line)
			if trunc {
				s += "…"
			}
			got = append(got, s)
		}
		eq(t, fmt.Sprintf("lines of %q", input), got, want)
	}
	f("a\nbb\n\nccc", 4, 100, "a", "bb", "")
	f("0123456789\nab\n", 4, 5, "01234…", "ab")
	f("x\r\n", 512, 100, "x\r")
	f("", 512, 100)
}

func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nbb\n\nccc"), uint16(4), uint16(3))
	f.Add(bytes.Repeat([]byte("x"), 3000), uint16(512), uint16(1000))
	f.Fuzz(func(t *testing.T, data []byte, buf, max uint16) {
		if max == 0 {
			max = 1
		}
		lr := newLineReader(bytes.NewReader(data), 0, int(buf)+1, int(max))
		var end int64
		for {
			line, start, e, trunc, err := lr.next()
			if err != nil {
				break
			}
			if start != end || e <= start || len(line) > int(max) || e > int64(len(data)) || data[e-1] != '\n' {
				t.Fatalf("bad line %q [%d,%d) trunc=%v after %d", line, start, e, trunc, end)
			}
			if !trunc && !bytes.Equal(line, data[start:e-1]) {
				t.Fatalf("line %q != data %q", line, data[start:e-1])
			}
			end = e
		}
		if i := bytes.LastIndexByte(data, '\n'); int64(i+1) != end {
			t.Fatalf("stopped at %d, last newline ends at %d", end, i+1)
		}
	})
}

func TestPartialLastLineShippedWhenInactive(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("a.log")
	cfg.Close.OnStateChange.Inactive = 150 * time.Millisecond
	s.write("a.log", numbered(0, 3)...)
	s.write("a.log", "no newline at the end")
	c := s.follow(cfg)
	got := s.waitFor(c, 4)
	eq(t, "messages", got, append(trimmed(numbered(0, 3)), "no newline at the end"))
	s.write("a.log", " - more\n")
	time.Sleep(300 * time.Millisecond)
	s.write("a.log", numbered(3, 4)...)
	got = s.waitFor(c, 6)
	eq(t, "after the writer came back", got[4:], []string{" - more", trimmed(numbered(3, 4))[0]})
}

func TestCleanInactiveForgetsOldCursors(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("*.log")
	s.write("a.log", numbered(0, 3)...)
	s.runOnce(cfg)
	keys := s.store.Keys("filestream::t::")
	if len(keys) != 1 {
		t.Fatalf("keys = %v", keys)
	}
	old := cursor{Offset: 1, Path: s.path("a.log"), Updated: time.Now().Add(-48 * time.Hour)}
	s.store.Set(keys[0], old)
	cfg.IgnoreOlder = time.Hour
	cfg.CleanInactive = 25 * time.Hour
	os.Chtimes(s.path("a.log"), time.Now().Add(-48*time.Hour), time.Now().Add(-48*time.Hour))
	in, c := s.input(cfg, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx, c); close(done) }()
	deadline := time.Now().Add(2 * time.Minute) // hang detector; the loop ends when the condition holds
	for len(s.store.Keys("filestream::t::")) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if k := s.store.Keys("filestream::t::"); len(k) != 0 {
		t.Errorf("cursor of a file inactive for 48h still there with clean_inactive 25h: %v", k)
	}
	if len(c.messages()) != 0 {
		t.Errorf("a file older than ignore_older was read: %q", c.messages())
	}
	cfg.CleanInactive = 30 * time.Minute
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "clean_inactive: must be greater than ignore_older") {
		t.Errorf("Validate with clean_inactive < ignore_older = %v", err)
	}
}

// Rotated-away files leave no trace in memory or the registry: a
// long-running shipper does not grow with every rotation.
func TestRemovedFilesAreForgotten(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("*.log")
	in, c := s.input(cfg, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx, c); close(done) }()
	defer func() { cancel(); <-done }()
	for gen := range 5 {
		name := fmt.Sprintf("gen%d.log", gen)
		s.write(name, numbered(gen*3, gen*3+3)...)
		s.waitFor(c, gen*3+3)
		os.Remove(s.path(name))
	}
	deadline := time.Now().Add(2 * time.Minute) // hang detector; the loop ends when the condition holds
	for {
		in.mu.Lock()
		n := len(in.readTo) + len(in.harvesters)
		in.mu.Unlock()
		keys := s.store.Keys("filestream::t::")
		if n == 0 && len(keys) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 files were read and removed: %d read offsets/harvesters kept, registry keys %v", n, keys)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
