//go:build linux

package file

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// TestWriteFailureIsNotForever: a write that fails (the disk full, here a
// file size limit: the real write(2) stops short, then fails with EFBIG)
// fails the batch, which the pipeline sends again; once the disk has room
// the output writes it. It did not: bufio.Writer keeps its first error, so
// every later Publish failed until a restart, and the input stalled. The
// part of the batch written before the failure is a torn line that must
// not swallow the first document written after it.
func TestWriteFailureIsNotForever(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Path, cfg.BufferSize = dir, 64*config.ByteSize(1)
	m := monitoring.NewRegistry()
	o, err := New(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	batch := func(name string) *pipeline.Batch {
		var evs []*event.Event
		for i := range 10 {
			e := event.New(time.Unix(int64(i), 0), 1)
			e.Fields.Add("message", fmt.Sprintf("%s-%d a line of some length ..........................", name, i))
			evs = append(evs, e)
		}
		return pipeline.NewTestBatch(evs...)
	}
	if err := o.Publish(context.Background(), batch("one")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "shipper.ndjson")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	// Writes past the limit fail with EFBIG instead of killing the process.
	signal.Ignore(syscall.SIGXFSZ)
	defer signal.Reset(syscall.SIGXFSZ)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	small := lim
	small.Cur = uint64(fi.Size()) + 150 // inside the second document
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
		t.Fatal(err)
	}
	err = o.Publish(context.Background(), batch("two"))
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	if err == nil {
		t.Fatal("Publish past the file size limit succeeded")
	}
	// The disk has room again; the pipeline sends the batch again.
	if err := o.Publish(context.Background(), batch("two")); err != nil {
		t.Fatalf("Publish once the disk has room again: %v", err)
	}
	if err := o.Publish(context.Background(), batch("three")); err != nil {
		t.Fatalf("the next Publish: %v", err)
	}
	o.Close()

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var doc struct{ Message string }
		if json.Unmarshal([]byte(l), &doc) == nil {
			seen[strings.Fields(doc.Message)[0]] = true
			continue
		}
		if !strings.HasPrefix(l, `{"@timestamp":`) || strings.Count(l, `{"@timestamp":`) > 1 {
			t.Errorf("a line that is neither a document nor a torn one: %s", l)
		}
	}
	for _, name := range []string{"one", "two", "three"} {
		for i := range 10 {
			if k := fmt.Sprintf("%s-%d", name, i); !seen[k] {
				t.Errorf("document %s is not in the file", k)
			}
		}
	}
	if t.Failed() {
		t.Logf("file:\n%s", b)
	}
}
