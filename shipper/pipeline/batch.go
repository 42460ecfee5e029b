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
	ev      *event.Event // nil once encoded for a DocumentsAtPublish output
	c       *client
	priv    any // ev.Private, handed back to the input
	outcome Outcome
	size    int32  // eventSize (or the document's), with queue.mem.bytes only
	status  int    // HTTP status of a dead-lettered or retried item
	reason  string // why it was dead-lettered or retried
	// The document, when encoded at Publish, in chunk ck (its capacity
	// runs to the chunk's end: the documents after it in the chunk).
	ck  *docChunk
	doc []byte
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

// Event returns the i-th event of this attempt; nil when it was encoded
// at Publish (DocumentsAtPublish).
func (b *Batch) Event(i int) *event.Event { return b.items[b.cur[i]].ev }

// Doc returns the document of the i-th event of this attempt, with its
// '\n', when it was encoded at Publish (DocumentsAtPublish); else nil.
// The bytes are the pipeline's: read them during Publish only.
func (b *Batch) Doc(i int) []byte {
	d := b.items[b.cur[i]].doc
	return d[:len(d):len(d)]
}

// Follows reports whether the document of event i lies right after that
// of event i-1 in memory (both encoded at Publish, one after the other,
// into the same chunk): Docs can then hand them out as one slice.
func (b *Batch) Follows(i int) bool {
	if i <= 0 || i >= len(b.cur) {
		return false
	}
	it, prev := &b.items[b.cur[i]], &b.items[b.cur[i-1]]
	return it.ck != nil && it.ck == prev.ck && len(it.doc) > 0 &&
		cap(prev.doc) == len(prev.doc)+cap(it.doc) && &prev.doc[:len(prev.doc)+1][len(prev.doc)] == &it.doc[0]
}

// Docs returns the documents of events i to j-1 of this attempt as one
// slice when they lie one after the other in memory (Follows); else nil.
func (b *Batch) Docs(i, j int) []byte {
	if i >= j || i < 0 || j > len(b.cur) {
		return nil
	}
	n := len(b.items[b.cur[i]].doc)
	for k := i + 1; k < j; k++ {
		if !b.Follows(k) {
			return nil
		}
		n += len(b.items[b.cur[k]].doc)
	}
	return b.items[b.cur[i]].doc[:n:n]
}

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
