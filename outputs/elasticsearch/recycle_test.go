package elasticsearch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/outputs/console"
	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// The Elasticsearch and console outputs keep no event past Publish: the
// pipeline may recycle pooled events with them.
func TestOutputsDeclareEventsNotRetained(t *testing.T) {
	es := estest.New(t, func(int, []estest.Doc) estest.Reply { return estest.Reply{} })
	cfg := elasticsearch.DefaultConfig()
	cfg.Hosts = []string{es.URL}
	out, err := elasticsearch.New(cfg, slog.New(slog.DiscardHandler), monitoring.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := any(out).(pipeline.EventsNotRetained); !ok {
		t.Error("the Elasticsearch output does not declare EventsNotRetained: events are not recycled with it")
	}
	if _, ok := any(console.New(&strings.Builder{}, false)).(pipeline.EventsNotRetained); !ok {
		t.Error("the console output does not declare EventsNotRetained: events are not recycled with it")
	}
}

// A recycled event (the same *event.Event, emptied and filled again by
// the pool) does not inherit the refusals counted for the event it was
// before: here that one was refused alone by a proxy once, then
// dead-lettered for another reason (a 413 alone), and its successor must
// still be refused poisonAttempts (3) times before the dead-letter file.
func TestRecycledEventDoesNotInheritRefusals(t *testing.T) {
	var mu sync.Mutex
	sent := map[string]int{} // requests holding the document, by message
	es := estest.New(t, func(_ int, docs []estest.Doc) estest.Reply {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range docs {
			var src struct{ Message string }
			_ = json.Unmarshal(d.Source, &src)
			sent[src.Message]++
			switch {
			case src.Message == "first" && sent["first"] == 1:
				return estest.Reply{Status: 400, ContentType: "text/html", Body: nginxPage}
			case src.Message == "first":
				return estest.Reply{Status: 413, Body: `{"error":{"type":"content_too_long"},"status":413}`}
			case src.Message == "second":
				return estest.Reply{Status: 400, ContentType: "text/html", Body: nginxPage}
			}
		}
		return estest.Reply{}
	})
	cfg := elasticsearch.DefaultConfig()
	cfg.Hosts = []string{es.URL}
	out, err := elasticsearch.New(cfg, slog.New(slog.DiscardHandler), monitoring.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	publish := func(e *event.Event) pipeline.Outcome {
		t.Helper()
		b := pipeline.NewTestBatch(e)
		if err := out.Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
		return b.Outcome(0)
	}
	pool := event.NewPool(2)
	e := pool.Get(time.Unix(1795594303, 0))
	e.Fields.Add("message", "first")
	e.Meta.ID = "first"
	if got := []pipeline.Outcome{publish(e), publish(e)}; !cmp.Equal(got, []pipeline.Outcome{pipeline.Retry, pipeline.DeadLettered}) {
		t.Fatalf("first event: outcomes %v, want retried (refused alone by the proxy) then dead-lettered (413 alone)", got)
	}
	// What the pipeline does once the dead letter is written and
	// acknowledged (done by hand: sync.Pool may drop what it is given).
	e.Fields = e.Fields[:0]
	e.Meta = event.Meta{ID: "second"}
	e.Fields.Add("message", "second")
	var got []pipeline.Outcome
	for len(got) < 5 && (len(got) == 0 || got[len(got)-1] == pipeline.Retry) {
		got = append(got, publish(e))
	}
	if want := []pipeline.Outcome{pipeline.Retry, pipeline.Retry, pipeline.DeadLettered}; !cmp.Equal(got, want) {
		t.Errorf("recycled event refused alone by the proxy: outcomes %v, want %v (it inherited the first event's refusal)", got, want)
	}
}

// recordingOutput hands every batch to the Elasticsearch output and
// checks, before and after, that each event is still the one published
// (its "n" is its Private). It declares EventsNotRetained itself, so the
// pipeline recycles whatever the wrapped output says.
type recordingOutput struct {
	*elasticsearch.Output
	mu   sync.Mutex
	seen map[*event.Event]bool
	errs []error
}

func (o *recordingOutput) EventsNotRetained() {}

func (o *recordingOutput) check(b *pipeline.Batch) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range b.Len() {
		e := b.Event(i)
		o.seen[e] = true
		if n, _ := e.Fields.Get("n"); n != e.Private {
			o.errs = append(o.errs, fmt.Errorf("event with n=%v carries Private %v: reused before it was final", n, e.Private))
		}
	}
}

func (o *recordingOutput) Publish(ctx context.Context, b *pipeline.Batch) error {
	o.check(b)
	err := o.Output.Publish(ctx, b)
	o.check(b)
	return err
}

// Pooled events recycled through the pipeline and the Elasticsearch output
// against a faulty server (429s, 413s split down, documents refused by a
// proxy, mapping errors per item): every document reaches the server as
// published, every event is acknowledged once and in order, and each
// poison document is dead-lettered on its third refusal alone, no sooner.
func TestRecycledEventsThroughElasticsearchFaults(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	var mu sync.Mutex
	rnd := rand.New(rand.NewPCG(seed, 2))
	alone := map[int64]int{} // poison documents refused alone, by n
	var bad []string
	poison := func(n int64) bool { return n%97 == 13 }
	es := estest.New(t, func(_ int, docs []estest.Doc) estest.Reply {
		mu.Lock()
		defer mu.Unlock()
		if len(docs) == 0 {
			return estest.Reply{}
		}
		items := make([]int, len(docs))
		refuse := false
		for k, d := range docs {
			var src struct {
				N       int64
				Message string
			}
			if err := json.Unmarshal(d.Source, &src); err != nil || src.Message != fmt.Sprintf("line %d", src.N) || d.ID != fmt.Sprint(src.N) {
				bad = append(bad, fmt.Sprintf("document %s: %s", d.ID, d.Source))
			}
			if poison(src.N) {
				refuse = true
				if len(docs) == 1 {
					alone[src.N]++
				}
			}
			items[k] = 201
			if src.N%89 == 7 {
				items[k] = 400 // mapper_parsing_exception: dead-lettered
			}
		}
		switch {
		case refuse:
			return estest.Reply{Status: 400, ContentType: "text/html", Body: nginxPage}
		case len(docs) > 24:
			return estest.Reply{Status: 413, Body: `{"error":{"type":"content_too_long"},"status":413}`}
		case rnd.IntN(8) == 0:
			return estest.Reply{Status: 429}
		}
		return estest.Reply{Items: items}
	})
	cfg := elasticsearch.DefaultConfig()
	cfg.Hosts = []string{es.URL}
	m := monitoring.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	es0, err := elasticsearch.New(cfg, log, m)
	if err != nil {
		t.Fatal(err)
	}
	out := &recordingOutput{Output: es0, seen: map[*event.Event]bool{}}
	dlq, err := pipeline.OpenDeadLetter(filepath.Join(t.TempDir(), "dead_letter"), 16<<20, m)
	if err != nil {
		t.Fatal(err)
	}
	defer dlq.Close()
	p := pipeline.New(pipeline.Settings{QueueEvents: 128, BatchSize: 32, Workers: 3, FlushTimeout: time.Millisecond,
		BackoffInit: time.Microsecond, BackoffMax: 10 * time.Microsecond, DeadLetter: dlq}, out, log, m)
	var amu sync.Mutex
	var got []any
	c := p.Connect(pipeline.ClientConfig{Name: "input.t", ACK: func(privs []any) {
		amu.Lock()
		got = append(got, privs...)
		amu.Unlock()
	}}, m)
	p.Start()
	defer p.Close()
	const n = 3000
	pool := event.NewPool(3)
	var want []any
	for i := range int64(n) {
		e := pool.Get(time.Unix(1795594303, 0))
		e.Fields.Add("n", i)
		e.Fields.Add("message", fmt.Sprintf("line %d", i))
		e.Meta.ID = fmt.Sprint(i)
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
	amu.Lock()
	defer amu.Unlock()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ACKed privates (-want +got):\n%s", d)
	}
	for _, err := range out.errs {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range bad {
		t.Errorf("the server received a corrupted %s", s)
	}
	for i := range int64(n) {
		if poison(i) && alone[i] != 3 {
			t.Errorf("poison document %d refused alone %d times before the dead-letter file, want 3", i, alone[i])
		}
	}
	if len(out.seen) >= n {
		t.Errorf("%d events published, %d distinct ones reached the output: none was recycled", n, len(out.seen))
	}
	wantDL := int64(0)
	for i := range int64(n) {
		if poison(i) || i%89 == 7 {
			wantDL++
		}
	}
	if g := m.Snapshot()["dead_letter.events"]; g != wantDL {
		t.Errorf("dead_letter.events = %v, want %d", g, wantDL)
	}
}
