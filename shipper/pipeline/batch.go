package pipeline

import (
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// Outcome is the state of one item of a batch.
type Outcome uint8

// Item outcomes. Pending and Retry are not final.
const (
	Pending Outcome = iota
	Retry
	Acked
	Duplicate
	DeadLettered
	Dropped // dropped on purpose by a processor; never sent
)

func (o Outcome) final() bool { return o >= Acked }

type item struct {
	ev      *event.Event
	c       *client
	outcome Outcome
	size    int32  // eventSize, with queue.mem.bytes only
	status  int    // HTTP status of a dead-lettered or retried item
	reason  string // why it was dead-lettered or retried
}

// Batch is a group of events handed to an output. During one attempt the
// output sees only the items still to send: indexes 0..Len()-1 refer to them.
type Batch struct {
	seq        uint64
	items      []item
	cur        []int // indexes into items still to send in this attempt
	attempt    int
	retryAfter time.Duration
}

// RetryAfter asks the pipeline to wait at least d (capped at backoff.max)
// before the next attempt: the server's Retry-After.
func (b *Batch) RetryAfter(d time.Duration) { b.retryAfter = d }

// Len is the number of events to send in this attempt.
func (b *Batch) Len() int { return len(b.cur) }

// Event returns the i-th event of this attempt.
func (b *Batch) Event(i int) *event.Event { return b.items[b.cur[i]].ev }

// Attempt is 1 for the first attempt, 2 for the first retry, …
func (b *Batch) Attempt() int { return b.attempt }

// Ack marks event i as indexed.
func (b *Batch) Ack(i int) { b.items[b.cur[i]].outcome = Acked }

// AckAll marks every event of this attempt as indexed.
func (b *Batch) AckAll() {
	for _, j := range b.cur {
		b.items[j].outcome = Acked
	}
}

// Duplicate marks event i as already indexed (409 on create).
func (b *Batch) Duplicate(i int) { b.items[b.cur[i]].outcome = Duplicate }

// Retry marks event i to be sent again after a backoff.
func (b *Batch) Retry(i int, status int, reason string) {
	it := &b.items[b.cur[i]]
	it.outcome, it.status, it.reason = Retry, status, reason
}

// DeadLetter marks event i as rejected for good; the pipeline writes it with
// status and reason to the dead-letter file before it counts as final.
func (b *Batch) DeadLetter(i int, status int, reason string) {
	it := &b.items[b.cur[i]]
	it.outcome, it.status, it.reason = DeadLettered, status, reason
}

// Outcome returns the outcome of event i of this attempt (for tests).
func (b *Batch) Outcome(i int) Outcome { return b.items[b.cur[i]].outcome }

// NewTestBatch builds a batch of events for output tests.
func NewTestBatch(evs ...*event.Event) *Batch {
	b := &Batch{attempt: 1}
	for i, e := range evs {
		b.items = append(b.items, item{ev: e})
		b.cur = append(b.cur, i)
	}
	return b
}
