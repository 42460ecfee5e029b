//go:build linux

package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// rotEnv is an output.file with small files (1 KiB, 3 generations) and
// the documents published to it, named d0, d1, … in order.
type rotEnv struct {
	t    *testing.T
	dir  string
	m    *monitoring.Registry
	o    *Output
	next int // the next document's number
}

func newRotEnv(t *testing.T) *rotEnv {
	t.Helper()
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Path, cfg.RotateEveryKB, cfg.NumberOfFiles = dir, 1, 3
	m := monitoring.NewRegistry()
	o, err := New(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return &rotEnv{t: t, dir: dir, m: m, o: o}
}

// batch is the next 4 documents, about 130 bytes each: a file holds 7.
func (e *rotEnv) batch() *pipeline.Batch {
	var evs []*event.Event
	for range 4 {
		ev := event.New(time.Unix(int64(e.next), 0), 1)
		ev.Fields.Add("message", fmt.Sprintf("d%d a line of some length ..........................", e.next))
		evs = append(evs, ev)
		e.next++
	}
	return pipeline.NewTestBatch(evs...)
}

func (e *rotEnv) path(gen int) string {
	p := filepath.Join(e.dir, "shipper.ndjson")
	if gen > 0 {
		p += "." + fmt.Sprint(gen)
	}
	return p
}

func (e *rotEnv) exists(gen int) bool {
	_, err := os.Stat(e.path(gen))
	return err == nil
}

// publishUntil publishes batches until cond holds (at most 100 batches).
func (e *rotEnv) publishUntil(what string, cond func() bool) {
	e.t.Helper()
	for range 100 {
		if cond() {
			return
		}
		if err := e.o.Publish(context.Background(), e.batch()); err != nil {
			e.t.Fatalf("Publish (waiting for %s): %v", what, err)
		}
	}
	e.t.Fatalf("100 batches and still not %s", what)
}

// check: every document published is in one of the files, or counted in
// output.file.events_rotated_out (the documents deleted with the oldest
// file), and nothing else was counted there. Callers stop before a file
// holding a document twice (written again after a failed Publish) is
// deleted, so the counts are exact.
func (e *rotEnv) check() {
	e.t.Helper()
	inFiles := map[string]bool{}
	for gen := range 3 {
		b, err := os.ReadFile(e.path(gen))
		if os.IsNotExist(err) || errors.Is(err, syscall.EISDIR) {
			continue
		}
		if err != nil {
			e.t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			var doc struct{ Message string }
			if err := json.Unmarshal([]byte(l), &doc); err != nil {
				e.t.Errorf("%s: a line that is not a document: %q", e.path(gen), l)
				continue
			}
			inFiles[strings.Fields(doc.Message)[0]] = true
		}
	}
	var missing []string
	for i := range e.next {
		if name := fmt.Sprintf("d%d", i); !inFiles[name] {
			missing = append(missing, name)
		}
	}
	if out := e.m.Counter("output.file.events_rotated_out").Load(); out != int64(len(missing)) {
		e.t.Errorf("%d documents of %d are in no file (%v), output.file.events_rotated_out = %d: want them counted, and only them",
			len(missing), e.next, missing, out)
	}
}

// TestRotationRenameFailsInTheMiddle: a rotation whose rename of .1 to .2
// fails (here .2 is a directory; a read-only directory does not stop
// root) must not go on and rename the current file over .1, which deletes
// .1's documents without a count. The rotation fails the batch instead,
// as a full disk does: the pipeline sends it again, and once the rename
// can be done the rotation resumes and every document is in a file or
// counted as rotated out.
func TestRotationRenameFailsInTheMiddle(t *testing.T) {
	e := newRotEnv(t)
	e.publishUntil(".1 written", func() bool { return e.exists(1) && !e.exists(2) })

	// .1 cannot be renamed to .2.
	if err := os.MkdirAll(filepath.Join(e.path(2), "in-the-way"), 0o750); err != nil {
		t.Fatal(err)
	}
	b := e.batch()
	var err error
	for range 20 { // the batch that reaches the limit
		if err = e.o.Publish(context.Background(), b); err != nil {
			break
		}
		b = e.batch()
	}
	if err == nil {
		e.check() // what the rotation that went on did
		t.Fatal("Publish succeeded 20 times while .1 could not be renamed: the rotation went on")
	}
	if !strings.Contains(err.Error(), e.path(1)) {
		t.Errorf("Publish: %v; want the error to name %s, which could not be renamed", err, e.path(1))
	}
	// The pipeline sends it again: it fails while the rename does.
	if err := e.o.Publish(context.Background(), b); err == nil {
		t.Error("Publish succeeded again while .1 cannot be renamed")
	}

	// The way is clear: the same batch, then rotations as before.
	if err := os.RemoveAll(e.path(2)); err != nil {
		t.Fatal(err)
	}
	if err := e.o.Publish(context.Background(), b); err != nil {
		t.Fatalf("Publish once .1 can be renamed: %v", err)
	}
	e.publishUntil("a rotation that deletes the oldest file", func() bool {
		return e.m.Counter("output.file.events_rotated_out").Load() > 0
	})
	e.check()
}

// TestRotationOpenFailsAfterTheRenames: the renames are done and the new
// file cannot be opened (out of file descriptors): the batch fails, and
// the next Publish opens the file and writes it.
func TestRotationOpenFailsAfterTheRenames(t *testing.T) {
	e := newRotEnv(t)
	e.publishUntil(".1 written", func() bool { return e.exists(1) })

	// Out of descriptors: the limit at the output's own descriptor (freed
	// by the rotation, then above the limit), every descriptor below it in
	// use.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = uint64(e.o.f.Fd())
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	var fill []int
	for {
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY, 0)
		if err != nil {
			break
		}
		fill = append(fill, fd)
	}
	var b *pipeline.Batch
	var perr error
	for range 20 { // the batch that reaches the limit
		b = e.batch()
		if perr = e.o.Publish(context.Background(), b); perr != nil {
			break
		}
	}
	for _, fd := range fill {
		syscall.Close(fd)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if perr == nil {
		t.Fatal("Publish succeeded 20 times without a descriptor for a new file")
	}

	// Descriptors are back: the batch again, then until the oldest goes.
	if err := e.o.Publish(context.Background(), b); err != nil {
		t.Fatalf("Publish once descriptors are back: %v", err)
	}
	e.publishUntil("a rotation that deletes the oldest file", func() bool {
		return e.m.Counter("output.file.events_rotated_out").Load() > 0
	})
	e.check()
}
