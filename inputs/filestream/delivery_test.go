package filestream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// faultClient runs before(n) ahead of the n-th publish call (from 1): an
// error refuses the event, as a full disk queue does; otherwise the event
// goes to the collector.
type faultClient struct {
	*collector
	mu     sync.Mutex
	calls  int
	before func(n int) error
}

func (f *faultClient) Publish(ctx context.Context, e *event.Event) error {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.mu.Unlock()
	if err := f.before(n); err != nil {
		return err
	}
	return f.collector.Publish(ctx, e)
}

// Issue 18, defect 3: a line the pipeline refused must be offered again by
// the next harvester of the file, not skipped.
func TestFailedPublishIsRetriedNotSkipped(t *testing.T) {
	s := newScenario(t)
	s.write("a.log", numbered(0, 10)...)
	in, c := s.input(s.config("a.log"), false)
	fc := &faultClient{collector: c, before: func(n int) error {
		if n == 4 {
			return errors.New("queue.disk write: no space left on device")
		}
		return nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx, fc); close(done) }()
	defer func() { cancel(); <-done }()
	eq(t, "delivered", s.waitFor(c, 10), trimmed(numbered(0, 10)))
}

// Issue 18, defect 10: the unterminated last line of a removed file is
// shipped when its harvester closes, as on the inactive path.
func TestPartialLastLineShippedWhenRemoved(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("a.log")
	cfg.Close.OnStateChange.Inactive = time.Hour // only the removal closes it
	s.write("a.log", numbered(0, 3)...)
	s.write("a.log", "no newline at the end")
	c := s.follow(cfg)
	s.waitFor(c, 3)
	if err := os.Remove(s.path("a.log")); err != nil {
		t.Fatal(err)
	}
	eq(t, "messages", s.waitFor(c, 4), append(trimmed(numbered(0, 3)), "no newline at the end"))
}

// With --once too: a file removed while it is read loses no line.
func TestOncePartialLastLineShippedWhenRemoved(t *testing.T) {
	s := newScenario(t)
	s.write("a.log", numbered(0, 3)...)
	s.write("a.log", "no newline at the end")
	in, c := s.input(s.config("a.log"), true)
	fc := &faultClient{collector: c, before: func(n int) error {
		if n == 1 {
			return os.Remove(s.path("a.log")) // logrotate's delete, mid-read
		}
		return nil
	}}
	if err := in.Run(context.Background(), fc); err != nil {
		t.Fatal(err)
	}
	eq(t, "messages", c.messages(), append(trimmed(numbered(0, 3)), "no newline at the end"))
}

// A file renamed away keeps its unterminated last line for the harvester
// that finds it under its new name (it may still be written to).
func TestPartialLastLineOfRenamedFileWaits(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("a.log*")
	cfg.Close.OnStateChange.Inactive = time.Minute // the rename, not inactivity, closes it
	s.write("a.log", numbered(0, 3)...)
	s.write("a.log", "unfinished")
	c := s.follow(cfg)
	s.waitFor(c, 3)
	if err := os.Rename(s.path("a.log"), s.path("a.log.1")); err != nil {
		t.Fatal(err)
	}
	// Wait until the harvester noticed the rename and closed (a new one may
	// already have opened a.log.1), then let the writer finish the line.
	s.waitUntil("the harvester closes after the rename", func() bool {
		return s.metrics.Counter("input.t.files.open").Load() == 0 || s.metrics.Counter("input.t.files.opened").Load() >= 2
	})
	s.write("a.log.1", " and finished\n")
	eq(t, "messages", s.waitFor(c, 4), append(trimmed(numbered(0, 3)), "unfinished and finished"))
}

// ids returns the _id of every event the collector got.
func (c *collector) ids() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.evs {
		out = append(out, e.Meta.DocID())
	}
	return out
}

// Issue 18, defect 8: with path or native identity a new file (rename
// rotation, copytruncate) reuses the identity of the old one; its lines
// must not get the _ids of the old lines at the same offsets, or
// Elasticsearch refuses them as duplicates (409) and they are never indexed.
func TestNewContentAtSameOffsetGetsNewIDs(t *testing.T) {
	newLines := func(from, to int) []string { // same lengths, other bytes
		var out []string
		for _, l := range numbered(from, to) {
			out = append(out, "LINE"+l[4:])
		}
		return out
	}
	for _, tc := range []struct {
		identity string
		rotate   func(s *scenario)
	}{
		{"path", func(s *scenario) { os.Rename(s.path("a.log"), s.path("old")) }},
		{"native", func(s *scenario) { os.Truncate(s.path("a.log"), 0) }}, // copytruncate
	} {
		t.Run(tc.identity, func(t *testing.T) {
			s := newScenario(t)
			cfg := s.config("a.log")
			cfg.FileIdentity = fileIdentity(tc.identity)
			s.write("a.log", numbered(0, 5)...)
			in, c := s.input(cfg, true)
			in.Run(context.Background(), c)
			tc.rotate(s)
			s.write("a.log", newLines(0, 3)...)
			in, c2 := s.input(cfg, true)
			in.Run(context.Background(), c2)
			eq(t, "second run", c2.messages(), trimmed(newLines(0, 3)))
			seen := map[string]string{}
			for i, id := range append(c.ids(), c2.ids()...) {
				msg := append(c.messages(), c2.messages()...)[i]
				if prev, dup := seen[id]; dup {
					t.Errorf("_id %s given to %q and to %q", id, prev, msg)
				}
				seen[id] = msg
			}
		})
	}
}

// The _id of a line read again (crash, restart without a cursor) is the
// same, so Elasticsearch refuses the copy.
func TestReReadLineKeepsItsID(t *testing.T) {
	for _, identity := range []string{"fingerprint", "native", "path"} {
		t.Run(identity, func(t *testing.T) {
			s := newScenario(t)
			cfg := s.config("a.log")
			cfg.FileIdentity = fileIdentity(identity)
			s.write("a.log", numbered(0, 5)...)
			in, c := s.input(cfg, true)
			in.Run(context.Background(), c)
			for _, k := range s.store.Keys("") {
				s.store.Delete(k) // the registry was lost
			}
			in, c2 := s.input(cfg, true)
			in.Run(context.Background(), c2)
			eq(t, "_ids of the second read", c2.ids(), c.ids())
			if len(c.ids()) != 5 {
				t.Fatalf("read %d lines, want 5", len(c.ids()))
			}
		})
	}
}

// Issue 18, defect 9: a file shorter than the fingerprint is shipped (a
// rotated log starts small), also by --once; when it grows, its cursor moves
// to the fingerprint identity, so nothing is read twice or skipped.
func TestSmallFileShippedThenAdopted(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("a.log") // fingerprint: 64 bytes
	s.write("a.log", "short\n")
	in, c := s.input(cfg, true)
	in.Run(context.Background(), c)
	eq(t, "small file", c.messages(), []string{"short"})
	s.write("a.log", numbered(0, 2)...)
	in, c2 := s.input(cfg, true)
	in.Run(context.Background(), c2)
	eq(t, "once long enough", c2.messages(), trimmed(numbered(0, 2)))
	keys := s.store.Keys("filestream::t::")
	if len(keys) != 1 || !strings.Contains(keys[0], "::fingerprint::") {
		t.Errorf("registry keys = %v, want the fingerprint's only", keys)
	}
	// A re-read (registry lost) gives every line the _id it had.
	for _, k := range keys {
		s.store.Delete(k)
	}
	in, c3 := s.input(cfg, true)
	in.Run(context.Background(), c3)
	eq(t, "_ids on a re-read", c3.ids(), append(c.ids(), c2.ids()...))
}

func TestSmallFileGrowsWhileFollowed(t *testing.T) {
	s := newScenario(t)
	s.write("a.log", "first\n")
	c := s.follow(s.config("a.log"))
	s.waitFor(c, 1)
	s.write("a.log", "second\n")
	s.waitFor(c, 2)
	s.write("a.log", numbered(0, 3)...) // past the fingerprint now
	s.write("a.log", numbered(3, 6)...)
	s.waitFor(c, 8)
	time.Sleep(100 * time.Millisecond) // let a second reader show up
	eq(t, "messages", c.messages(), append([]string{"first", "second"}, trimmed(numbered(0, 6))...))
	keys := s.store.Keys("filestream::t::")
	if len(keys) != 1 || !strings.Contains(keys[0], "::fingerprint::") {
		t.Errorf("registry keys = %v, want the fingerprint's only", keys)
	}
}

// A new small file after a rename rotation is not taken for the old one
// (also small), and both are read to their end once.
func TestSmallFilesRenameRotation(t *testing.T) {
	s := newScenario(t)
	s.write("a.log", "old 1\n")
	c := s.follow(s.config("a.log*"))
	s.waitFor(c, 1)
	if err := os.Rename(s.path("a.log"), s.path("a.log.1")); err != nil {
		t.Fatal(err)
	}
	s.write("a.log.1", "old 2\n") // the writer still holds it
	s.write("a.log")              // logrotate's create: empty at first (no harvester until it has bytes)
	s.write("a.log", "new 1\n")
	s.waitFor(c, 3)
	time.Sleep(100 * time.Millisecond) // let a second reader show up
	got := c.messages()
	sort.Strings(got)
	eq(t, "messages", got, []string{"new 1", "old 1", "old 2"})
}

// A small file rewritten in place (copytruncate, or a new file on a reused
// inode) is read from its start, not from the old cursor.
func TestSmallFileReplacedInPlace(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("a.log")
	s.write("a.log", "aaa\n")
	eq(t, "first", s.runOnce(cfg), []string{"aaa"})
	os.Truncate(s.path("a.log"), 0)
	s.write("a.log", "bbbbbb\n")
	eq(t, "after the rewrite", s.runOnce(cfg), []string{"bbbbbb"})
}

// An over-long last line without its newline is shipped cut, like any
// over-long line, when its file is deleted (or goes inactive).
func TestOverLongPartialLastLineShippedWhenRemoved(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("a.log")
	cfg.MaxBytes, cfg.BufferSize = 100, 512
	s.write("a.log", numbered(0, 2)...)
	s.write("a.log", strings.Repeat("L", 5000))
	in, c := s.input(cfg, true)
	fc := &faultClient{collector: c, before: func(n int) error {
		if n == 1 {
			return os.Remove(s.path("a.log"))
		}
		return nil
	}}
	if err := in.Run(context.Background(), fc); err != nil {
		t.Fatal(err)
	}
	eq(t, "messages", c.messages(), append(trimmed(numbered(0, 2)), strings.Repeat("L", 100)))
	if !c.evs[2].HasTag("truncated") {
		t.Errorf("cut line not tagged: %v", c.evs[2].Fields)
	}
}

// A file that starts small and grows while it is read, line by line, is
// read exactly once across the adoption of its fingerprint.
func TestSmallFileGrowingFastIsReadOnce(t *testing.T) {
	s := newScenario(t)
	s.write("a.log")
	c := s.follow(s.config("a.log*"))
	const n = 2000
	for i := range n {
		s.write("a.log", fmt.Sprintf("%d\n", i))
	}
	s.waitFor(c, n)
	time.Sleep(100 * time.Millisecond) // let a second reader show up
	got := c.messages()
	if len(got) != n {
		t.Errorf("read %d lines, want %d", len(got), n)
	}
	for i, m := range got {
		if m != fmt.Sprint(i) {
			t.Fatalf("line %d = %q, want %d", i, m, i)
		}
	}
	if keys := s.store.Keys("filestream::t::"); len(keys) != 1 || !strings.Contains(keys[0], "::fingerprint::") {
		t.Errorf("registry keys = %v, want the fingerprint's only", keys)
	}
}

// A file still shorter than the fingerprint resumes at its cursor.
func TestSmallFileResumes(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("a.log")
	s.write("a.log", "a\n")
	eq(t, "first", s.runOnce(cfg), []string{"a"})
	s.write("a.log", "b\n")
	eq(t, "second", s.runOnce(cfg), []string{"b"})
}

// Found by the fault harness (seed 119560): logrotate's copytruncate
// creates the copy empty and fills it; a scan in between started a
// provisional harvester on the empty copy, which then read the copy's first
// lines under the copy's inode (new _ids: stored twice) before adopting the
// fingerprint the original already had. An empty file has nothing to read:
// no harvester starts until it has bytes, by which time a copy holds a
// whole first chunk and shows its fingerprint.
func TestEmptyFileStartsNoHarvester(t *testing.T) {
	s := newScenario(t)
	s.write("access.log", numbered(0, 10)...)
	if err := os.WriteFile(s.path("access.log.1"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	in, c := s.input(s.config("access.log*"), false)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	in.scan(ctx, c, &wg)
	in.mu.Lock()
	var paths []string
	for _, h := range in.harvesters {
		paths = append(paths, filepath.Base(h.path))
	}
	in.mu.Unlock()
	cancel()
	wg.Wait()
	if len(paths) != 1 || paths[0] != "access.log" {
		t.Errorf("harvesters after a scan: %q; want only access.log (the empty copy has nothing to read)", paths)
	}
}

// Found by the fault harness (seeds 581254, 835128): under fingerprint
// identity, lines in a file's first bytes got an _id from the file's inode.
// logrotate's copytruncate copies them to a new inode, where they are read
// again (the copy is shorter than the fingerprint, or the cursor had not
// passed them): new _ids, stored twice. Their _id now comes from the bytes
// before and of the line, which a copy keeps.
func TestHeadLinesKeepTheirIDsInACopy(t *testing.T) {
	s := newScenario(t)
	cfg := s.config("*.log") // fingerprint: 64 bytes
	s.write("a.log", "one\n", "two\n")
	in, c := s.input(cfg, true)
	in.Run(context.Background(), c)
	b, _ := os.ReadFile(s.path("a.log"))
	if err := os.WriteFile(s.path("b.log"), b, 0o600); err != nil { // the copy: another inode
		t.Fatal(err)
	}
	os.Truncate(s.path("a.log"), 0)
	in, c2 := s.input(cfg, true)
	in.Run(context.Background(), c2)
	eq(t, "the copy's lines, read again", c2.messages(), []string{"one", "two"})
	eq(t, "their _ids", c2.ids(), c.ids())
	// Other bytes at the same offsets still get other _ids.
	s.write("c.log", "one\n", "TWO\n")
	in, c3 := s.input(s.config("c.log"), true)
	in.Run(context.Background(), c3)
	if got := c3.ids(); len(got) != 2 || got[0] != c.ids()[0] || got[1] == c.ids()[1] {
		t.Errorf("c.log _ids %q vs a.log %q: want the same first (same bytes from the start), another second", got, c.ids())
	}
}

// The _id rendered on demand (issue 17: output.file never asks for it) is
// the _id of issue 18: docID of the line's bytes, '\r' included when
// line_terminator: auto cut it off, for plain, CRLF, empty and truncated
// lines; a decoded line (other bytes than its message) gets it at once.
func TestLazyIDIsTheLineID(t *testing.T) {
	for _, tc := range []struct {
		name     string
		encoding string
		lines    []string
	}{
		{"plain", "plain", []string{"a plain line\n", "a CRLF line\r\n", "\r\n", "\n", strings.Repeat("x", 50) + "\n", "last\n"}},
		{"decoded", "windows-1252", []string{"caf\xe9 \x80 line\n", "ascii line\n"}}, // ASCII: not decoded
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenario(t)
			s.write("a.log", tc.lines...)
			cfg := s.config("a.log")
			cfg.Encoding = encoding(tc.encoding)
			cfg.MaxBytes = 40
			in, c := s.input(cfg, true)
			if err := in.Run(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(s.path("a.log"))
			if len(c.evs) != len(tc.lines) {
				t.Fatalf("%d events, want %d", len(c.evs), len(tc.lines))
			}
			for i, e := range c.evs {
				off, _ := e.Fields.Get("log.offset")
				start := off.(int64)
				raw := data[start:]
				raw = raw[:bytes.IndexByte(raw, '\n')]
				if len(raw) > int(cfg.MaxBytes) {
					raw = raw[:cfg.MaxBytes]
				}
				id := e.Meta.DocID()
				pfx := id[:max(0, len(id)-len(strconv.FormatInt(start, 36))-12)]
				if want := docID(pfx, start, raw); id != want {
					t.Errorf("line %d %q: _id %q, want %q", i, raw, id, want)
				}
				want := tc.encoding == "plain" || !bytes.ContainsFunc(raw, func(r rune) bool { return r >= 0x80 })
				if lazy := e.Meta.ID == "" && e.Meta.IDFrom != nil; lazy != want {
					t.Errorf("line %d %q: rendered on demand %v, want %v", i, raw, lazy, want)
				}
			}
		})
	}
}
