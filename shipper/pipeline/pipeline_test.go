package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// slowRandomOutput acknowledges batches after a random delay, so that with
// several workers they finish out of order.
type slowRandomOutput struct{}

func (slowRandomOutput) Publish(_ context.Context, b *Batch) error {
	time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
	b.AckAll()
	return nil
}
func (slowRandomOutput) Close() error { return nil }

// dropOdd drops events whose "n" is odd: filtered events still travel
// through the queue so that acknowledgements stay in order.
type dropOdd struct{}

func (dropOdd) Run(e *event.Event) (*event.Event, error) {
	if n, _ := e.Fields.Get("n"); n.(int64)%2 == 1 {
		return nil, nil
	}
	return e, nil
}
func (dropOdd) String() string { return "drop_odd" }

func TestACKsArriveInPublishOrder(t *testing.T) {
	m := monitoring.NewRegistry()
	p := New(Settings{QueueEvents: 64, BatchSize: 8, Workers: 4, FlushTimeout: time.Millisecond}, slowRandomOutput{}, slog.New(slog.DiscardHandler), m)
	var mu sync.Mutex
	var got []any
	c := p.Connect(ClientConfig{Name: "input.t", Processors: []processors.Processor{dropOdd{}}, ACK: func(privs []any) {
		mu.Lock()
		got = append(got, privs...)
		mu.Unlock()
	}}, m)
	p.Start()
	const n = 1000
	var want []any
	for i := range int64(n) {
		e := event.New(time.Now(), 1)
		e.Fields.Add("n", i)
		e.Private = i
		want = append(want, i)
		if err := c.Publish(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ACKed privates out of order or missing (-want +got):\n%s", d)
	}
	if f := m.Counter("pipeline.events.filtered").Load(); f != n/2 {
		t.Errorf("filtered = %d, want %d", f, n/2)
	}
	if a := m.Counter("output.events.acked").Load(); a != n/2 {
		t.Errorf("acked = %d, want %d", a, n/2)
	}
}

// blockedOutput never answers until released; with got, it first hands
// each batch's length to the test.
type blockedOutput struct {
	release chan struct{}
	got     chan int
}

func (o blockedOutput) Publish(ctx context.Context, b *Batch) error {
	if o.got != nil {
		o.got <- b.Len()
	}
	select {
	case <-o.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.AckAll()
	return nil
}
func (blockedOutput) Close() error { return nil }

func TestFullQueueBlocksPublishNeverDrops(t *testing.T) {
	m := monitoring.NewRegistry()
	out := blockedOutput{release: make(chan struct{})}
	p := New(Settings{QueueEvents: 16, BatchSize: 4, FlushTimeout: time.Millisecond}, out, slog.New(slog.DiscardHandler), m)
	c := p.Connect(ClientConfig{Name: "input.t"}, m)
	p.Start()
	defer p.Close()
	// 16 (queue.mem.events) fit; the 17th blocks (for as long as the
	// output does; 200 ms here) and is never dropped.
	for i := range 16 {
		if err := c.Publish(context.Background(), event.New(time.Now(), 0)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := c.Publish(ctx, event.New(time.Now(), 0)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the 17th Publish returned %v; want it blocked on the full queue", err)
	}
	close(out.release)
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a := m.Counter("output.events.acked").Load(); a != 16 {
		t.Errorf("acked %d, want 16", a)
	}
}

// memDLQ records dead letters.
type memDLQ struct {
	mu      sync.Mutex
	reasons []string
	fail    bool
}

func (d *memDLQ) Write(e *event.Event, status int, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail {
		d.fail = false
		return errors.New("disk full")
	}
	d.reasons = append(d.reasons, reason)
	return nil
}

type rejectAll struct{}

func (rejectAll) Publish(_ context.Context, b *Batch) error {
	for i := range b.Len() {
		b.DeadLetter(i, 400, "mapper_parsing_exception")
	}
	return nil
}
func (rejectAll) Close() error { return nil }

// A dead letter is final only once written; a failed write is retried.
func TestDeadLetterWrittenBeforeACK(t *testing.T) {
	m := monitoring.NewRegistry()
	dlq := &memDLQ{fail: true}
	p := New(Settings{QueueEvents: 8, BatchSize: 8, FlushTimeout: time.Millisecond, BackoffInit: time.Millisecond, BackoffMax: 2 * time.Millisecond, DeadLetter: dlq},
		rejectAll{}, slog.New(slog.DiscardHandler), m)
	var acked int
	var mu sync.Mutex
	c := p.Connect(ClientConfig{Name: "input.t", ACK: func(privs []any) { mu.Lock(); acked += len(privs); mu.Unlock() }}, m)
	p.Start()
	defer p.Close()
	c.Publish(context.Background(), event.New(time.Now(), 0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if acked != 1 || len(dlq.reasons) != 1 || m.Counter("output.events.dead_letter").Load() != 1 || m.Counter("output.events.retried").Load() != 1 {
		t.Errorf("acked=%d dead letters=%v counter=%d retried=%d", acked, dlq.reasons, m.Counter("output.events.dead_letter").Load(), m.Counter("output.events.retried").Load())
	}
}

// gatedOutput acknowledges one batch per value received on gate.
type gatedOutput struct{ gate chan struct{} }

func (o gatedOutput) Publish(ctx context.Context, b *Batch) error {
	select {
	case <-o.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.AckAll()
	return nil
}
func (gatedOutput) Close() error { return nil }

// Several inputs blocked on a full queue all resume as slots are freed:
// an acknowledgement frees a batch's slots with one wake-up, and each
// input that gets a slot passes the wake-up on while slots are left. Each
// input publishes one event, so the one woken cannot take the other freed
// slots itself: without the hand-off they stay empty while inputs wait
// (until the next acknowledgement). In a synctest bubble, "everyone that
// can move has moved" is synctest.Wait, not a guess at a duration.
func TestBlockedPublishersAllResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const slots, inputs = 4, 14
		m := monitoring.NewRegistry()
		out := gatedOutput{gate: make(chan struct{})}
		p := New(Settings{QueueEvents: slots, BatchSize: slots, Workers: 1, FlushTimeout: time.Millisecond}, out, slog.New(slog.DiscardHandler), m)
		var mu sync.Mutex
		acked := map[any]int{}
		var wg sync.WaitGroup
		defer wg.Wait() // after Close: a failed test leaves inputs blocked
		p.Start()
		defer p.Close()
		for in := range inputs {
			c := p.Connect(ClientConfig{Name: fmt.Sprint("input.", in), ACK: func(privs []any) {
				mu.Lock()
				for _, x := range privs {
					acked[x]++
				}
				mu.Unlock()
			}}, m)
			wg.Go(func() {
				e := event.New(time.Now(), 0)
				e.Private = in
				if err := c.Publish(context.Background(), e); err != nil && !t.Failed() {
					t.Errorf("input %d: publish: %v", in, err)
				}
			})
		}
		published := m.Counter("pipeline.events.published")
		for round := 0; ; round++ {
			synctest.Wait() // every input that can get a slot has one
			waiting := inputs - published.Load()
			if waiting > 0 && p.Pending() != slots {
				t.Fatalf("after %d acknowledged batches: %d inputs wait for a slot while %d of %d slots are taken (the wake-up was not passed on)",
					round, waiting, p.Pending(), slots)
			}
			if p.Pending() == 0 {
				break
			}
			out.gate <- struct{}{} // acknowledge the batch in flight
		}
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(acked) != inputs {
			t.Errorf("%d distinct events acknowledged, want %d", len(acked), inputs)
		}
		for x, n := range acked {
			if n != 1 {
				t.Errorf("event of input %v acknowledged %d times", x, n)
			}
		}
	})
}
