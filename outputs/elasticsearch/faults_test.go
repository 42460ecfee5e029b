package elasticsearch_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/outputs/elasticsearch/idxmgmt"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rig is one scenario: the real pipeline with its dead-letter file in front
// of the real output, talking to a scripted fake Elasticsearch.
type rig struct {
	t       *testing.T
	es      *estest.Server
	plan    *estest.Plan
	cfg     elasticsearch.Config
	m       *monitoring.Registry
	logs    *syncBuffer
	data    string
	mu      sync.Mutex
	acked   []string // Private values handed back, in order
	lastErr error
	im      *idxmgmt.Config // index management on connect, when set
}

// testCatalog stands in for the field catalog's template.
func testCatalog(pattern string) (map[string]any, error) {
	return map[string]any{
		"index_patterns": []string{pattern},
		"data_stream":    map[string]any{},
		"template": map[string]any{"mappings": map[string]any{"properties": map[string]any{
			"source": map[string]any{"properties": map[string]any{"geo": map[string]any{"properties": map[string]any{
				"location": map[string]any{"type": "geo_point"}}}}}}}},
	}, nil
}

func newRig(t *testing.T, plan *estest.Plan) *rig {
	r := &rig{t: t, plan: plan, m: monitoring.NewRegistry(), logs: &syncBuffer{}, data: t.TempDir()}
	r.es = estest.New(t, plan.Script)
	r.cfg = elasticsearch.DefaultConfig()
	r.cfg.Hosts = []string{r.es.URL}
	r.cfg.Backoff.Init = 5 * time.Millisecond
	r.cfg.Backoff.Max = 20 * time.Millisecond
	r.cfg.Timeout = 5 * time.Second
	return r
}

func testEvents(n int) []*event.Event {
	ts := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	out := make([]*event.Event, n)
	for i := range out {
		e := event.New(ts.Add(time.Duration(i)*time.Second), 3)
		id := fmt.Sprintf("e%02d", i)
		e.Fields.Add("message", "line "+id)
		e.Fields.Add("event.dataset", "test.faults")
		e.Meta.ID = id
		e.Private = id
		out[i] = e
	}
	return out
}

// ship publishes the events (all queued before the pipeline starts, so the
// first batch holds up to batchSize of them), waits until every one is
// final and stops.
func (r *rig) ship(evs []*event.Event, batchSize int) {
	r.t.Helper()
	if err := r.shipFor(evs, batchSize, 30*time.Second, nil); err != nil {
		r.t.Errorf("Drain: %v\nlogs:\n%s", err, r.logs)
	}
}

// shipUntil is ship for a run that must not complete: it gives up once
// stop reports true (polled) or after a minute, and returns Drain's error.
// Waiting for a condition, not a fixed time: the suite runs on busy cores.
func (r *rig) shipUntil(evs []*event.Event, batchSize int, stop func() bool) error {
	r.t.Helper()
	return r.shipFor(evs, batchSize, time.Minute, stop)
}

// shipFor is ship giving up after d, or once stop (if not nil) reports
// true; it returns Drain's error.
func (r *rig) shipFor(evs []*event.Event, batchSize int, d time.Duration, stop func() bool) error {
	r.t.Helper()
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	out, err := elasticsearch.New(r.cfg, log, r.m)
	if err != nil {
		r.t.Fatalf("elasticsearch.New: %v", err)
	}
	if r.im != nil {
		out.ManageIndices(*r.im, testCatalog)
	}
	dlq, err := pipeline.OpenDeadLetter(filepath.Join(r.data, "dead_letter"), 1<<20, r.m)
	if err != nil {
		r.t.Fatal(err)
	}
	defer dlq.Close()
	p := pipeline.New(pipeline.Settings{
		BatchSize: batchSize, Workers: r.cfg.Worker,
		BackoffInit: r.cfg.Backoff.Init, BackoffMax: r.cfg.Backoff.Max,
		DeadLetter: dlq,
	}, out, log, r.m)
	c := p.Connect(pipeline.ClientConfig{Name: "input.t", ACK: func(privs []any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, p := range privs {
			r.acked = append(r.acked, p.(string))
		}
	}}, r.m)
	ctx := context.Background()
	for _, e := range evs {
		if err := c.Publish(ctx, e); err != nil {
			r.t.Fatal(err)
		}
	}
	p.Start()
	dctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if stop != nil {
		go func() { // exits with dctx, which this function cancels
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-dctx.Done():
					return
				case <-tick.C:
					if stop() {
						cancel()
						return
					}
				}
			}
		}()
	}
	err = p.Drain(dctx)
	p.Close()
	return err
}

// deadLetter reads the dead-letter file: _id → entry.
type dlqEntry struct {
	Status int             `json:"status"`
	Reason string          `json:"reason"`
	Index  string          `json:"index"`
	ID     string          `json:"id"`
	Event  json.RawMessage `json:"event"`
}

func (r *rig) deadLetters() map[string]dlqEntry {
	r.t.Helper()
	out := map[string]dlqEntry{}
	f, err := os.Open(filepath.Join(r.data, "dead_letter", pipeline.DeadLetterName))
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e dlqEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			r.t.Fatalf("dead-letter line %q: %v", sc.Text(), err)
		}
		if _, dup := out[e.ID]; dup {
			r.t.Errorf("%s is in the dead-letter file twice", e.ID)
		}
		out[e.ID] = e
	}
	return out
}

// want is what a scenario must end with.
type want struct {
	stored     []string // _ids stored by the fake, once each
	duplicates []string // _ids answered 409 and never stored by this run
	dead       map[string]int
	attempts   map[string]int // sends per _id; missing: 1
	counters   map[string]int64
}

// check asserts the outcome of every event, exactly once.
func (r *rig) check(evs []*event.Event, w want) {
	r.t.Helper()
	stored := r.es.Stored()
	dead := r.deadLetters()
	for _, e := range evs {
		id := e.Meta.ID
		n := stored[id]
		if slices.Contains(w.stored, id) != (n == 1) || n > 1 {
			r.t.Errorf("%s stored %d times, want stored=%v (once)", id, n, slices.Contains(w.stored, id))
		}
		st, isDead := dead[id]
		if wantSt, ok := w.dead[id]; ok != isDead || (ok && st.Status != wantSt) {
			r.t.Errorf("%s dead-lettered=%v status %d, want dead=%v status %d", id, isDead, st.Status, ok, wantSt)
		}
		outcomes := n
		if isDead {
			outcomes++
		}
		if slices.Contains(w.duplicates, id) {
			outcomes++
		}
		if outcomes != 1 {
			r.t.Errorf("%s has %d outcomes (stored %d, dead %v, duplicate %v), want exactly 1", id, outcomes, n, isDead, slices.Contains(w.duplicates, id))
		}
	}
	if w.attempts != nil {
		got := r.plan.Attempts()
		for _, e := range evs {
			wa := w.attempts[e.Meta.ID]
			if wa == 0 {
				wa = 1
			}
			if got[e.Meta.ID] != wa {
				r.t.Errorf("%s sent %d times, want %d", e.Meta.ID, got[e.Meta.ID], wa)
			}
		}
	}
	// Every event handed back to the input once, in publish order.
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.Meta.ID)
	}
	r.mu.Lock()
	acked := append([]string(nil), r.acked...)
	r.mu.Unlock()
	if !slices.Equal(acked, ids) {
		r.t.Errorf("ACKed to the input %v, want %v (each once, in order)", acked, ids)
	}
	snap := r.m.Snapshot()
	for k, v := range w.counters {
		if snap[k] != v {
			r.t.Errorf("counter %s = %d, want %d", k, snap[k], v)
		}
	}
	if r.t.Failed() {
		r.t.Logf("counters: %v\nlogs:\n%s", snap, r.logs)
	}
}

func ids(from, to int, except ...int) []string {
	var out []string
	for i := from; i < to; i++ {
		if !slices.Contains(except, i) {
			out = append(out, fmt.Sprintf("e%02d", i))
		}
	}
	return out
}

// One response mixing every per-item status: each item gets its own fate.
func TestMixedItemStatuses(t *testing.T) {
	plan := estest.NewPlan(map[string][]int{
		"e01": {409},           // indexed by an earlier attempt
		"e02": {429, 201},      // retried once
		"e03": {400},           // mapping error → dead letter
		"e04": {503, 503, 201}, // retried twice
		"e05": {429, 400},      // retried, then rejected
	})
	r := newRig(t, plan)
	evs := testEvents(10)
	r.ship(evs, 10)
	r.check(evs, want{
		stored:     ids(0, 10, 1, 3, 5),
		duplicates: []string{"e01"},
		dead:       map[string]int{"e03": 400, "e05": 400},
		attempts:   map[string]int{"e02": 2, "e04": 3, "e05": 2},
		counters: map[string]int64{
			"output.events.acked": 7, "output.events.duplicates": 1, "output.events.dead_letter": 2,
			"output.events.retried": 4, "output.batches.failed": 0, "dead_letter.events": 2,
			"output.requests": 3, "pipeline.events.final": 10,
		},
	})
	d := r.deadLetters()["e03"]
	if !strings.Contains(d.Reason, "document_parsing_exception") || d.Index != "shipper-test.faults" {
		t.Errorf("dead letter e03 = reason %q index %q, want the ES reason and the index it was sent to", d.Reason, d.Index)
	}
	var doc map[string]any
	if err := json.Unmarshal(d.Event, &doc); err != nil || doc["message"] != "line e03" {
		t.Errorf("dead letter e03 does not hold the original event: %s", d.Event)
	}
}

// Whole-request faults. Each first request fails in its own way; the batch
// is retried and every document ends stored exactly once.
func TestWholeRequestFaults(t *testing.T) {
	const n = 8
	all := ids(0, n)
	cases := []struct {
		name    string
		reply   estest.Reply
		times   int // requests answered with reply; 0 means 1
		timeout time.Duration
		want    want
		logHas  string
	}{
		{
			name:  "connection dropped before the answer",
			reply: estest.Reply{Hangup: true},
			want: want{stored: all, counters: map[string]int64{
				"output.events.acked": n, "output.events.duplicates": 0, "output.batches.failed": 1,
				"output.events.retried": n, "dead_letter.events": 0}},
			logHas: "EOF",
		},
		{
			// The documents were taken: the retry gets 409 for each (the
			// _id is deterministic), counted as duplicates, not stored twice.
			name:  "connection reset in the middle of the response",
			reply: estest.Reply{HangupMidBody: true},
			want: want{stored: all, counters: map[string]int64{
				"output.events.acked": 0, "output.events.duplicates": n, "output.batches.failed": 1,
				"output.events.retried": n}},
			logHas: "read bulk response",
		},
		{
			// The delay ends when the client gives up; the timeout is
			// long enough for the retry's answer on a loaded machine.
			name:    "slow response past the timeout",
			reply:   estest.Reply{Delay: time.Minute},
			timeout: 2 * time.Second,
			want: want{stored: all, counters: map[string]int64{
				"output.events.acked": 0, "output.events.duplicates": n, "output.batches.failed": 1}},
			logHas: "no answer within timeout (2s)",
		},
		{
			name:  "whole-request 503",
			reply: estest.Reply{Status: 503},
			want: want{stored: all, counters: map[string]int64{
				"output.events.acked": n, "output.batches.failed": 1, "dead_letter.events": 0}},
			logHas: "HTTP 503",
		},
		{
			name:  "whole-request 429: every item retried, no batch failure",
			reply: estest.Reply{Status: 429},
			want: want{stored: all, counters: map[string]int64{
				"output.events.acked": n, "output.batches.failed": 0, "output.events.retried": n}},
			logHas: "429 too many requests",
		},
		{
			// VictoriaLogs answers a wrong path with a text/plain 400: not a
			// judgement of our documents (the empty probe request is
			// refused too), so retried, never dead-lettered.
			name: "VictoriaLogs-style text/plain 400",
			reply: estest.Reply{Status: 400, ContentType: "text/plain; charset=utf-8",
				Body: `unsupported path requested: "/insert/elasticsearch/x/_bulk"`},
			times: 2, // the batch and the probe
			want: want{stored: all, counters: map[string]int64{
				"output.events.acked": n, "output.batches.failed": 1, "output.events.dead_letter": 0,
				"dead_letter.events": 0}},
			logHas: "not an Elasticsearch error",
		},
		{
			name:  "401: credentials refused, retried",
			reply: estest.Reply{Status: 401},
			want: want{stored: all, counters: map[string]int64{
				"output.events.acked": n, "output.batches.failed": 1, "dead_letter.events": 0}},
			logHas: "were refused",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := estest.NewPlan(nil)
			plan.Whole = func(k int, docs []estest.Doc) estest.Reply {
				if k < max(tc.times, 1) {
					return tc.reply
				}
				return estest.Reply{}
			}
			r := newRig(t, plan)
			r.cfg.Username, r.cfg.Password = "shipper", "pw-never-logged"
			if tc.timeout > 0 {
				r.cfg.Timeout = tc.timeout
			}
			evs := testEvents(n)
			r.ship(evs, n)
			tc.want.attempts = map[string]int{}
			for _, id := range all {
				tc.want.attempts[id] = 2
			}
			r.check(evs, tc.want)
			logs := r.logs.String()
			if !strings.Contains(logs, tc.logHas) {
				t.Errorf("logs do not say %q:\n%s", tc.logHas, logs)
			}
			if strings.Contains(logs, "pw-never-logged") {
				t.Errorf("the password is in the logs:\n%s", logs)
			}
		})
	}
}

// 413: the batch is split until the parts fit; the one document that is
// too large on its own is dead-lettered.
func TestTooLargeSplitsAndDeadLettersTheGiant(t *testing.T) {
	plan := estest.NewPlan(nil)
	var sizes []int
	var mu sync.Mutex
	plan.Whole = func(k int, docs []estest.Doc) estest.Reply {
		mu.Lock()
		sizes = append(sizes, len(docs))
		mu.Unlock()
		for _, d := range docs {
			if d.ID == "e07" {
				return estest.Reply{Status: 413, Body: "request entity too large"}
			}
		}
		if len(docs) > 3 {
			return estest.Reply{Status: 413, Body: `{"error":{"type":"too_large","reason":"too large"},"status":413}`}
		}
		return estest.Reply{}
	}
	r := newRig(t, plan)
	evs := testEvents(10)
	r.ship(evs, 10)
	r.check(evs, want{
		stored: ids(0, 10, 7),
		dead:   map[string]int{"e07": 413},
		counters: map[string]int64{
			"output.events.acked": 9, "output.events.dead_letter": 1, "output.batches.failed": 0,
			"output.events.retried": 0, "dead_letter.events": 1,
		},
	})
	mu.Lock()
	defer mu.Unlock()
	// 10 → 5+5 → (2+3)+(2+3) → e07 in the second 3 → 1+2 → giant alone.
	if got := fmt.Sprint(sizes); got != "[10 5 2 3 5 2 3 1 2]" {
		t.Errorf("request sizes %s, want halves down to the culprit", got)
	}
	if d := r.deadLetters()["e07"]; !strings.Contains(d.Reason, "request refused") || !strings.Contains(d.Reason, "can never pass") {
		t.Errorf("e07 reason %q", d.Reason)
	}
}

// With several hosts, a dead one costs no backoff: the request goes to
// the next host at once.
func TestFailoverToTheNextHost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	plan := estest.NewPlan(nil)
	r := newRig(t, plan)
	r.cfg.Hosts = []string{dead, r.es.URL}
	r.cfg.Backoff.Init, r.cfg.Backoff.Max = time.Minute, time.Minute // a backoff would time out the test
	evs := testEvents(30)
	r.ship(evs[:10], 10)
	r.ship(evs[10:20], 10)
	r.check(evs[:20], want{stored: ids(0, 20), counters: map[string]int64{
		"output.batches.failed": 0, "output.events.acked": 20}})
}

// Many events, random per-item faults on every request: still exactly once.
func TestRandomFaultsAccountForEveryEvent(t *testing.T) {
	const n = 300
	st := map[string][]int{}
	choices := []int{201, 409, 429, 400, 503, 500, 201, 201}
	seed := uint32(7)
	next := func() int { seed = seed*1664525 + 1013904223; return int(seed >> 16) }
	var dup, dead []string
	for i := range n {
		id := fmt.Sprintf("e%02d", i)
		var l []int
		for {
			s := choices[next()%len(choices)]
			l = append(l, s)
			if s == 201 || s == 409 || s == 400 {
				if s == 409 {
					dup = append(dup, id)
				}
				if s == 400 {
					dead = append(dead, id)
				}
				break
			}
		}
		st[id] = l
	}
	plan := estest.NewPlan(st)
	r := newRig(t, plan)
	r.cfg.Worker = 2
	evs := testEvents(n)
	r.ship(evs, 50)
	var stored []string
	deadMap := map[string]int{}
	for _, e := range evs {
		if !slices.Contains(dup, e.Meta.ID) && !slices.Contains(dead, e.Meta.ID) {
			stored = append(stored, e.Meta.ID)
		}
	}
	for _, id := range dead {
		deadMap[id] = 400
	}
	att := map[string]int{}
	for id, l := range st {
		att[id] = len(l)
	}
	sort.Strings(stored)
	r.check(evs, want{stored: stored, duplicates: dup, dead: deadMap, attempts: att, counters: map[string]int64{
		"output.events.acked":       int64(len(stored)),
		"output.events.duplicates":  int64(len(dup)),
		"output.events.dead_letter": int64(len(dead)),
		"pipeline.events.final":     n,
	}})
}

// A server that takes each bulk request and hangs up without an answer:
// the requests fail, and the status page must not show bytes written
// (issue 19: bytes and batches rose while nothing was delivered). A closed
// port would not reach the bulk request at all: the connect step fails
// first.
func TestNoBytesCountedWhileRequestsFail(t *testing.T) {
	plan := estest.NewPlan(nil)
	plan.Whole = func(int, []estest.Doc) estest.Reply { return estest.Reply{Hangup: true} }
	r := newRig(t, plan)
	r.shipUntil(testEvents(3), 3, func() bool { return r.m.Counter("output.batches.failed").Load() >= 2 })
	s := r.m.Snapshot()
	if s["output.requests"] < 2 {
		t.Fatalf("output.requests = %d: the bulk request was not reached", s["output.requests"])
	}
	if s["output.write.bytes"] != 0 || s["output.batches.sent"] != 0 {
		t.Errorf("after only hung-up requests: output.write.bytes=%d output.batches.sent=%d, want 0 (requests=%d)",
			s["output.write.bytes"], s["output.batches.sent"], s["output.requests"])
	}
}
