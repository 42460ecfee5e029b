package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// docEvent fills e as event number n of publisher pub: a few key sets
// (the encoder's plans), repeated and fresh values, strings that need an
// escape, and now and then a document larger than a chunk's reserve.
func docEvent(e *event.Event, pub, n int) {
	e.Fields.Add("message", fmt.Sprintf("line %d of %d: \"quoted\" \\ tab\t%s", n, pub, strings.Repeat("x", n%50)))
	e.Fields.Add("n", int64(n))
	e.Fields.Add("pub", int64(pub))
	e.Fields.Add("event.module", "test")
	if n%3 == 0 {
		e.Fields.Add("user.name", "alice")
	}
	if n%7 == 0 {
		e.Fields.Add("related.ip", []string{"192.0.2.1", fmt.Sprint("10.0.0.", n%256)})
	}
	if n%97 == 0 {
		e.Fields.Add("big", strings.Repeat("é", 20<<10)) // 40 KiB: larger than docReserveMax
	}
	e.Fields.Add("static.a", "constant")
}

// docOutput takes documents encoded at Publish. It fails whole requests
// and retries items at random, and checks on every attempt that each
// document is exactly the one encoded from a fresh copy of its event, and
// that Docs hands out runs equal to their documents.
type docOutput struct {
	mu       sync.Mutex
	r        *rand.Rand
	want     func(pub, n int) string
	errs     []error
	runs     int // runs of more than one document seen
	attempts int
}

func (*docOutput) DocumentsAtPublish() {}
func (*docOutput) EventsNotRetained()  {}
func (*docOutput) Close() error        { return nil }

func (o *docOutput) Publish(_ context.Context, b *Batch) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.attempts++
	start := 0
	for i := range b.Len() {
		if b.Event(i) != nil {
			o.errs = append(o.errs, fmt.Errorf("event %d of a batch: Event is not nil for an encoded event", i))
		}
		doc := b.Doc(i)
		var d struct{ N, Pub int }
		if err := json.Unmarshal(doc, &d); err != nil {
			o.errs = append(o.errs, fmt.Errorf("document %q: %v", doc, err))
			continue
		}
		if want := o.want(d.Pub, d.N); string(doc) != want {
			o.errs = append(o.errs, fmt.Errorf("document of event %d/%d:\n got %q\nwant %q", d.Pub, d.N, doc, want))
		}
		if i > 0 && !b.Follows(i) {
			o.checkRun(b, start, i)
			start = i
		}
	}
	o.checkRun(b, start, b.Len())
	if o.r.IntN(5) == 0 {
		return errors.New("disk full")
	}
	for i := range b.Len() {
		if o.r.IntN(10) == 0 {
			b.Retry(i, 0, "again")
		} else {
			b.Ack(i)
		}
	}
	return nil
}

// checkRun checks that Docs(i, j) is the documents i to j-1, one after
// the other.
func (o *docOutput) checkRun(b *Batch, i, j int) {
	var want []byte
	for k := i; k < j; k++ {
		want = append(want, b.Doc(k)...)
	}
	if got := b.Docs(i, j); !bytes.Equal(got, want) {
		o.errs = append(o.errs, fmt.Errorf("Docs(%d, %d) = %d bytes, want the %d bytes of its documents", i, j, len(got), len(want)))
	}
	if j-i > 1 {
		o.runs++
	}
}

// Events published to an output that takes documents are encoded at
// Publish and recycled at once; their documents live in chunks that are
// reused once acknowledged. Through failed requests, retried items, three
// workers finishing out of order and three goroutines publishing through
// one client (three encoders), every document the output sees on every
// attempt is exactly its event's (nothing from a recycled event or a
// reused chunk), and every Private comes back once, each publisher's in
// its order.
func TestDocumentsEncodedAtPublish(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	const pubs, n = 3, 2000
	ts := time.Unix(1795594303, 123e6)
	wantDoc := func(pub, i int) string {
		e := event.New(ts, 8)
		docEvent(e, pub, i)
		return string(event.AppendJSON(nil, e)) + "\n"
	}
	out := &docOutput{r: rand.New(rand.NewPCG(seed, 1)), want: wantDoc}
	m := monitoring.NewRegistry()
	p := New(Settings{QueueEvents: 64, BatchSize: 16, Workers: 3, FlushTimeout: time.Millisecond,
		BackoffInit: time.Microsecond, BackoffMax: 10 * time.Microsecond}, out, slog.New(slog.DiscardHandler), m)
	if !p.docs {
		t.Fatal("the output takes documents: the pipeline does not encode them at Publish")
	}
	var mu sync.Mutex
	got := make([][]int, pubs)
	c := p.Connect(ClientConfig{Name: "input.t", ACK: func(privs []any) {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range privs {
			x := v.([2]int)
			got[x[0]] = append(got[x[0]], x[1])
		}
	}}, m)
	p.Start()
	defer p.Close()
	pool := event.NewPool(2)
	var wg sync.WaitGroup
	for pub := range pubs {
		wg.Go(func() {
			for i := range n {
				e := pool.Get(ts)
				docEvent(e, pub, i)
				e.Private = [2]int{pub, i}
				if err := c.Publish(context.Background(), e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.Close()
	mu.Lock()
	defer mu.Unlock()
	for pub := range pubs {
		if len(got[pub]) != n {
			t.Errorf("publisher %d: %d events acknowledged, want %d", pub, len(got[pub]), n)
			continue
		}
		for i, v := range got[pub] {
			if v != i {
				t.Errorf("publisher %d: acknowledgement %d is event %d, want in publish order", pub, i, v)
				break
			}
		}
	}
	for _, err := range out.errs[:min(len(out.errs), 5)] {
		t.Error(err)
	}
	if out.runs == 0 {
		t.Error("no batch held documents one after the other: Docs was not covered")
	}
}

// A document the output takes is never dead-lettered: there is no event
// left to write. A buggy output that marks one anyway gets it retried.
type deadLetteringDocOutput struct {
	mu    sync.Mutex
	calls int
}

func (*deadLetteringDocOutput) DocumentsAtPublish() {}
func (*deadLetteringDocOutput) EventsNotRetained()  {}
func (*deadLetteringDocOutput) Close() error        { return nil }

func (o *deadLetteringDocOutput) Publish(_ context.Context, b *Batch) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	for i := range b.Len() {
		if o.calls == 1 {
			b.DeadLetter(i, 400, "mapper_parsing_exception")
		} else {
			b.Ack(i)
		}
	}
	return nil
}

func TestDeadLetteredDocumentIsRetried(t *testing.T) {
	m := monitoring.NewRegistry()
	dlq := &checkingDLQ{}
	out := &deadLetteringDocOutput{}
	p := New(Settings{QueueEvents: 4, BatchSize: 1, FlushTimeout: time.Millisecond, BackoffInit: time.Microsecond,
		BackoffMax: time.Microsecond, DeadLetter: dlq}, out, slog.New(slog.DiscardHandler), m)
	c := p.Connect(ClientConfig{Name: "input.t"}, m)
	p.Start()
	defer p.Close()
	e := event.New(time.Unix(1, 0), 1)
	e.Fields.Add("n", int64(1))
	e.Private = int64(1)
	if err := c.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a, r := m.Counter("output.events.acked").Load(), m.Counter("output.events.retried").Load(); a != 1 || r != 1 {
		t.Errorf("acked %d, retried %d; want the dead-lettered document retried once, then acked", a, r)
	}
	if dlq.n != 0 {
		t.Errorf("%d dead letters written for a document", dlq.n)
	}
}
