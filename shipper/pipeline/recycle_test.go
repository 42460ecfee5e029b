package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// checkEvent reports an event whose "n" is not its Private: it was
// recycled (and published again) while the pipeline still held it.
func checkEvent(e *event.Event) error {
	n, _ := e.Fields.Get("n")
	if n != e.Private {
		return fmt.Errorf("event with n=%v carries Private %v: reused before it was final", n, e.Private)
	}
	return nil
}

// chaosOutput fails whole requests, retries and dead-letters items at
// random, checks every event it is handed and remembers which events
// (pointers) it saw. It keeps none past Publish.
type chaosOutput struct {
	mu   sync.Mutex
	r    *rand.Rand
	seen map[*event.Event]bool
	errs []error
}

func (o *chaosOutput) EventsNotRetained() {}

func (o *chaosOutput) Publish(_ context.Context, b *Batch) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range b.Len() {
		e := b.Event(i)
		o.seen[e] = true
		if err := checkEvent(e); err != nil {
			o.errs = append(o.errs, err)
		}
		_ = event.AppendJSON(nil, e)
	}
	if o.r.IntN(5) == 0 {
		return errors.New("connection reset")
	}
	for i := range b.Len() {
		switch o.r.IntN(10) {
		case 0, 1:
			b.Retry(i, 429, "too many requests")
		case 2:
			b.DeadLetter(i, 400, "mapper_parsing_exception")
		default:
			b.Ack(i)
		}
	}
	return nil
}

func (o *chaosOutput) Close() error { return nil }

// checkingDLQ checks the events it writes and keeps none.
type checkingDLQ struct {
	mu   sync.Mutex
	n    int
	errs []error
}

func (d *checkingDLQ) EventsNotRetained() {}

func (d *checkingDLQ) Write(e *event.Event, _ int, _ string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n++
	if err := checkEvent(e); err != nil {
		d.errs = append(d.errs, err)
	}
	return nil
}

// Pooled events go back to their pool only once final and acknowledged:
// through failed requests, retried and dead-lettered items and 3 workers
// finishing out of order, no event is reused while the pipeline holds
// it, and every Private comes back once, in order.
func TestRecycledEventsAreNotReusedBeforeFinal(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	out := &chaosOutput{r: rand.New(rand.NewPCG(seed, 1)), seen: map[*event.Event]bool{}}
	dlq := &checkingDLQ{}
	m := monitoring.NewRegistry()
	p := New(Settings{QueueEvents: 32, BatchSize: 8, Workers: 3, FlushTimeout: time.Millisecond,
		BackoffInit: time.Microsecond, BackoffMax: 10 * time.Microsecond, DeadLetter: dlq}, out, slog.New(slog.DiscardHandler), m)
	if !p.recycle {
		t.Fatal("an output and a dead-letter writer that keep no event: the pipeline does not recycle")
	}
	var mu sync.Mutex
	var got []any
	c := p.Connect(ClientConfig{Name: "input.t", Processors: nil, ACK: func(privs []any) {
		mu.Lock()
		got = append(got, privs...)
		mu.Unlock()
	}}, m)
	p.Start()
	defer p.Close()
	const n = 3000
	pool := event.NewPool(2)
	var want []any
	for i := range int64(n) {
		e := pool.Get(time.Unix(1795594303, 0))
		e.Fields.Add("n", i)
		e.Private = i
		want = append(want, i)
		if err := c.Publish(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.Close()
	mu.Lock()
	defer mu.Unlock()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ACKed privates (-want +got):\n%s", d)
	}
	for _, err := range append(out.errs, dlq.errs...) {
		t.Error(err)
	}
	if len(out.seen) >= n {
		t.Errorf("%d events published, %d distinct ones reached the output: none was recycled", n, len(out.seen))
	}
	if dlq.n == 0 {
		t.Errorf("no dead letter written (seed %d): the test did not cover them", seed)
	}
}

// keepingOutput keeps every event it is handed (it does not implement
// EventsNotRetained).
type keepingOutput struct {
	mu   sync.Mutex
	kept []*event.Event
}

func (o *keepingOutput) Publish(_ context.Context, b *Batch) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range b.Len() {
		o.kept = append(o.kept, b.Event(i))
	}
	b.AckAll()
	return nil
}

func (o *keepingOutput) Close() error { return nil }

// With an output that may keep events, pooled events are never recycled.
func TestEventsNotRecycledForAnOutputThatKeepsThem(t *testing.T) {
	out := &keepingOutput{}
	m := monitoring.NewRegistry()
	p := New(Settings{QueueEvents: 16, BatchSize: 4, FlushTimeout: time.Millisecond}, out, slog.New(slog.DiscardHandler), m)
	c := p.Connect(ClientConfig{Name: "input.t"}, m)
	p.Start()
	defer p.Close()
	pool := event.NewPool(1)
	const n = 500
	for i := range int64(n) {
		e := pool.Get(time.Unix(1795594303, 0))
		e.Fields.Add("n", i)
		e.Private = i
		if err := c.Publish(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if len(out.kept) != n {
		t.Fatalf("output got %d events, want %d", len(out.kept), n)
	}
	for i, e := range out.kept {
		if e.Private != int64(i) || checkEvent(e) != nil {
			t.Fatalf("kept event %d changed after its acknowledgement: n=%v Private=%v", i, e.Fields, e.Private)
		}
	}
}

// With queue.disk an event is encoded into the queue by Publish, and
// recycled right after: what is delivered is what was published.
func TestDiskQueueRecyclesEncodedEvents(t *testing.T) {
	r := newDiskRig(t, t.TempDir(), 1<<20, false)
	defer r.p.Close()
	pool := event.NewPool(2)
	lines := msgs(0, 2000)
	seen := map[*event.Event]bool{}
	for i, l := range lines {
		e := pool.Get(time.Unix(1795594303, 0))
		e.Fields.Add("message", l)
		e.Private = l
		seen[e] = true
		if err := r.c.Publish(context.Background(), e); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if err := r.p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "every event delivered", func() bool { return len(r.out.messages()) >= len(lines) })
	if d := cmp.Diff(lines, r.out.messages()); d != "" {
		t.Errorf("delivered (-want +got):\n%s", d)
	}
	if len(seen) >= len(lines) {
		t.Errorf("%d events published through the disk queue, none recycled", len(lines))
	}
}
