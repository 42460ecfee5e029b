package filestream

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// forgetful acknowledges every event at once and keeps nothing of it, as
// the pipeline does once an event is final.
type forgetful struct {
	in *Input
	n  atomic.Int64
}

func (f *forgetful) Publish(_ context.Context, e *event.Event) error {
	f.in.ACKed([]any{e.Private})
	event.Release(e)
	f.n.Add(1)
	return nil
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestAcknowledgedLinesAreNotRetained: once its events are final and
// released, a harvester keeps nothing of the lines it read. The events'
// ackPoints come in chunks of 256 and hold each line's message (what the
// _id is rendered from, and where the message is boxed from): the chunk
// being filled kept every message of the last up to 256 lines alive, with
// 100 KiB lines 25 MiB that queue.mem.bytes (1 MiB here, 8 MiB by
// default) does not count and memory_limit does not expect.
func TestAcknowledgedLinesAreNotRetained(t *testing.T) {
	const size, n = 100 << 10, 200
	s := newScenario(t)
	lines := make([]string, n)
	for i := range lines {
		lines[i] = strings.Repeat(string(rune('a'+i%26)), size) + "\n"
	}
	s.write("big.log", lines...)
	cfg := s.config("big.log")
	cfg.MaxBytes = 2 * size
	in, _ := s.input(cfg, false)
	out := &forgetful{in: in}
	base := liveHeap()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx, out) }()
	defer func() { cancel(); <-done }()
	for out.n.Load() < n {
		select {
		case err := <-done:
			t.Fatalf("the input ended: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	// The harvester is at the end of the file, waiting for more: what
	// it holds now it holds for as long as the file is quiet.
	grew := int64(liveHeap()) - int64(base)
	t.Logf("live heap %.1f MiB larger after %d lines of %d KiB", float64(grew)/(1<<20), n, size>>10)
	if grew > 8<<20 {
		t.Errorf("after %d lines of %d KiB were acknowledged and released the live heap is %.1f MiB larger, want at most 8 (a line buffer or two)",
			n, size>>10, float64(grew)/(1<<20))
	}
}
