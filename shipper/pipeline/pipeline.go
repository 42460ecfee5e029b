package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// Output sends batches. It marks every item of the attempt (Ack, Duplicate,
// Retry, DeadLetter); a returned error means "retry the whole batch".
type Output interface {
	Publish(ctx context.Context, b *Batch) error
	Close() error
}

// EventsNotRetained is implemented by outputs and dead-letter writers that
// keep no reference to an event or its field slice once Publish (Write)
// returned: they encode what they need during the call. With such an
// output (and dead-letter writer), events that came from an event.Pool go
// back to it once they are final and acknowledged.
type EventsNotRetained interface{ EventsNotRetained() }

// DeadLetterWriter stores events rejected for good, with the reason.
type DeadLetterWriter interface {
	Write(e *event.Event, status int, reason string) error
}

// Settings tune the pipeline.
type Settings struct {
	QueueEvents  int           // queue.mem.events: slots for events not yet final
	QueueBytes   int64         // queue.mem.bytes: bound on their estimated size; 0: none
	BatchSize    int           // events per batch (the output's bulk_max_size)
	FlushTimeout time.Duration // a partial batch is sent after this long
	Workers      int           // concurrent output requests
	BackoffInit  time.Duration
	BackoffMax   time.Duration
	DeadLetter   DeadLetterWriter // nil: dead-lettered items are retried instead (never dropped)
}

func (s *Settings) defaults() {
	if s.QueueEvents <= 0 {
		s.QueueEvents = 4096
	}
	s.QueueBytes = max(s.QueueBytes, 0)
	if s.BatchSize <= 0 {
		s.BatchSize = 2048
	}
	if s.BatchSize > s.QueueEvents {
		s.BatchSize = s.QueueEvents
	}
	if s.FlushTimeout <= 0 {
		s.FlushTimeout = time.Second
	}
	if s.Workers <= 0 {
		s.Workers = 1
	}
	if s.BackoffInit <= 0 {
		s.BackoffInit = time.Second
	}
	if s.BackoffMax < s.BackoffInit {
		s.BackoffMax = 60 * time.Second
	}
}

// Pipeline is the queue, batcher, output workers and acker of one run.
type Pipeline struct {
	set Settings
	out Output
	log *slog.Logger

	q       memQueue
	batches chan *Batch
	// wake (cap 1) tells the batcher a worker became free: a partial
	// batch it holds may go now rather than at the flush timeout.
	wake chan struct{}
	// free holds the item and index slices of acknowledged batches for the
	// batcher to reuse: a batch of bulk_max_size items is a large object,
	// zeroed on allocation and scanned by the GC.
	free chan batchBufs

	ackMu   sync.Mutex
	pending map[uint64]*Batch // done batches waiting for their predecessors
	nextAck uint64
	nextSeq uint64 // owned by the batcher

	progress chan struct{} // pinged after every acknowledgement round
	idle     atomic.Int32  // workers waiting for a batch

	recycle bool       // the output and dead-letter writer keep no event: release them when acknowledged
	dq      *diskQueue // nil: memory queue only
	metrics *monitoring.Registry

	stop    context.CancelFunc
	stopCtx context.Context
	wg      sync.WaitGroup

	published, finished *monitoring.Counter
	filtered, failed    *monitoring.Counter
	acked, duplicates   *monitoring.Counter
	deadLettered        *monitoring.Counter
	retried, batchErrs  *monitoring.Counter
	batchesSent         *monitoring.Counter
	queued              *monitoring.Counter

	// pendingBase is published - finished when the pipeline was built: a
	// reload builds the next pipeline on the same counters, and the
	// events the previous one stopped with (not final: read again from
	// the cursor) are not this one's to wait for.
	pendingBase int64

	now   func() time.Time // the clock of the dead-letter warnings (tests set it)
	dlMu  sync.Mutex
	dlLog deadLetterLog
}

// deadLetterWarnEvery bounds the dead-letter warnings: at most one per
// interval; the events in between are summed into the next one.
const deadLetterWarnEvery = 10 * time.Second

// deadLetterLog holds the dead letters not yet reported.
type deadLetterLog struct {
	last    time.Time // the last warning
	events  int       // not yet reported
	batches int
	status  int    // of the first one not yet reported
	reason  string // of the first one not yet reported
}

// New builds a pipeline sending to out. Start it before publishing.
func New(set Settings, out Output, log *slog.Logger, m *monitoring.Registry) *Pipeline {
	set.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	_, outOK := out.(EventsNotRetained)
	_, dlOK := set.DeadLetter.(EventsNotRetained)
	published, finished := m.Counter("pipeline.events.published"), m.Counter("pipeline.events.final")
	return &Pipeline{
		recycle:      outOK && (set.DeadLetter == nil || dlOK),
		set:          set,
		out:          out,
		log:          log,
		q:            newMemQueue(set, m),
		batches:      make(chan *Batch),
		wake:         make(chan struct{}, 1),
		free:         make(chan batchBufs, 4),
		pending:      map[uint64]*Batch{},
		progress:     make(chan struct{}, 1),
		stop:         cancel,
		stopCtx:      ctx,
		metrics:      m,
		published:    published,
		finished:     finished,
		pendingBase:  published.Load() - finished.Load(),
		filtered:     m.Counter("pipeline.events.filtered"),
		failed:       m.Counter("pipeline.events.processor_errors"),
		acked:        m.Counter("output.events.acked"),
		duplicates:   m.Counter("output.events.duplicates"),
		deadLettered: m.Counter("output.events.dead_letter"),
		retried:      m.Counter("output.events.retried"),
		batchErrs:    m.Counter("output.batches.failed"),
		batchesSent:  m.Counter("output.batches.sent"),
		queued:       m.Counter("pipeline.queue.filled"),
		now:          time.Now,
	}
}

// noteDeadLetters logs, at WARN and at most once per deadLetterWarnEvery,
// how many events went to the dead-letter file and the first reason; those
// held back are counted into the next message.
func (p *Pipeline) noteDeadLetters(n, status int, reason string) {
	p.dlMu.Lock()
	defer p.dlMu.Unlock()
	d := &p.dlLog
	if d.events == 0 {
		d.status, d.reason = status, reason
	}
	d.events += n
	d.batches++
	now := p.now()
	if !d.last.IsZero() && now.Sub(d.last) < deadLetterWarnEvery {
		return
	}
	p.log.Warn("events dead-lettered: rejected for good by the output, kept in the dead-letter file (shipper dlq list)",
		"events", d.events, "batches", d.batches, "status", d.status, "first_reason", d.reason,
		"total", p.deadLettered.Load())
	*d = deadLetterLog{last: now}
}

// EnableDiskQueue puts a disk queue (queue.disk) between the inputs and the
// memory queue. Call it before Start.
func (p *Pipeline) EnableDiskQueue(set DiskQueueSettings) error {
	q, err := openDiskQueue(set, p, p.metrics)
	if err != nil {
		return err
	}
	c := p.Connect(ClientConfig{ACK: q.acked, Name: "queue.disk"}, p.metrics).(*client)
	c.direct = true
	q.readerClient = c
	p.dq = q
	return nil
}

// Start launches the batcher and the output workers (the acker runs in the
// workers' goroutines), and the disk queue's syncer and reader if enabled.
func (p *Pipeline) Start() {
	p.wg.Go(p.batcher)
	for range p.set.Workers {
		p.wg.Go(p.worker)
	}
	if p.dq != nil {
		p.wg.Go(func() { p.dq.syncer(p.stopCtx) })
		p.wg.Go(func() { p.dq.reader(p.stopCtx) })
	}
}

// Close stops the workers without waiting for events in flight (call Drain
// first for a graceful stop) and closes the output.
func (p *Pipeline) Close() error {
	p.stop()
	p.wg.Wait()
	// The events not final are read again by the next run (or pipeline,
	// after a reload, on the same counters): out of the queue's gauges.
	q := &p.q
	q.mu.Lock()
	used, bytes := q.used, q.bytes
	q.used, q.bytes = 0, 0
	q.mu.Unlock()
	p.queued.Add(-int64(used))
	if bytes != 0 {
		q.filledBytes.Add(-bytes)
	}
	if p.dq != nil {
		p.dq.close()
	}
	return p.out.Close()
}

// Pending is the number of published events not yet final.
func (p *Pipeline) Pending() int64 { return p.published.Load() - p.finished.Load() - p.pendingBase }

// Drain waits until every published event reached a final outcome, or ctx
// is done. With a disk queue, the queue is fsynced first (inputs then have
// their acknowledgements), then its content is delivered while ctx allows:
// what is left stays on disk for the next start, which is not an error.
func (p *Pipeline) Drain(ctx context.Context) error {
	if p.dq != nil {
		return p.dq.drain(ctx)
	}
	return p.drainMem(ctx)
}

func (p *Pipeline) drainMem(ctx context.Context) error {
	for p.Pending() > 0 {
		select {
		case <-p.progress:
		case <-ctx.Done():
			return fmt.Errorf("%d events not yet acknowledged: %w", p.Pending(), ctx.Err())
		}
	}
	return nil
}

type batchBufs struct {
	items []item
	cur   []int
}

// newBufs returns a recycled batch's slices, or new ones.
func (p *Pipeline) newBufs() batchBufs {
	select {
	case b := <-p.free:
		return b
	default:
		return batchBufs{items: make([]item, 0, p.set.BatchSize)}
	}
}

func (p *Pipeline) batcher() {
	bufs := p.newBufs()
	buf := bufs.items
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() bool {
		if len(buf) == 0 {
			return true
		}
		b := &Batch{seq: p.nextSeq, items: buf, cur: bufs.cur}
		p.nextSeq++
		bufs = p.newBufs()
		buf = bufs.items
		select {
		case p.batches <- b:
			return true
		case <-p.stopCtx.Done():
			return false
		}
	}
	for {
		var took, rest int
		var full bool
		empty := len(buf) == 0
		buf, took, rest, full = p.q.take(buf, p.set.BatchSize)
		if took > 0 && empty {
			timer.Reset(p.set.FlushTimeout)
		}
		if len(buf) >= p.set.BatchSize || full && len(buf) > 0 || len(buf) > 0 && rest == 0 && p.set.Workers > 0 && p.idleWorkers() {
			timer.Stop()
			if !flush() {
				return
			}
			continue
		}
		// Everything queued is in buf: wait for more, a free worker, or
		// the timer.
		select {
		case <-p.wake:
		case <-p.q.ready:
		case <-timer.C:
			if !flush() {
				return
			}
		case <-p.stopCtx.Done():
			return
		}
	}
}

// idleWorkers reports whether a worker is waiting for a batch: then a partial
// batch is sent at once instead of waiting for the flush timeout, which keeps
// latency low at low rates while high rates still fill whole batches. A
// worker that becomes free wakes the batcher (p.wake), so that a partial
// batch taken while every worker was busy, or before they started, does not
// wait for the timer.
func (p *Pipeline) idleWorkers() bool {
	return p.idle.Load() > 0
}

func (p *Pipeline) worker() {
	for {
		p.idle.Add(1)
		select { // after the count: the batcher sees one or the other
		case p.wake <- struct{}{}:
		default:
		}
		select {
		case b := <-p.batches:
			p.idle.Add(-1)
			if !p.send(b) {
				return
			}
			p.done(b)
		case <-p.stopCtx.Done():
			p.idle.Add(-1)
			return
		}
	}
}

// send delivers b until every item is final. It returns false when the
// pipeline is closing (the batch stays unacknowledged: its events will be
// read again after a restart).
func (p *Pipeline) send(b *Batch) bool {
	ctx := p.stopCtx
	backoff := p.set.BackoffInit
	b.cur = b.cur[:0]
	for i := range b.items {
		if !b.items[i].outcome.final() {
			b.cur = append(b.cur, i)
		}
	}
	for len(b.cur) > 0 {
		b.attempt++
		for _, j := range b.cur {
			b.items[j].outcome = Pending
		}
		err := p.out.Publish(ctx, b)
		if ctx.Err() != nil {
			return false
		}
		if err == nil {
			p.batchesSent.Inc() // a request that failed was not sent
		}
		if err != nil {
			// Items the output finished before failing (the first half
			// of a split request, say) stay final; only the rest are
			// sent again.
			p.batchErrs.Inc()
			for _, j := range b.cur {
				if it := &b.items[j]; it.outcome == Pending {
					it.outcome, it.reason = Retry, err.Error()
				}
			}
		}
		next := b.cur[:0]
		var retryReason string
		var dl, dlStatus int
		var dlReason string
		for _, j := range b.cur {
			it := &b.items[j]
			switch it.outcome {
			case Acked:
				p.acked.Inc()
			case Duplicate:
				p.duplicates.Inc()
			case DeadLettered:
				if p.set.DeadLetter == nil {
					it.outcome = Retry
					it.reason = "no dead-letter file: " + it.reason
					next = append(next, j)
					continue
				}
				if err := p.set.DeadLetter.Write(it.ev, it.status, it.reason); err != nil {
					p.log.Error("dead-letter write failed; the event is kept and retried", "error", err)
					it.outcome = Retry
					next = append(next, j)
					continue
				}
				p.deadLettered.Inc()
				if dl == 0 {
					dlStatus, dlReason = it.status, it.reason
				}
				dl++
			case Pending:
				it.reason = "output left the item unmarked"
				fallthrough
			default: // Retry
				retryReason = it.reason
				next = append(next, j)
			}
		}
		b.cur = next
		if dl > 0 {
			p.noteDeadLetters(dl, dlStatus, dlReason)
		}
		if len(next) > 0 {
			p.retried.Add(int64(len(next)))
			if err != nil {
				p.log.Warn("output request failed, retrying", "events", len(next), "attempt", b.attempt,
					"backoff_seconds", backoff.Seconds(), "error", err)
			} else {
				p.log.Warn("events will be retried", "events", len(next), "attempt", b.attempt,
					"backoff_seconds", backoff.Seconds(), "reason", retryReason)
			}
			floor := min(b.retryAfter, p.set.BackoffMax) // the server's Retry-After
			b.retryAfter = 0
			if !p.sleepAtLeast(ctx, &backoff, floor) {
				return false
			}
		}
	}
	return true
}

// sleepAtLeast waits for the backoff with ±25 % jitter, but never shorter
// than floor (the server's Retry-After), and doubles the backoff.
func (p *Pipeline) sleepAtLeast(ctx context.Context, backoff *time.Duration, floor time.Duration) bool {
	d := *backoff
	d += time.Duration((rand.Float64() - 0.5) * 0.5 * float64(d))
	d = max(d, floor)
	t := time.NewTimer(d)
	defer t.Stop()
	*backoff = min(*backoff*2, p.set.BackoffMax)
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// done records a final batch and acknowledges, in cut order, every batch
// whose predecessors are final too.
func (p *Pipeline) done(b *Batch) {
	p.ackMu.Lock()
	defer p.ackMu.Unlock()
	p.pending[b.seq] = b
	for {
		nb, ok := p.pending[p.nextAck]
		if !ok {
			break
		}
		delete(p.pending, p.nextAck)
		p.nextAck++
		p.acknowledge(nb)
	}
	select {
	case p.progress <- struct{}{}:
	default:
	}
}

// acknowledge hands each client the Private values of its events, in order,
// then frees the slots.
func (p *Pipeline) acknowledge(b *Batch) {
	items := b.items
	for start := 0; start < len(items); {
		c := items[start].c
		end := start + 1
		for end < len(items) && items[end].c == c {
			end++
		}
		if c != nil {
			c.acked(items[start:end])
		}
		start = end
	}
	if p.recycle {
		for i := range items {
			event.Release(items[i].ev)
		}
	}
	n := len(items)
	p.q.free(items)
	p.queued.Add(-int64(n))
	p.finished.Add(int64(n))
	// The batch is final and acknowledged: nothing refers to its slices
	// any more (outputs do not keep a batch past Publish).
	clear(items)
	select {
	case p.free <- batchBufs{items: items[:0], cur: b.cur[:0]}:
	default:
	}
	b.items, b.cur = nil, nil
}
