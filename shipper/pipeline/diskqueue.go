package pipeline

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// DiskQueueSettings configure queue.disk.
type DiskQueueSettings struct {
	Path         string        // directory of the segment files
	MaxSize      int64         // bytes on disk; inputs pause when it is full
	SegmentSize  int64         // bytes per segment file
	SyncInterval time.Duration // fsync (and input acknowledgement) at most this often
}

// diskQueue sits between the input clients and the in-memory pipeline when
// queue.disk is set. Events are appended to segment files; an input's events
// are acknowledged to it (its cursor advances) once they are fsynced, so
// inputs keep reading while Elasticsearch is down, until max_size is reached
// (then Publish blocks: back-pressure, never a drop). A reader feeds the
// queued events, oldest first, to the memory pipeline; their final outcomes
// advance the queue's own acknowledged position, persisted in ack.json, and
// fully acknowledged segments are deleted. After a restart the queue is
// delivered first, from that position (at-least-once; the deterministic _id
// collapses the few events delivered twice).
//
// Record format: 4 bytes length, 4 bytes CRC-32C of the payload, payload
// (see codec.go). A torn record at the end of a segment (crash mid-write) is
// detected by its length or CRC and skipped with a counter.
type diskQueue struct {
	set DiskQueueSettings
	p   *Pipeline
	log *slog.Logger

	mu       sync.Mutex
	cond     *sync.Cond // signalled when space frees, data is synced or closing
	segs     []*segment // oldest first; the last one is being written
	w        *bufio.Writer
	f        *os.File
	size     int64 // bytes in all segments
	pending  []pendingAck
	synced   position // readable up to here
	closed   bool
	buf      []byte
	ackedPos position // everything before is final (reader's side)
	ackDirty bool

	readerClient Client   // connected to the memory pipeline
	readPos      position // how far the reader has published

	bytesOnDisk, eventsWritten, corrupt *monitoring.Counter
}

type segment struct {
	seq  uint64
	path string
	size int64
}

type position struct {
	Seq    uint64 `json:"segment"`
	Offset int64  `json:"offset"`
}

func (a position) less(b position) bool {
	return a.Seq < b.Seq || a.Seq == b.Seq && a.Offset < b.Offset
}

type pendingAck struct {
	c    *client
	priv any
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func openDiskQueue(set DiskQueueSettings, p *Pipeline, m *monitoring.Registry) (*diskQueue, error) {
	if err := os.MkdirAll(set.Path, 0o750); err != nil {
		return nil, fmt.Errorf("queue.disk.path: %w", err)
	}
	q := &diskQueue{set: set, p: p, log: p.log,
		bytesOnDisk:   m.Counter("queue.disk.bytes"),
		eventsWritten: m.Counter("queue.disk.events_written"),
		corrupt:       m.Counter("queue.disk.corrupt_records"),
	}
	q.cond = sync.NewCond(&q.mu)
	if b, err := os.ReadFile(filepath.Join(set.Path, "ack.json")); err == nil {
		if err := json.Unmarshal(b, &q.ackedPos); err != nil {
			return nil, fmt.Errorf("queue.disk: %s/ack.json is corrupt (%v); move the directory away to start over", set.Path, err)
		}
	}
	names, _ := filepath.Glob(filepath.Join(set.Path, "*.seg"))
	for _, n := range names {
		seq, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(n), ".seg"), 10, 64)
		fi, serr := os.Stat(n)
		if err != nil || serr != nil {
			continue
		}
		if seq < q.ackedPos.Seq || seq == q.ackedPos.Seq && fi.Size() <= q.ackedPos.Offset {
			os.Remove(n) // fully acknowledged before the restart
			continue
		}
		q.segs = append(q.segs, &segment{seq: seq, path: n, size: fi.Size()})
		q.size += fi.Size()
	}
	sort.Slice(q.segs, func(i, j int) bool { return q.segs[i].seq < q.segs[j].seq })
	// Never append to a segment of an earlier run: its tail may be torn.
	next := q.ackedPos.Seq
	if n := len(q.segs); n > 0 {
		next = q.segs[n-1].seq + 1
	}
	if err := q.newSegment(next); err != nil {
		return nil, err
	}
	if len(q.segs) > 1 {
		q.log.Info("disk queue holds events from the previous run; delivering them first",
			"segments", len(q.segs)-1, "bytes", q.size, "from", q.ackedPos)
	}
	q.synced = position{Seq: next}
	q.readPos = q.ackedPos
	q.bytesOnDisk.Set(q.size)
	return q, nil
}

func (q *diskQueue) newSegment(seq uint64) error {
	path := filepath.Join(q.set.Path, fmt.Sprintf("%020d.seg", seq))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("queue.disk: %w", err)
	}
	if q.f != nil {
		q.w.Flush()
		q.f.Sync()
		q.f.Close()
	}
	q.f = f
	if q.w == nil {
		q.w = bufio.NewWriterSize(f, 64<<10)
	} else {
		q.w.Reset(f)
	}
	q.segs = append(q.segs, &segment{seq: seq, path: path})
	return nil
}

// append queues e (or, for an event filtered on purpose, only its
// acknowledgement), blocking while the queue is full.
func (q *diskQueue) append(ctx context.Context, e *event.Event, c *client, outcome Outcome) error {
	if outcome == Dropped {
		q.mu.Lock()
		q.pending = append(q.pending, pendingAck{c, e.Private})
		q.mu.Unlock()
		return nil
	}
	rec := appendEventRecord(q.buf[:0], e)
	need := int64(len(rec) + 8)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.buf = rec
	for q.size+need > q.set.MaxSize && q.size > 0 && !q.closed {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		q.waitCtx(ctx)
	}
	if q.closed {
		return errors.New("pipeline closed")
	}
	cur := q.segs[len(q.segs)-1]
	if cur.size > 0 && cur.size+need > q.set.SegmentSize {
		if err := q.rotateLocked(); err != nil {
			return err
		}
		cur = q.segs[len(q.segs)-1]
	}
	var hdr [8]byte
	binary.LittleEndian.PutUint32(hdr[:4], uint32(len(rec)))
	binary.LittleEndian.PutUint32(hdr[4:], crc32.Checksum(rec, crcTable))
	q.w.Write(hdr[:])
	if _, err := q.w.Write(rec); err != nil {
		return fmt.Errorf("queue.disk write: %w", err)
	}
	cur.size += need
	q.size += need
	q.bytesOnDisk.Set(q.size)
	q.eventsWritten.Inc()
	q.pending = append(q.pending, pendingAck{c, e.Private})
	return nil
}

func (q *diskQueue) rotateLocked() error {
	if err := q.syncLocked(); err != nil {
		return err
	}
	return q.newSegment(q.segs[len(q.segs)-1].seq + 1)
}

// waitCtx waits on the condition, waking when ctx is done.
func (q *diskQueue) waitCtx(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.cond.Broadcast()
		q.mu.Unlock()
	})
	q.cond.Wait()
	stop()
}

// syncLocked flushes and fsyncs the current segment, makes what was written
// readable and acknowledges it to the inputs.
func (q *diskQueue) syncLocked() error {
	if err := q.w.Flush(); err != nil {
		return fmt.Errorf("queue.disk flush: %w", err)
	}
	if err := q.f.Sync(); err != nil {
		return fmt.Errorf("queue.disk fsync: %w", err)
	}
	cur := q.segs[len(q.segs)-1]
	q.synced = position{Seq: cur.seq, Offset: cur.size}
	pend := q.pending
	q.pending = nil
	// Hand the acknowledgements over in order, grouped per client.
	for start := 0; start < len(pend); {
		c := pend[start].c
		end := start + 1
		for end < len(pend) && pend[end].c == c {
			end++
		}
		privs := make([]any, 0, end-start)
		for _, pa := range pend[start:end] {
			privs = append(privs, pa.priv)
		}
		c.finished.Add(int64(len(privs)))
		if c.cfg.ACK != nil {
			c.cfg.ACK(privs)
		}
		start = end
	}
	q.cond.Broadcast()
	return nil
}

// syncer fsyncs every SyncInterval until ctx is done.
func (q *diskQueue) syncer(ctx context.Context) {
	t := time.NewTicker(q.set.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			q.mu.Lock()
			if err := q.syncLocked(); err != nil {
				q.log.Error("disk queue final sync failed", "error", err)
			}
			q.closed = true
			q.cond.Broadcast()
			q.mu.Unlock()
			return
		case <-t.C:
		}
		q.mu.Lock()
		if len(q.pending) > 0 {
			if err := q.syncLocked(); err != nil {
				q.log.Error("disk queue sync failed; inputs wait", "error", err)
			}
		}
		q.persistAckLocked()
		q.mu.Unlock()
	}
}

// reader feeds queued events to the memory pipeline, oldest first.
func (q *diskQueue) reader(ctx context.Context) {
	pos := q.ackedPos
	for ctx.Err() == nil {
		q.mu.Lock()
		var seg *segment
		for _, s := range q.segs {
			if s.seq >= pos.Seq {
				seg = s
				break
			}
		}
		if seg == nil {
			q.mu.Unlock()
			return
		}
		if seg.seq > pos.Seq {
			pos = position{Seq: seg.seq}
		}
		if q.readPos.less(pos) {
			q.readPos = pos
		}
		// Caught up with the writer: wait for the next sync, then choose
		// the segment again (the one waited on may have been fully
		// acknowledged and deleted meanwhile).
		if seg.seq == q.synced.Seq && pos.Offset >= q.synced.Offset && !q.closed && ctx.Err() == nil {
			q.waitCtx(ctx)
			q.mu.Unlock()
			continue
		}
		closed := q.closed
		limit := int64(-1) // a finished segment: read it to its end
		if seg.seq == q.synced.Seq {
			limit = q.synced.Offset
		}
		q.mu.Unlock()
		if closed || ctx.Err() != nil {
			return
		}
		var err error
		pos, err = q.readSegment(ctx, seg, pos, limit)
		if err != nil {
			if ctx.Err() == nil {
				q.log.Error("disk queue read failed", "segment", seg.path, "error", err)
			}
			return
		}
	}
}

// readSegment publishes the records of seg from pos up to limit (-1: the
// end of a finished segment, then moves on to the next one).
func (q *diskQueue) readSegment(ctx context.Context, seg *segment, pos position, limit int64) (position, error) {
	f, err := os.Open(seg.path)
	if errors.Is(err, os.ErrNotExist) {
		// Deleted once every event in it was acknowledged: go on.
		next := position{Seq: seg.seq + 1}
		q.setReadPos(next)
		return next, nil
	}
	if err != nil {
		return pos, err
	}
	defer f.Close()
	if _, err := f.Seek(pos.Offset, io.SeekStart); err != nil {
		return pos, err
	}
	r := bufio.NewReaderSize(f, 64<<10)
	var hdr [8]byte
	for limit < 0 || pos.Offset < limit {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			break // end of a finished segment (or a torn header)
		}
		n := binary.LittleEndian.Uint32(hdr[:4])
		if int64(n) > q.set.SegmentSize+q.set.MaxSize {
			q.corrupt.Inc()
			q.log.Warn("disk queue: torn or corrupt record, skipping the rest of the segment", "segment", seg.path, "offset", pos.Offset)
			break
		}
		rec := make([]byte, n)
		if _, err := io.ReadFull(r, rec); err != nil || crc32.Checksum(rec, crcTable) != binary.LittleEndian.Uint32(hdr[4:]) {
			q.corrupt.Inc()
			q.log.Warn("disk queue: torn or corrupt record, skipping the rest of the segment", "segment", seg.path, "offset", pos.Offset)
			break
		}
		pos.Offset += int64(n) + 8
		e, err := decodeEventRecord(rec)
		if err != nil {
			q.corrupt.Inc()
			q.setReadPos(pos)
			continue
		}
		e.Private = pos
		if err := q.readerClient.Publish(ctx, e); err != nil {
			return pos, err
		}
		// Only now: drain() must not see the reader caught up before the
		// event is counted in the memory pipeline.
		q.setReadPos(pos)
	}
	if limit >= 0 {
		q.setReadPos(pos)
		return pos, nil // the segment being written: come back for more
	}
	next := position{Seq: seg.seq + 1}
	q.setReadPos(next)
	return next, nil
}

func (q *diskQueue) setReadPos(p position) {
	q.mu.Lock()
	if q.readPos.less(p) {
		q.readPos = p
	}
	q.mu.Unlock()
}

// acked receives the positions of final events, in order.
func (q *diskQueue) acked(privs []any) {
	if len(privs) == 0 {
		return
	}
	last, ok := privs[len(privs)-1].(position)
	if !ok {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ackedPos = last
	q.ackDirty = true
	// Delete segments that are entirely acknowledged (never the one being
	// written).
	for len(q.segs) > 1 && q.segs[0].seq < last.Seq || len(q.segs) > 1 && q.segs[0].seq == last.Seq && last.Offset >= q.segs[0].size {
		s := q.segs[0]
		os.Remove(s.path)
		q.size -= s.size
		q.segs = q.segs[1:]
	}
	q.bytesOnDisk.Set(q.size)
	q.cond.Broadcast()
}

func (q *diskQueue) persistAckLocked() {
	if !q.ackDirty {
		return
	}
	b, _ := json.Marshal(q.ackedPos)
	tmp := filepath.Join(q.set.Path, "ack.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err == nil {
		if f, err := os.Open(tmp); err == nil {
			f.Sync()
			f.Close()
		}
		if os.Rename(tmp, filepath.Join(q.set.Path, "ack.json")) == nil {
			q.ackDirty = false
		}
	}
}

func (q *diskQueue) close() {
	q.mu.Lock()
	q.persistAckLocked()
	if q.f != nil {
		q.w.Flush()
		q.f.Sync()
		q.f.Close()
		q.f = nil
	}
	q.mu.Unlock()
}

// drain fsyncs what the inputs wrote (acknowledging it to them), then waits
// until the queue's content is delivered or ctx is done; what is left stays
// on disk for the next start.
func (q *diskQueue) drain(ctx context.Context) error {
	q.mu.Lock()
	err := q.syncLocked()
	q.mu.Unlock()
	if err != nil {
		return err
	}
	for {
		q.mu.Lock()
		done := !q.readPos.less(q.synced)
		left := q.size
		q.mu.Unlock()
		if done && q.p.Pending() == 0 {
			return nil
		}
		select {
		case <-q.p.progress:
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			q.log.Info("stopping with events in the disk queue; they are delivered first at the next start", "bytes", left)
			return nil
		}
	}
}
