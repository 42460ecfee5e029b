package state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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
func TestFailedWritesBackOff(t *testing.T) {
	dir := t.TempDir()
	m := monitoring.NewRegistry()
	s, err := Open(dir, 0, m)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var waits []time.Duration
	ctx, cancel := context.WithCancel(context.Background())
	s.pause = func(ctx context.Context, d time.Duration) {
		waits = append(waits, d)
		if len(waits) == 8 {
			cancel()
		}
	}
	os.RemoveAll(dir)
	if err := s.Set("k", 1); err == nil {
		t.Fatal("Set wrote into a removed directory")
	}
	s.signal()
	s.Run(ctx)
	if len(waits) < 8 {
		t.Fatalf("Run ended after %d pauses", len(waits))
	}
	for i, d := range waits {
		if d <= 0 || i > 0 && d < waits[i-1] {
			t.Fatalf("pauses after failed writes %v: want positive and growing", waits)
		}
	}
	if waits[len(waits)-1] <= waits[0] || waits[len(waits)-1] > maxRetryPause {
		t.Errorf("pauses %v: want growing up to %v", waits, maxRetryPause)
	}
	if n := m.Counter("registry.write_errors").Load(); n < 8 {
		t.Errorf("registry.write_errors = %d, want ≥ 8", n)
	}
}
