package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// flakyOutput fails every request while down.
type flakyOutput struct {
	down atomic.Bool
	mu   sync.Mutex
	got  []string
}

func (o *flakyOutput) Publish(_ context.Context, b *Batch) error {
	if o.down.Load() {
		return errors.New("connection refused")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range b.Len() {
		m, _ := b.Event(i).Fields.GetString("message")
		o.got = append(o.got, m)
	}
	b.AckAll()
	return nil
}

func (o *flakyOutput) Close() error { return nil }

func (o *flakyOutput) messages() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.got...)
}

func msgs(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("event %05d", i))
	}
	return out
}

type diskRig struct {
	p     *Pipeline
	out   *flakyOutput
	c     Client
	mu    sync.Mutex
	acked []any
	m     *monitoring.Registry
}

func newDiskRig(t *testing.T, dir string, maxSize int64, down bool) *diskRig {
	t.Helper()
	return newDiskRigWith(t, dir, DiskQueueSettings{Path: dir, MaxSize: maxSize, SegmentSize: 4096, SyncInterval: 10 * time.Millisecond}, down)
}

func newDiskRigWith(t *testing.T, dir string, set DiskQueueSettings, down bool) *diskRig {
	t.Helper()
	r := &diskRig{out: &flakyOutput{}, m: monitoring.NewRegistry()}
	r.out.down.Store(down)
	r.p = New(Settings{QueueEvents: 64, BatchSize: 16, FlushTimeout: 10 * time.Millisecond,
		BackoffInit: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond}, r.out, slog.New(slog.DiscardHandler), r.m)
	if err := r.p.EnableDiskQueue(set); err != nil {
		t.Fatal(err)
	}
	r.c = r.p.Connect(ClientConfig{Name: "input.t", ACK: func(p []any) {
		r.mu.Lock()
		r.acked = append(r.acked, p...)
		r.mu.Unlock()
	}}, r.m)
	r.p.Start()
	return r
}

func (r *diskRig) publish(ctx context.Context, lines []string) (int, error) {
	for i, l := range lines {
		e := event.New(time.Unix(1795594303, 0), 2)
		e.Fields.Add("message", l)
		e.Fields.Add("n", int64(i))
		e.Private = l
		if err := r.c.Publish(ctx, e); err != nil {
			return i, err
		}
	}
	return len(lines), nil
}

func (r *diskRig) ackedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.acked)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// Not a time limit on the shipper: only a hang detector for a
	// condition that has no progress to watch.
	deadline := time.Now().Add(5 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEventRecordRoundTrip(t *testing.T) {
	e := event.New(time.Unix(1795594303, 206_000_001), 8)
	e.Meta = event.Meta{Index: "i", ID: "id-1", Pipeline: "p"}
	e.Fields.Add("s", "x\"\n€")
	e.Fields.Add("i", int64(-3))
	e.Fields.Add("u", uint64(1<<63))
	e.Fields.Add("f", 0.25)
	e.Fields.Add("b", true)
	e.Fields.Add("tags", []string{"a", "b"})
	e.Fields.Add("t", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	e.Fields.Add("geo", event.GeoPoint{Lat: 1.5, Lon: -2.25})
	e.Fields.Add("m", map[string]any{"k": []any{1.0, "v"}})
	got, err := DecodeEventRecord(AppendEventRecord(nil, e))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := string(event.AppendJSON(nil, e)), string(event.AppendJSON(nil, got)); a != b {
		t.Errorf("document after the disk round trip:\n got %s\nwant %s", b, a)
	}
	if got.Meta != e.Meta || !got.Timestamp.Equal(e.Timestamp) {
		t.Errorf("meta/time = %+v %v, want %+v %v", got.Meta, got.Timestamp, e.Meta, e.Timestamp)
	}
}

// Elasticsearch down: inputs keep going (their events are acknowledged once
// on disk), then everything is delivered once, in order.
func TestDiskQueueAbsorbsAnOutage(t *testing.T) {
	r := newDiskRig(t, t.TempDir(), 1<<20, true)
	defer r.p.Close()
	lines := msgs(0, 500)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if n, err := r.publish(ctx, lines); err != nil {
		t.Fatalf("publish blocked after %d events while the output was down: %v", n, err)
	}
	waitUntil(t, "input acknowledgements from the disk queue", func() bool { return r.ackedCount() == len(lines) })
	if got := len(r.out.messages()); got != 0 {
		t.Fatalf("output received %d events while down", got)
	}
	r.out.down.Store(false)
	waitUntil(t, "delivery", func() bool { return len(r.out.messages()) >= len(lines) })
	if err := r.p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(lines, r.out.messages()); d != "" {
		t.Errorf("delivered (-want +got):\n%s", d)
	}
}

func TestDiskQueueFullPausesInputs(t *testing.T) {
	r := newDiskRig(t, t.TempDir(), 16<<10, true)
	defer r.p.Close()
	// Publish until the queue is full: the publisher blocks (it neither
	// fails nor drops) and the pause is visible.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() { n, err := r.publish(ctx, msgs(0, 5000)); done <- result{n, err} }()
	paused := r.m.Counter("queue.disk.paused.full")
	written := r.m.Counter("queue.disk.events_written")
	waitProgress(t, "the queue to fill", func() int { return int(written.Load()) }, func(int) bool { return paused.Load() == 1 })
	cancel()
	res := <-done
	if !errors.Is(res.err, context.Canceled) {
		t.Fatalf("publish returned %v after %d events; want it blocked on the full queue until cancelled", res.err, res.n)
	}
	n := res.n
	if n < 50 || n > 1000 {
		t.Errorf("%d events fit in a 16 KiB queue", n)
	}
	t.Logf("%d events queued before inputs were paused", n)
	r.out.down.Store(false)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	if _, err := r.publish(ctx2, msgs(n, n+200)); err != nil {
		t.Fatalf("publish after the outage: %v", err)
	}
	if err := r.p.Drain(ctx2); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(msgs(0, n+200), r.out.messages()); d != "" {
		t.Errorf("delivered (-want +got):\n%s", d)
	}
}

func TestDiskQueueSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	r := newDiskRig(t, dir, 1<<20, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := r.publish(ctx, msgs(0, 300)); err != nil {
		t.Fatal(err)
	}
	short, c2 := context.WithTimeout(ctx, 100*time.Millisecond)
	r.p.Drain(short) // Elasticsearch still down: leaves the events on disk
	c2()
	r.p.Close()
	if r.ackedCount() != 300 {
		t.Fatalf("inputs acknowledged %d of 300 before the stop", r.ackedCount())
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) == 0 {
		t.Fatal("no segment on disk after the stop")
	}

	r2 := newDiskRig(t, dir, 1<<20, false)
	defer r2.p.Close()
	if _, err := r2.publish(ctx, msgs(300, 350)); err != nil {
		t.Fatal(err)
	}
	if err := r2.p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(msgs(0, 350), r2.out.messages()); d != "" {
		t.Errorf("after a restart the queued events come first, then the new ones (-want +got):\n%s", d)
	}
	// Everything delivered: only the segment being written may remain.
	waitUntil(t, "segments deleted", func() bool {
		segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
		return len(segs) <= 1
	})
}

func TestDiskQueueSkipsATornTail(t *testing.T) {
	dir := t.TempDir()
	r := newDiskRig(t, dir, 1<<20, true)
	ctx := context.Background()
	r.publish(ctx, msgs(0, 20))
	short, c := context.WithTimeout(ctx, 50*time.Millisecond)
	r.p.Drain(short)
	c()
	r.p.Close()
	// A crash mid-write leaves half a record at the end of the segment.
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	f, _ := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte{200, 0, 0, 0, 1, 2, 3, 4, '[', '1'})
	f.Close()
	r2 := newDiskRig(t, dir, 1<<20, false)
	defer r2.p.Close()
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := r2.p.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "delivery", func() bool { return len(r2.out.messages()) == 20 })
	if d := cmp.Diff(msgs(0, 20), r2.out.messages()); d != "" {
		t.Errorf("delivered (-want +got):\n%s", d)
	}
	if n := r2.m.Counter("queue.disk.corrupt_records").Load(); n != 1 {
		t.Errorf("corrupt_records = %d, want 1", n)
	}
}
