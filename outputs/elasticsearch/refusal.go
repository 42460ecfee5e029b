package elasticsearch

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// Refusals by something in front of Elasticsearch (issue 18 item 7).
//
// A whole-request 400 whose body is not an Elasticsearch error comes from a
// proxy, a WAF or a wrong path, and has two causes that look alike:
//
//   - systemic: the endpoint refuses every request (a wrong path, a proxy
//     that refuses everything). Every document is affected; dead-lettering
//     them would pour the whole stream into the dead-letter file (which
//     drops its oldest half when full). Retry with backoff, log at ERROR.
//   - poison: the proxy refuses a document for its content (a WAF rule
//     matching a logged "' UNION SELECT"). Retrying the batch blocks every
//     input for good: the document must be isolated and dead-lettered.
//
// How they are told apart:
//
//  1. An empty _bulk request (the probe, once per attempt) passes any
//     content rule and Elasticsearch answers it with its own error
//     ("request body is required"). If the probe is refused too, the
//     endpoint refuses everything: systemic, two requests per attempt.
//  2. Otherwise the batch is split in halves, as for a 413, down to the
//     documents refused alone; the others are indexed and stay indexed.
//  3. A document refused alone is retried (after the pipeline's backoff)
//     and dead-lettered, with the status and the body, on its
//     poisonAttempts-th refusal.
//  4. Unless the proxy refuses every document: after maxRefusedInARow
//     different documents refused alone with none passing in between,
//     refusals count as systemic (retry, ERROR, no dead letter) until a
//     document passes, and an attempt spends at most trippedBudget
//     requests looking for one.
//
// A 404 or any other status is never split or dead-lettered: a misrouted
// request is a configuration error that affects every document.
const (
	poisonAttempts   = 3
	maxRefusedInARow = 100
	trippedBudget    = 16
)

// refusals remembers the documents a proxy refused alone, across attempts.
//
// strikes is keyed by the event, which is unique among the events in
// flight but recycled once final (event.Pool): an entry must live exactly
// while its event is in flight, or the next event given the same pointer
// would inherit its strikes. So every final outcome this output gives an
// event removes its entry: passed (a 2xx answer, before judge marks the
// items) and deadLetter (every path to the dead-letter file). The other
// outcomes (Retry, an error) keep the event in flight. The pipeline gives
// no final outcome of its own (it only turns a dead letter it cannot
// write back into a retry, which then starts from no strikes).
type refusals struct {
	mu      sync.Mutex
	strikes map[*event.Event]int // refused alone, how many times
	inARow  int                  // different documents refused alone since a document passed
	active  atomic.Bool          // strikes or inARow not empty: the hot path reads only this
}

// attempt is the state of one Publish: the probe's verdict and what is
// left of the budget for splitting while refusals count as systemic.
type attempt struct {
	probe  int8 // 0 not probed, 1 the endpoint reaches Elasticsearch, -1 it does not
	budget int
}

// passed records that the proxy let idx through.
func (o *Output) passed(b *pipeline.Batch, idx []int) {
	r := &o.refused
	if !r.active.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inARow = 0
	for _, i := range idx {
		delete(r.strikes, b.Event(i))
	}
	r.active.Store(len(r.strikes) > 0)
}

// forget drops e's strikes: the output gave it a final outcome.
func (o *Output) forget(e *event.Event) {
	r := &o.refused
	if !r.active.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.strikes, e)
	r.active.Store(len(r.strikes) > 0 || r.inARow > 0)
}

func (o *Output) tripped() bool {
	r := &o.refused
	if !r.active.Load() {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inARow > maxRefusedInARow
}

// proxyRefused handles a 400 that is not an Elasticsearch error.
func (o *Output) proxyRefused(ctx context.Context, a *attempt, b *pipeline.Batch, idx []int, status int, resp []byte) error {
	reaches, err := o.probe(ctx, a)
	if err != nil {
		return err
	}
	hosts := strings.Join(o.hosts, ",")
	if !reaches {
		o.log.Error("every bulk request is refused, even an empty one: not a document's fault; check the host's path and the proxy in front of Elasticsearch (retrying, nothing is dead-lettered)",
			"status", status, "body", snippet(resp), "events", len(idx))
		return o.redactf("bulk request to %s: HTTP %d that is not an Elasticsearch error, and an empty bulk request is refused too (wrong path, or a proxy refusing every request?): %s", hosts, status, snippet(resp))
	}
	if len(idx) > 1 {
		if o.tripped() {
			if a.budget <= 0 {
				return o.everyDocumentRefused(status, resp)
			}
			a.budget -= 2
		}
		half := len(idx) / 2
		o.log.Debug("bulk request refused by a proxy, splitting it to find the documents it refuses", "status", status, "events", len(idx))
		if err := o.send(ctx, a, b, idx[:half]); err != nil {
			return err
		}
		return o.send(ctx, a, b, idx[half:])
	}
	return o.refusedAlone(b, idx[0], status, resp)
}

// refusedAlone counts one refusal of a document sent alone: retried, then
// dead-lettered on the poisonAttempts-th.
func (o *Output) refusedAlone(b *pipeline.Batch, i, status int, resp []byte) error {
	e := b.Event(i)
	r := &o.refused
	r.mu.Lock()
	if r.strikes == nil {
		r.strikes = map[*event.Event]int{}
	}
	n, seen := r.strikes[e]
	if !seen {
		r.inARow++
	}
	n++
	tripped := r.inARow > maxRefusedInARow
	if n < poisonAttempts || tripped {
		r.strikes[e] = n // deadLetter below drops it otherwise
	}
	r.active.Store(true)
	r.mu.Unlock()
	switch {
	case tripped:
		return o.everyDocumentRefused(status, resp)
	case n >= poisonAttempts:
		o.deadLetter(b, i, status, fmt.Sprintf("refused by a proxy in front of Elasticsearch: HTTP %d that is not an Elasticsearch error, %d times with this document alone while the endpoint answered an empty request: %s",
			status, n, snippet(resp)))
	default:
		b.Retry(i, status, fmt.Sprintf("refused alone by a proxy (HTTP %d, %d of %d before the dead-letter file): %s", status, n, poisonAttempts, snippet(resp)))
	}
	return nil
}

func (o *Output) everyDocumentRefused(status int, resp []byte) error {
	o.log.Error("the proxy in front of Elasticsearch refuses every document: more than 100 different documents refused one by one and none passed (a WAF rule?); retrying, nothing more is dead-lettered until a document passes",
		"status", status, "body", snippet(resp))
	return o.redactf("bulk request to %s: HTTP %d that is not an Elasticsearch error for every document tried alone (a proxy or WAF rule refusing everything?): %s", strings.Join(o.hosts, ","), status, snippet(resp))
}

// probe tells whether the bulk endpoint reaches Elasticsearch: an empty
// request, answered with 2xx or an Elasticsearch error. Once per attempt.
func (o *Output) probe(ctx context.Context, a *attempt) (bool, error) {
	if a.probe == 0 {
		status, resp, _, err := o.post(ctx, nil)
		if err != nil {
			return false, o.redact(tlsHint(err))
		}
		a.probe = -1
		if status >= 200 && status < 300 || isESError(resp) {
			a.probe = 1
		}
	}
	return a.probe > 0, nil
}
