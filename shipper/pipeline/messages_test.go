package pipeline

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Dead-lettered events are logged at WARN when they happen (count and the
// first reason), not only in the stop summary; at most one message per
// interval, the rest summed into the next one (issue 19).
func TestDeadLetteredBatchesLoggedAtWarnRateLimited(t *testing.T) {
	m := monitoring.NewRegistry()
	var logs syncLog
	p := New(Settings{QueueEvents: 8, BatchSize: 2, FlushTimeout: time.Millisecond, BackoffInit: time.Millisecond, BackoffMax: 2 * time.Millisecond, DeadLetter: &memDLQ{}},
		rejectAll{}, slog.New(slog.NewTextHandler(&logs, nil)), m)
	now := time.Unix(1000, 0)
	var clock sync.Mutex
	p.now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	c := p.Connect(ClientConfig{Name: "input.t", ACK: func([]any) {}}, m)
	// Both events are queued before the pipeline starts, so that they are
	// one batch: published one by one into a running pipeline, an idle
	// worker may take the first alone (then the first warning counts 1,
	// and the second is held back: seen on a loaded machine).
	for range 2 {
		c.Publish(context.Background(), event.New(time.Now(), 0))
	}
	p.Start()
	defer p.Close()
	drain := func() {
		if err := p.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	drain()
	if n := strings.Count(logs.String(), "events dead-lettered"); n != 1 {
		t.Fatalf("%d dead-letter warnings after one batch, want 1:\n%s", n, logs.String())
	}
	l := logs.String()
	if !strings.Contains(l, "level=WARN") || !strings.Contains(l, "events=2") || !strings.Contains(l, "first_reason=mapper_parsing_exception") || !strings.Contains(l, "status=400") {
		t.Errorf("warning lacks level, count, status or reason:\n%s", l)
	}
	// Within the interval: no new line; after it, one line with the sum.
	for range 4 {
		c.Publish(context.Background(), event.New(time.Now(), 0))
	}
	drain()
	if n := strings.Count(logs.String(), "events dead-lettered"); n != 1 {
		t.Fatalf("%d warnings within the rate-limit interval, want 1:\n%s", n, logs.String())
	}
	clock.Lock()
	now = now.Add(time.Minute)
	clock.Unlock()
	c.Publish(context.Background(), event.New(time.Now(), 0))
	drain()
	if n := strings.Count(logs.String(), "events dead-lettered"); n != 2 || !strings.Contains(logs.String(), "events=5") {
		t.Errorf("after the interval want a second warning counting the 4 held back + 1 (events=5):\n%s", logs.String())
	}
}

type failOutput struct{}

func (failOutput) Publish(context.Context, *Batch) error { return errors.New("connection refused") }
func (failOutput) Close() error                          { return nil }

// A failed request is not a batch sent: /stats must not show batches
// rising while nothing listens (issue 19).
func TestFailedAttemptsAreNotCountedAsSent(t *testing.T) {
	m := monitoring.NewRegistry()
	p := New(Settings{QueueEvents: 8, BatchSize: 8, FlushTimeout: time.Millisecond, BackoffInit: time.Millisecond, BackoffMax: 2 * time.Millisecond},
		failOutput{}, slog.New(slog.DiscardHandler), m)
	c := p.Connect(ClientConfig{Name: "input.t", ACK: func([]any) {}}, m)
	p.Start()
	c.Publish(context.Background(), event.New(time.Now(), 0))
	for m.Counter("output.batches.failed").Load() < 3 {
		time.Sleep(time.Millisecond) // polling a condition, not a deadline
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.Drain(ctx)
	p.Close()
	snap := m.Snapshot()
	for k, v := range snap {
		if strings.Contains(k, "batches") && strings.Contains(k, "sent") && v != 0 {
			t.Errorf("%s = %d after only failed attempts, want 0", k, v)
		}
	}
}
