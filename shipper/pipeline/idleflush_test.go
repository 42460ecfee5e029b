package pipeline

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// Events that arrive while the only worker is busy go out as soon as it is
// free, not a flush.timeout later: a partial batch waits for the timer only
// while no worker could take it. (They waited up to flush.timeout, 1 s by
// default, when a worker freed up, or started, just after the batcher
// looked: `run --once` on a file sometimes ended a second late.) Run many
// times: the race is between two goroutines.
func TestPartialBatchSentWhenAWorkerFrees(t *testing.T) {
	m := monitoring.NewRegistry()
	out := blockedOutput{got: make(chan int), release: make(chan struct{})}
	// A flush timeout that never fires within the test: only a free worker
	// can send the second batch.
	p := New(Settings{QueueEvents: 64, BatchSize: 32, FlushTimeout: time.Hour, Workers: 1}, out, slog.New(slog.DiscardHandler), m)
	c := p.Connect(ClientConfig{Name: "input.t"}, m)
	p.Start()
	defer p.Close()
	if err := c.Publish(context.Background(), event.New(time.Now(), 0)); err != nil {
		t.Fatal(err)
	}
	const hang = time.Minute // hang detector: without the fix a batch waits for the 1 h timer
	select {
	case n := <-out.got:
		if n != 1 { // the idle worker took the first event alone
			t.Fatalf("first batch: %d events, want 1", n)
		}
	case <-time.After(hang):
		// The worker had not yet reached its wait when the event came.
		t.Fatalf("the first event was not sent within %s while the worker was free", hang)
	}
	// The worker is busy: these wait in the batcher.
	for range 5 {
		if err := c.Publish(context.Background(), event.New(time.Now(), 0)); err != nil {
			t.Fatal(err)
		}
	}
	for p.Pending() != 6 {
		time.Sleep(time.Millisecond) // polling a condition
	}
	out.release <- struct{}{} // the worker frees up
	select {
	case n := <-out.got:
		if n != 5 {
			t.Errorf("second batch: %d events, want the 5 held back", n)
		}
	case <-time.After(hang):
		t.Fatalf("the 5 events held back were not sent within %s of the worker freeing up", hang)
	}
	out.release <- struct{}{}
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}
