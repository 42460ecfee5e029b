package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// faultyFile wraps the dead-letter file and fails on demand like a full
// disk: a write stores only part of its bytes and returns ENOSPC.
type faultyFile struct {
	dlFile
	partialWrites int   // the next n writes store half their bytes and fail
	failSyncs     int   // the next n syncs fail
	truncateErr   error // every Truncate fails with this
}

func (f *faultyFile) Write(b []byte) (int, error) {
	if f.partialWrites > 0 {
		f.partialWrites--
		n, _ := f.dlFile.Write(b[:len(b)/2])
		return n, &os.PathError{Op: "write", Path: "dead_letter.ndjson", Err: syscall.ENOSPC}
	}
	return f.dlFile.Write(b)
}

func (f *faultyFile) Sync() error {
	if f.failSyncs > 0 {
		f.failSyncs--
		return &os.PathError{Op: "sync", Path: "dead_letter.ndjson", Err: syscall.EIO}
	}
	return f.dlFile.Sync()
}

func (f *faultyFile) Truncate(size int64) error {
	if f.truncateErr != nil {
		return f.truncateErr
	}
	return f.dlFile.Truncate(size)
}

func dlEvent(id string) *event.Event {
	e := event.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), 1)
	e.Fields.Add("message", "line "+id)
	e.Meta.ID = id
	return e
}

// dlLines reads the dead-letter file: the ids of the entries that parse,
// and how many lines do not.
func dlLines(t *testing.T, path string) (ids []string, bad int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("the file does not end with a complete line: %q", b[max(0, len(b)-40):])
	}
	for l := range bytes.SplitSeq(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		var e struct {
			ID    string          `json:"id"`
			Event json.RawMessage `json:"event"`
		}
		if json.Unmarshal(l, &e) != nil || len(e.Event) == 0 {
			bad++
			continue
		}
		ids = append(ids, e.ID)
	}
	return ids, bad
}

// Issue 18 #6: a write that fails half-way (ENOSPC) left a torn line that
// swallowed the next entry. It is cut back to the last complete line, and
// the failed event (retried by the pipeline) is written whole later.
func TestDeadLetterFailedWriteIsCutBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		ff   faultyFile
	}{
		{"partial write", faultyFile{partialWrites: 1}},
		{"failed fsync", faultyFile{failSyncs: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := monitoring.NewRegistry()
			d, err := OpenDeadLetter(t.TempDir(), 1<<20, m)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if err := d.Write(dlEvent("a"), 400, "bad"); err != nil {
				t.Fatal(err)
			}
			ff := tc.ff
			ff.dlFile = d.f
			d.f = &ff
			if err := d.Write(dlEvent("b"), 400, "bad"); !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EIO) {
				t.Fatalf("Write on a full disk = %v, want the disk's error", err)
			}
			for _, id := range []string{"b", "c"} { // b is the pipeline's retry
				if err := d.Write(dlEvent(id), 400, "bad"); err != nil {
					t.Fatal(err)
				}
			}
			ids, bad := dlLines(t, d.Path())
			if fmt.Sprint(ids) != "[a b c]" || bad != 0 {
				t.Errorf("entries %v and %d unreadable lines, want [a b c] and none", ids, bad)
			}
			fi, _ := os.Stat(d.Path())
			if got := m.Counter("dead_letter.bytes").Load(); got != fi.Size() {
				t.Errorf("dead_letter.bytes = %d, file size %d", got, fi.Size())
			}
			if got := m.Counter("dead_letter.events").Load(); got != 3 {
				t.Errorf("dead_letter.events = %d, want 3", got)
			}
		})
	}
}

// When the cut-back fails too, the torn line stays, but the next entry
// starts on a line of its own: one unreadable line, no entry lost.
func TestDeadLetterTornLineWhenCutBackFails(t *testing.T) {
	d, err := OpenDeadLetter(t.TempDir(), 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Write(dlEvent("a"), 400, "bad")
	d.f = &faultyFile{dlFile: d.f, partialWrites: 1, truncateErr: errors.New("truncate: read-only file system")}
	if err := d.Write(dlEvent("b"), 400, "bad"); err == nil {
		t.Fatal("Write on a full disk succeeded")
	}
	d.Write(dlEvent("b"), 400, "bad")
	d.Write(dlEvent("c"), 400, "bad")
	ids, bad := dlLines(t, d.Path())
	if fmt.Sprint(ids) != "[a b c]" || bad != 1 {
		t.Errorf("entries %v and %d unreadable lines, want [a b c] and the torn one", ids, bad)
	}
}

// A torn last line left by a crash (or an older version) does not swallow
// the first entry written after the restart.
func TestDeadLetterReopenAfterTornLine(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenDeadLetter(dir, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.Write(dlEvent("a"), 400, "bad")
	d.Close()
	f, _ := os.OpenFile(filepath.Join(dir, DeadLetterName), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"@timestamp":"2026-01-02T03:04:05.000Z","status":400,"rea`)
	f.Close()
	d, err = OpenDeadLetter(dir, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Write(dlEvent("b"), 400, "bad")
	ids, bad := dlLines(t, d.Path())
	if fmt.Sprint(ids) != "[a b]" || bad != 1 {
		t.Errorf("entries %v and %d unreadable lines, want [a b] and the torn one", ids, bad)
	}
}
