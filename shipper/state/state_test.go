package state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/monitoring"
)

type cur struct {
	Offset int64 `json:"offset"`
}

func TestSetFlushReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("filestream::a::x", cur{42})
	s.Set("filestream::a::y", cur{7})
	s.Delete("filestream::a::y")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var c cur
	if ok, err := s.Get("filestream::a::x", &c); !ok || err != nil || c.Offset != 42 {
		t.Errorf("Get = %v %v %+v, want offset 42", ok, err, c)
	}
	if ok, _ := s.Get("filestream::a::y", &c); ok {
		t.Error("deleted key came back")
	}
	if got := s.Keys("filestream::a::"); len(got) != 1 {
		t.Errorf("Keys = %v", got)
	}
}

func TestSecondShipperOnSamePathDataIsRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(dir, time.Second, nil); err == nil || !strings.Contains(err.Error(), "in use by another shipper") {
		t.Errorf("second Open = %v", err)
	}
}

func TestCorruptRegistryIsAClearError(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), []byte(`{"version":1,"cursors":{`), 0o600)
	_, err := Open(dir, time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "is corrupt") || !strings.Contains(err.Error(), "move it away") {
		t.Errorf("Open = %v", err)
	}
}

// A crash in the middle of a write leaves a temporary file behind, never a
// torn registry: the last good state is read.
func TestLeftoverTempFileDoesNotMatter(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, time.Second, nil)
	s.Set("k", cur{1})
	s.Close()
	os.WriteFile(filepath.Join(dir, FileName+".tmp-123"), []byte(`{"version":1,"cur`), 0o600)
	s, err := Open(dir, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var c cur
	if ok, _ := s.Get("k", &c); !ok || c.Offset != 1 {
		t.Errorf("after a torn temp file: %v %+v", ok, c)
	}
}

// However many Sets, Run writes at most once per flush interval.
func TestRunCoalescesWrites(t *testing.T) {
	m := monitoring.NewRegistry()
	s, err := Open(t.TempDir(), 100*time.Millisecond, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	start := time.Now()
	for i := int64(0); time.Since(start) < 500*time.Millisecond; i++ {
		s.Set("k", cur{i})
	}
	elapsed := time.Since(start)
	cancel()
	<-done
	s.Close()
	writes := m.Counter("registry.writes").Load()
	budget := int64(elapsed/(100*time.Millisecond)) + 2 // + the first write and the final one
	if writes < 2 || writes > budget {
		t.Errorf("%d registry writes in %s with flush 100ms, want 2..%d", writes, elapsed.Round(time.Millisecond), budget)
	}
}

func TestFlushZeroWritesBeforeSetReturns(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, 0, nil)
	defer s.Close()
	s.Set("k", cur{9})
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !strings.Contains(string(b), `"offset":9`) {
		t.Errorf("registry file after Set with flush 0: %s", b)
	}
}

// A registry that cannot be written (path.data removed, flash full or
// read-only) is retried with a growing pause, never in a loop: with
// registry.flush 0 the retry used to follow the failure at once, a core
// spinning on the failing write.
//
// The pause is a fake that records its argument and returns at once, so
// the test waits for no clock. Each failed write is counted
// (registry.write_errors) before its pause: more failures than pauses
// + 1 means a retry without a pause, and the test stops Run and fails
// instead of hanging in the loop it checks.
func TestFailedWritesBackOff(t *testing.T) {
	dir := t.TempDir()
	m := monitoring.NewRegistry()
	s, err := Open(dir, 0, m)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const want = 8
	var mu sync.Mutex
	var waits []time.Duration
	pauses := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(waits)
	}
	s.pause = func(ctx context.Context, d time.Duration) {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
	}
	os.RemoveAll(dir)
	if err := s.Set("k", 1); err == nil {
		t.Fatal("Set wrote into a removed directory")
	}
	errs := m.Counter("registry.write_errors")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	s.signal()
	stop := func() {
		cancel()
		<-done
	}
	// Wait on progress, not on a clock: failed writes or pauses must keep
	// coming; nothing moving for 30 s means Run is stuck.
	last, lastMove := int64(-1), time.Now()
	for {
		n, p := errs.Load(), pauses()
		if n > int64(p)+1 {
			stop()
			t.Fatalf("%d failed registry writes but only %d pauses: a failed write was retried without a pause", n, p)
		}
		if p >= want {
			break
		}
		if progress := n + int64(p); progress != last {
			last, lastMove = progress, time.Now()
		} else if time.Since(lastMove) > 30*time.Second {
			stop()
			t.Fatalf("no failed write counted (registry.write_errors) and no pause for 30 s (at %d and %d): Run is stuck, or retries without counting or pausing", n, p)
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	for i, d := range waits {
		if d <= 0 || i > 0 && d < waits[i-1] {
			t.Fatalf("pauses after failed writes %v: want positive and growing", waits)
		}
	}
	if waits[len(waits)-1] <= waits[0] || waits[len(waits)-1] > maxRetryPause {
		t.Errorf("pauses %v: want growing up to %v", waits, maxRetryPause)
	}
	if n := errs.Load(); n < want {
		t.Errorf("registry.write_errors = %d, want ≥ %d", n, want)
	}
}
