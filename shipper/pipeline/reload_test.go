package pipeline

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/monitoring"
)

// A reload stops the running pipeline with events not yet final (the
// output held them: they are read again from the cursor) and builds the
// next one on the same registry (the counters carry over). The next
// pipeline must not count the old one's events: its Pending (what Drain
// waits for) started at the old pipeline's leftovers, so every later stop
// waited the whole shutdown_timeout and reported events not acknowledged
// that were not its own; and the queue's gauges (pipeline.queue.filled and
// .filled.bytes) kept the old queue's events on top of the new queue's.
func TestClosedPipelineLeavesNothingPending(t *testing.T) {
	m := monitoring.NewRegistry()
	set := Settings{QueueEvents: 64, QueueBytes: 1 << 20, BatchSize: 4, FlushTimeout: time.Millisecond}
	old := New(set, blockedOutput{release: make(chan struct{})}, slog.New(slog.DiscardHandler), m)
	c := old.Connect(ClientConfig{Name: "input.t"}, m)
	old.Start()
	for i := range 10 {
		if err := c.Publish(context.Background(), bigEvent(i, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	next := New(set, ackOutput{}, slog.New(slog.DiscardHandler), m)
	next.Start()
	defer next.Close()
	if got := next.Pending(); got != 0 {
		t.Errorf("a new pipeline has %d events pending, want 0", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // nothing to wait for: Drain returns at once
	if err := next.Drain(ctx); err != nil {
		t.Errorf("Drain of a new pipeline: %v", err)
	}
	snap := m.Snapshot()
	for _, k := range []string{"pipeline.queue.filled", "pipeline.queue.filled.bytes"} {
		if snap[k] != 0 {
			t.Errorf("%s = %d after the pipeline holding them was closed, want 0", k, snap[k])
		}
	}
}
