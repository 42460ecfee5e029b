package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// ackOutput acknowledges every batch at once.
type ackOutput struct{}

func (ackOutput) Publish(_ context.Context, b *Batch) error { b.AckAll(); return nil }
func (ackOutput) Close() error                              { return nil }

// bigEvent is an event whose message is n fresh bytes (its own
// allocation, as a line read from a file).
func bigEvent(i, n int) *event.Event {
	e := event.New(time.Now(), 1)
	e.Fields.Add("message", string(bytes.Repeat([]byte{'a' + byte(i%26)}, n)))
	e.Private = i
	return e
}

// waitingPublishers is how many Publish calls wait for room in the queue.
func (q *memQueue) waitingPublishers() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// queue.mem.bytes bounds what the queue holds while the output is stuck:
// with events of 100 KiB and room for 2048 events, the queue takes about
// bound/100KiB of them and Publish then blocks, so the heap grows by about
// the bound, not by 2048 × 100 KiB. Once the output answers, the blocked
// Publish resumes and every event is acknowledged once, in order
// (issue 17: large events must not blow the resident size past
// memory_limit).
func TestQueueBytesBoundsLargeEventsWhileOutputBlocked(t *testing.T) {
	const size, n, bound = 100 << 10, 200, 1 << 20
	m := monitoring.NewRegistry()
	out := blockedOutput{release: make(chan struct{})}
	p := New(Settings{QueueEvents: 2048, QueueBytes: bound, BatchSize: 1600, FlushTimeout: time.Millisecond}, out, slog.New(slog.DiscardHandler), m)
	var mu sync.Mutex
	var acked []any
	c := p.Connect(ClientConfig{Name: "input.t", ACK: func(privs []any) {
		mu.Lock()
		acked = append(acked, privs...)
		mu.Unlock()
	}}, m)
	p.Start()
	defer p.Close()

	base := heapInUse()
	var wg sync.WaitGroup
	var want []any
	for i := range n {
		want = append(want, i)
	}
	wg.Go(func() {
		for i := range n {
			if err := c.Publish(context.Background(), bigEvent(i, size)); err != nil {
				t.Errorf("publish %d: %v", i, err)
				return
			}
		}
	})
	published := m.Counter("pipeline.events.published")
	waitProgress(t, "Publish blocked on the full queue (or every event queued)", func() int { return int(published.Load()) },
		func(v int) bool { return p.q.waitingPublishers() > 0 || v == n })
	got := published.Load()
	if max := int64(bound/size + 1); got > max {
		t.Errorf("with queue.mem.bytes %d and events of %d bytes the queue took %d events, want at most %d", bound, size, got, max)
	}
	grown := int64(heapInUse()) - int64(base)
	if grown > 3*bound {
		t.Errorf("the live heap grew by %d bytes with the output blocked, want at most %d (3 × queue.mem.bytes)", grown, 3*bound)
	}
	if b := m.Counter("pipeline.queue.filled.bytes").Load(); b < got*size || b > got*(size+4096) {
		t.Errorf("pipeline.queue.filled.bytes = %d with %d events of %d bytes queued", b, got, size)
	}

	close(out.release)
	wg.Wait()
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if d := cmp.Diff(want, acked); d != "" {
		t.Errorf("acknowledged out of order or not once each (-want +got):\n%s", d)
	}
	if b, f := m.Counter("pipeline.queue.filled.bytes").Load(), m.Counter("pipeline.queue.filled").Load(); b != 0 || f != 0 {
		t.Errorf("after the drain pipeline.queue.filled.bytes = %d, pipeline.queue.filled = %d, want 0", b, f)
	}
}

// An event larger than queue.mem.bytes still passes: the queue takes an
// event while it holds less than the bound (as Beats' memory queue does),
// so it enters an empty queue alone, and the next one waits for it.
func TestQueueBytesEventLargerThanTheBoundPasses(t *testing.T) {
	const bound = 64 << 10
	m := monitoring.NewRegistry()
	out := blockedOutput{release: make(chan struct{})}
	p := New(Settings{QueueEvents: 64, QueueBytes: bound, BatchSize: 16, FlushTimeout: time.Millisecond}, out, slog.New(slog.DiscardHandler), m)
	c := p.Connect(ClientConfig{Name: "input.t"}, m)
	p.Start()
	defer p.Close()
	if err := c.Publish(context.Background(), bigEvent(0, 1<<20)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Publish(context.Background(), bigEvent(1, 10)) }()
	waitUntil(t, "the small event waiting behind the large one", func() bool { return p.q.waitingPublishers() == 1 })
	select {
	case err := <-done:
		t.Fatalf("the event after one of 1 MiB (queue.mem.bytes 64 KiB) was queued at once: %v", err)
	default:
	}
	close(out.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := range 5 { // more large ones, one after the other
		if err := c.Publish(context.Background(), bigEvent(i, 1<<20)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a := m.Counter("output.events.acked").Load(); a != 7 {
		t.Errorf("acked %d, want 7", a)
	}
}

// When the bytes bound stops Publish before a batch is full, the batcher
// sends what it holds instead of waiting for flush.timeout (an hour here):
// nothing more can arrive until something is acknowledged.
func TestQueueBytesFullSendsPartialBatch(t *testing.T) {
	const size, n = 64 << 10, 300
	m := monitoring.NewRegistry()
	p := New(Settings{QueueEvents: 2048, QueueBytes: 256 << 10, BatchSize: 1600, FlushTimeout: time.Hour}, ackOutput{}, slog.New(slog.DiscardHandler), m)
	c := p.Connect(ClientConfig{Name: "input.t"}, m)
	p.Start()
	defer p.Close()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			if err := c.Publish(context.Background(), bigEvent(i, size)); err != nil {
				t.Errorf("publish %d: %v", i, err)
				return
			}
		}
	})
	acked := m.Counter("output.events.acked")
	waitProgress(t, "every event acknowledged", func() int { return int(acked.Load()) }, func(v int) bool { return v == n })
	wg.Wait()
}

// Without queue.mem.bytes nothing is measured: the gauge stays 0.
func TestQueueBytesOff(t *testing.T) {
	m := monitoring.NewRegistry()
	out := blockedOutput{release: make(chan struct{})}
	p := New(Settings{QueueEvents: 4, BatchSize: 4, FlushTimeout: time.Millisecond}, out, slog.New(slog.DiscardHandler), m)
	c := p.Connect(ClientConfig{Name: "input.t"}, m)
	p.Start()
	defer p.Close()
	for i := range 4 {
		if err := c.Publish(context.Background(), bigEvent(i, 1<<20)); err != nil {
			t.Fatal(err)
		}
	}
	if b := m.Counter("pipeline.queue.filled.bytes").Load(); b != 0 {
		t.Errorf("pipeline.queue.filled.bytes = %d without queue.mem.bytes, want 0", b)
	}
	close(out.release)
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// eventSize's estimate is the bytes of keys and strings plus fixed
// overheads, and counts nested values.
func TestEventSize(t *testing.T) {
	e := event.New(time.Time{}, 4)
	base := eventSize(e)
	if base != eventOverhead {
		t.Errorf("eventSize(empty) = %d, want %d", base, eventOverhead)
	}
	e.Meta.ID = "0123456789"
	e.Fields.Add("message", "hello")            // 7 + 5
	e.Fields.Add("n", int64(3))                 // 1
	e.Fields.Add("tags", []string{"ab", "c"})   // 4 + 24 + 2×16 + 3
	e.Fields.Add("j", map[string]any{"k": "v"}) // 1 + 48 + 32 + 1 + 1
	e.Fields.Add("l", []any{"xy", 1.0})         // 1 + 24 + (16 + 2) + (16 + 0)
	e.Fields.Add("r", event.RawJSON(`{"a":1}`)) // 1 + 7
	want := int32(eventOverhead + 10 + 6*fieldOverhead + 12 + 1 + 63 + 83 + 59 + 8)
	if got := eventSize(e); got != want {
		t.Errorf("eventSize = %d, want %d", got, want)
	}
}

// BenchmarkEventSize: the cost queue.mem.bytes adds to each Publish, on an
// event shaped as a squid line's (33 fields, mostly strings).
func BenchmarkEventSize(b *testing.B) {
	e := event.New(time.Now(), 40)
	for i := range 33 {
		switch {
		case i%6 == 5:
			e.Fields.Add(fmt.Sprintf("field.number%d", i), int64(i))
		case i == 30:
			e.Fields.Add("tags", []string{"router", "squid"})
		default:
			e.Fields.Add(fmt.Sprintf("field.name%d", i), "some value of a squid line")
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		eventSize(e)
	}
}
