package pipeline

import (
	"context"
	"errors"
	"math"
	"sync"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// memQueue holds the events between Publish and the batcher, and counts
// the slots: one per event not yet final (queue.mem.events in all), taken
// by Publish and freed by the acknowledgement. A mutex and two wake-up
// signals instead of channels of events and of slot tokens: the batcher
// takes what is queued in one step, the acknowledgement frees a batch's
// slots in one step (four channel operations per event were ~5 % of the
// CPU of a squid → file run).
//
// With queue.mem.bytes it also counts the events' estimated sizes
// (eventSize) over the same span, and takes an event only while the
// total is below the bound, as Beats' memory queue does with its bytes
// setting: an event larger than the bound still enters (alone, once the
// queue has drained below it), so the queue holds at most the bound plus
// one event, and nothing waits for ever (issue 17: events of 100 KiB in a
// queue of 2048 slots were 200 MiB whatever memory_limit said).
type memQueue struct {
	mu       sync.Mutex
	items    []item // queued, not yet cut into a batch
	used     int    // slots taken: queued, in batches and not yet acknowledged
	max      int
	bytes    int64         // eventSize of the events holding slots (with maxBytes only)
	maxBytes int64         // queue.mem.bytes; 0: no byte bound
	waiting  int           // Publish calls waiting for room (tests watch it)
	space    chan struct{} // (cap 1) slots were freed: a blocked Publish looks again
	ready    chan struct{} // (cap 1) items were queued while none were

	filledBytes *monitoring.Counter // pipeline.queue.filled.bytes: the gauge of bytes
}

func newMemQueue(set Settings, m *monitoring.Registry) memQueue {
	return memQueue{
		max:         set.QueueEvents,
		maxBytes:    set.QueueBytes,
		space:       make(chan struct{}, 1),
		ready:       make(chan struct{}, 1),
		filledBytes: m.Counter("pipeline.queue.filled.bytes"),
	}
}

// room reports whether Publish may queue one more event. Call it with mu
// held.
func (q *memQueue) room() bool {
	return q.used < q.max && (q.maxBytes == 0 || q.bytes < q.maxBytes)
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
	if q.maxBytes > 0 {
		it.size = eventSize(it.ev)
	}
	waited := false
	for {
		if p.stopCtx.Err() != nil {
			return p.stopWaiting(waited, errors.New("pipeline closed"))
		}
		q.mu.Lock()
		if waited {
			q.waiting--
		}
		if q.room() {
			q.used++
			q.bytes += int64(it.size)
			q.items = append(q.items, it)
			first := len(q.items) == 1
			more := q.room()
			q.mu.Unlock()
			p.published.Inc()
			p.queued.Add(1)
			if it.size > 0 {
				q.filledBytes.Add(int64(it.size))
			}
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
// left queued. full reports that the byte bound is reached: nothing more
// can be queued before an acknowledgement, so the batcher must not wait
// for a full batch.
func (q *memQueue) take(buf []item, max int) (out []item, took, rest int, full bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	took = min(len(q.items), max-len(buf))
	buf = append(buf, q.items[:took]...)
	rest = copy(q.items, q.items[took:])
	clear(q.items[rest:]) // the batch holds them now
	q.items = q.items[:rest]
	return buf, took, rest, q.maxBytes > 0 && q.bytes >= q.maxBytes
}

// free gives back the slots (and bytes) of acknowledged items.
func (q *memQueue) free(items []item) {
	var size int64
	if q.maxBytes > 0 {
		for i := range items {
			size += int64(items[i].size)
		}
	}
	q.mu.Lock()
	q.used -= len(items)
	q.bytes -= size
	q.mu.Unlock()
	if size > 0 {
		q.filledBytes.Add(-size)
	}
	signal(q.space)
}

// What eventSize counts beside the bytes of strings: the Event and its
// item (with its share of the batch slices), and per field the Field (key
// and value headers) and the value's box.
const (
	eventOverhead = 256
	fieldOverhead = 48
)

// eventSize estimates the memory an event holds for queue.mem.bytes: the
// bytes of its keys and string values plus fixed overheads; for a log
// line, about the size of its JSON document. Values shared between events
// (a static field) are counted in each, as they are in each document.
func eventSize(e *event.Event) int32 {
	n := eventOverhead + len(e.Meta.ID) + len(e.Meta.Index) + len(e.Meta.Pipeline) + fieldOverhead*len(e.Fields)
	for i := range e.Fields {
		f := &e.Fields[i]
		n += len(f.Key)
		if s, ok := f.Value.(string); ok { // most values: no call
			n += len(s)
		} else if f.Value != nil {
			n += valueSize(f.Value)
		}
	}
	return int32(min(n, math.MaxInt32))
}

// valueSize is a value's estimated size beyond its Field: the bytes of its
// strings, and headers for the lists and maps (decoded JSON).
func valueSize(v any) int {
	switch v := v.(type) {
	case string:
		return len(v)
	case event.RawJSON:
		return len(v)
	case []string:
		n := 24 + 16*len(v)
		for _, s := range v {
			n += len(s)
		}
		return n
	case []any:
		n := 24
		for _, x := range v {
			n += 16 + valueSize(x)
		}
		return n
	case map[string]any:
		n := 48
		for k, x := range v {
			n += 32 + len(k) + valueSize(x)
		}
		return n
	default: // numbers, bools, times, GeoPoint: within the overheads
		return 0
	}
}
