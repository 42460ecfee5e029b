package pipeline

import (
	"context"
	"errors"
	"sync"
)

// memQueue holds the events between Publish and the batcher, and counts
// the slots: one per event not yet final (queue.mem.events in all), taken
// by Publish and freed by the acknowledgement. A mutex and two wake-up
// signals instead of channels of events and of slot tokens: the batcher
// takes what is queued in one step, the acknowledgement frees a batch's
// slots in one step (four channel operations per event were ~5 % of the
// CPU of a squid → file run).
type memQueue struct {
	mu    sync.Mutex
	items []item // queued, not yet cut into a batch
	used  int    // slots taken: queued, in batches and not yet acknowledged
	max   int
	// waiting counts the Publish calls waiting for room (tests watch it).
	waiting int
	space chan struct{} // (cap 1) slots were freed: a blocked Publish looks again
	ready chan struct{} // (cap 1) items were queued while none were
}

// signal wakes whoever waits on c, or the next one to wait.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// enqueue takes a slot (blocking while the queue is full) and queues it.
func (p *Pipeline) enqueue(ctx context.Context, it item) error {
	q := &p.q
	waited := false
	for {
		if p.stopCtx.Err() != nil {
			return p.stopWaiting(waited, errors.New("pipeline closed"))
		}
		q.mu.Lock()
		if waited {
			q.waiting--
		}
		if q.used < q.max {
			q.used++
			q.items = append(q.items, it)
			first := len(q.items) == 1
			more := q.used < q.max
			q.mu.Unlock()
			p.published.Inc()
			p.queued.Add(1)
			if first {
				signal(q.ready)
			}
			if waited && more {
				signal(q.space) // another Publish may be waiting for these
			}
			return nil
		}
		q.waiting++
		q.mu.Unlock()
		select {
		case <-q.space:
			waited = true
		case <-ctx.Done():
			return p.stopWaiting(true, ctx.Err())
		case <-p.stopCtx.Done():
			return p.stopWaiting(true, errors.New("pipeline closed"))
		}
	}
}

// stopWaiting returns err, after counting a waiting Publish out.
func (p *Pipeline) stopWaiting(waiting bool, err error) error {
	if waiting {
		p.q.mu.Lock()
		p.q.waiting--
		p.q.mu.Unlock()
	}
	return err
}

// take moves up to max-len(buf) queued items to buf. rest is how many are
// left queued.
func (q *memQueue) take(buf []item, max int) (out []item, took, rest int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	took = min(len(q.items), max-len(buf))
	buf = append(buf, q.items[:took]...)
	rest = copy(q.items, q.items[took:])
	clear(q.items[rest:]) // the batch holds them now
	q.items = q.items[:rest]
	return buf, took, rest
}

// free gives back n slots.
func (q *memQueue) free(n int) {
	q.mu.Lock()
	q.used -= n
	q.mu.Unlock()
	signal(q.space)
}
