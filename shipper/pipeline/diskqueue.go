package pipeline

import (
	"bufio"
	"bytes"
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
	"syscall"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// DiskQueueSettings configure queue.disk.
type DiskQueueSettings struct {
	Path         string        // directory of the segment files
	MaxSize      int64         // bytes not yet delivered; inputs pause when it is reached
	SegmentSize  int64         // bytes per segment file
	SyncInterval time.Duration // fsync (and input acknowledgement) at most this often

	// openFile opens a segment for writing; tests replace it to inject
	// write, fsync and truncate errors (a full disk).
	openFile func(path string) (segmentFile, error)
}

// segmentFile is what the queue needs of a segment open for writing.
type segmentFile interface {
	WriteAt(b []byte, off int64) (int, error)
	Sync() error
	Truncate(size int64) error
	Close() error
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
// (see codec.go). Segment files are named by a sequence number that only
// grows, also across restarts: a number is never used twice.
//
// # States of a segment
//
//		written ──sync──▶ synced ──rotate──▶ final ──reader──▶ read ──acks──▶ acked ──▶ deleted
//		   ▲                │
//		   └────append──────┘
//
//	  - written: the writer appended records; they are in memory (q.tail) and
//	    possibly in the file, but not durable. Nothing reads them and no
//	    input has been acknowledged for them.
//	  - synced: fsync succeeded up to seg.synced. Only now may the reader read
//	    up to there and only now are the inputs acknowledged (their cursors
//	    may then pass these events). q.tail is emptied.
//	  - final: the writer moved to a new segment (rotation syncs first, so
//	    synced == size): the reader, at seg.synced, goes on to the next
//	    segment instead of waiting. Every segment found on disk at start-up is
//	    final; its size is its synced length and a torn tail is skipped.
//	  - read: the reader published every record; acked: the acknowledged
//	    position (ack.json) passed its end. A final, acked segment is deleted.
//	    The segment being written is never deleted.
//
// A crash interrupts these transitions safely: before sync, the records are
// lost but no input was acknowledged (the inputs read them again); between
// sync and acknowledgement, they are read again from disk (at-least-once);
// after deletion but before ack.json is written, the next start finds no
// segment for the old position and begins at the next one. A write or
// fsync error (ENOSPC, EIO) truncates the segment back to its synced length
// and keeps the unsynced records in memory; appends block (inputs pause, the
// queue.disk.paused.write_error gauge is 1 and the error is logged) and the
// syncer writes the records again every sync interval and whenever an
// acknowledgement deletes a segment, until it succeeds.
//
// # Why a segment log and not an embedded store
//
// Measured side by side against go.etcd.io/bbolt with the same cadence (one
// durable commit per sync interval, acknowledgements shortly after):
// scripts/queuebench (ext4 on a loop device, sectors written counted at the
// device; run on b60bfff). At 5,000 ev/s bbolt with its defaults wrote 2.2× the bytes per
// event, tuned for append-only keys 1.09×, and its file
// never shrinks; CPU per event was within the noise (1.19× and 1.08×, ranges overlapping). A store would not remove
// the states below either (inputs acknowledged on durability, a reader
// behind a writer, deletion on acknowledgement): they are the queue's, not
// the file format's. The log keeps them explicit and tested.
type diskQueue struct {
	set DiskQueueSettings
	p   *Pipeline
	log *slog.Logger

	mu   sync.Mutex
	cond *sync.Cond // signalled when space frees, data is synced, the writer recovers or closing

	segs    []*segment // oldest first; the last one is being written
	f       segmentFile
	tail    []byte // records after cur.synced, not yet durable
	written int    // bytes of tail already in the file
	pending []pendingAck
	werr    error     // last write/sync error; appends wait while set
	werrLog time.Time // last time werr was logged
	size    int64     // bytes in all segments (disk use)
	closed  bool
	buf     []byte

	ackedPos position // everything before is final (reader's side)
	ackDirty bool
	readPos  position // how far the reader has published

	readerClient Client // connected to the memory pipeline

	bytesOnDisk, eventsWritten, corrupt    *monitoring.Counter
	writeErrors, pausedFull, pausedWriting *monitoring.Counter
}

type segment struct {
	seq    uint64
	path   string
	size   int64 // bytes appended, durable or not
	synced int64 // bytes durable and readable
	final  bool  // no more bytes will be appended
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

// maxTail bounds the unsynced bytes kept in memory: beyond it an append
// syncs at once instead of waiting for the sync interval.
const maxTail = 4 << 20

func openDiskQueue(set DiskQueueSettings, p *Pipeline, m *monitoring.Registry) (*diskQueue, error) {
	if err := os.MkdirAll(set.Path, 0o750); err != nil {
		return nil, fmt.Errorf("queue.disk.path: %w", err)
	}
	if set.openFile == nil {
		set.openFile = func(path string) (segmentFile, error) {
			return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		}
	}
	q := &diskQueue{set: set, p: p, log: p.log,
		bytesOnDisk:   m.Counter("queue.disk.bytes"),
		eventsWritten: m.Counter("queue.disk.events_written"),
		corrupt:       m.Counter("queue.disk.corrupt_records"),
		writeErrors:   m.Counter("queue.disk.write_errors"),
		pausedFull:    m.Counter("queue.disk.paused.full"),
		pausedWriting: m.Counter("queue.disk.paused.write_error"),
	}
	q.cond = sync.NewCond(&q.mu)
	if b, err := os.ReadFile(filepath.Join(set.Path, "ack.json")); err == nil {
		if err := json.Unmarshal(b, &q.ackedPos); err != nil {
			return nil, fmt.Errorf("queue.disk: %s/ack.json is corrupt (%v); move the directory away to start over", set.Path, err)
		}
	}
	names, _ := filepath.Glob(filepath.Join(set.Path, "*.seg"))
	next := q.ackedPos.Seq + 1
	for _, n := range names {
		seq, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(n), ".seg"), 10, 64)
		fi, serr := os.Stat(n)
		if err != nil || serr != nil {
			continue
		}
		next = max(next, seq+1)
		if seq < q.ackedPos.Seq || seq == q.ackedPos.Seq && fi.Size() <= q.ackedPos.Offset {
			os.Remove(n) // fully acknowledged before the restart
			continue
		}
		q.segs = append(q.segs, &segment{seq: seq, path: n, size: fi.Size(), synced: fi.Size(), final: true})
		q.size += fi.Size()
	}
	sort.Slice(q.segs, func(i, j int) bool { return q.segs[i].seq < q.segs[j].seq })
	// Never append to a segment of an earlier run (its tail may be torn),
	// and never reuse a number: the acknowledged position may point into it.
	if err := q.newSegmentLocked(next); err != nil {
		return nil, err
	}
	if len(q.segs) > 1 {
		q.log.Info("disk queue holds events from the previous run; delivering them first",
			"segments", len(q.segs)-1, "bytes", q.size, "from", q.ackedPos)
	}
	q.readPos = q.ackedPos
	q.bytesOnDisk.Set(q.size)
	return q, nil
}

// newSegmentLocked starts segment seq as the one being written. The
// previous one must be synced: it becomes final.
func (q *diskQueue) newSegmentLocked(seq uint64) error {
	path := filepath.Join(q.set.Path, fmt.Sprintf("%020d.seg", seq))
	f, err := q.set.openFile(path)
	if err != nil {
		return fmt.Errorf("queue.disk: %w", err)
	}
	// The new name must be durable before any record in it is
	// acknowledged to an input.
	if d, err := os.Open(q.set.Path); err == nil {
		d.Sync()
		d.Close()
	}
	if q.f != nil {
		q.f.Close()
		q.segs[len(q.segs)-1].final = true
	}
	q.f = f
	q.tail, q.written = q.tail[:0], 0
	q.segs = append(q.segs, &segment{seq: seq, path: path})
	q.cond.Broadcast()
	return nil
}

func (q *diskQueue) cur() *segment { return q.segs[len(q.segs)-1] }

// unackedLocked is the number of bytes on disk not yet acknowledged.
func (q *diskQueue) unackedLocked() int64 {
	n := q.size
	if s := q.segs[0]; s.seq == q.ackedPos.Seq {
		n -= min(q.ackedPos.Offset, s.size)
	}
	return n
}

// append queues e (or, for an event filtered on purpose, only its
// acknowledgement), blocking while the queue is full or cannot write.
func (q *diskQueue) append(ctx context.Context, e *event.Event, c *client, outcome Outcome) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if outcome == Dropped {
		q.pending = append(q.pending, pendingAck{c, e.Private})
		return nil
	}
	rec := AppendEventRecord(q.buf[:0], e)
	q.buf = rec
	need := int64(len(rec) + 8)
	private := false // rec is q.buf, shared with other appends
	for {
		if q.closed {
			return errors.New("pipeline closed")
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		wait := q.werr != nil
		// max_size bounds what is not yet delivered. An event larger
		// than that is accepted once everything before it is.
		if u := q.unackedLocked(); !wait && u > 0 && u+need > q.set.MaxSize {
			q.pausedFull.Set(1)
			wait = true
		}
		if wait {
			// Waiting releases the lock: another append may encode
			// into q.buf meanwhile.
			if !private {
				rec, private = bytes.Clone(rec), true
			}
			q.waitCtx(ctx)
			continue
		}
		q.pausedFull.Set(0)
		// Rotate when the segment is full, or when it holds only
		// delivered events and keeping them would exceed max_size.
		if cur := q.cur(); cur.size > 0 && (cur.size+need > q.set.SegmentSize || q.size+need > q.set.MaxSize && q.unackedLocked() == 0) {
			if err := q.rotateLocked(); err != nil {
				q.setWriteErrorLocked(err)
				continue
			}
			q.deleteAckedLocked()
		}
		break
	}
	cur := q.cur()
	var hdr [8]byte
	binary.LittleEndian.PutUint32(hdr[:4], uint32(len(rec)))
	binary.LittleEndian.PutUint32(hdr[4:], crc32.Checksum(rec, crcTable))
	q.tail = append(q.tail, hdr[:]...)
	q.tail = append(q.tail, rec...)
	cur.size += need
	q.size += need
	q.bytesOnDisk.Set(q.size)
	q.eventsWritten.Inc()
	q.pending = append(q.pending, pendingAck{c, e.Private})
	var err error
	switch {
	case len(q.tail) >= maxTail:
		err = q.syncLocked()
	case len(q.tail)-q.written >= 64<<10:
		err = q.writeTailLocked()
	}
	if err != nil {
		// The event is queued (in memory) and will be written when
		// the disk allows; the caller does not wait for that.
		q.setWriteErrorLocked(err)
	}
	return nil
}

func (q *diskQueue) rotateLocked() error {
	if err := q.syncLocked(); err != nil {
		return err
	}
	return q.newSegmentLocked(q.cur().seq + 1)
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

// writeTailLocked writes the part of the tail not yet in the file.
func (q *diskQueue) writeTailLocked() error {
	cur := q.cur()
	if q.written < len(q.tail) {
		n, err := q.f.WriteAt(q.tail[q.written:], cur.synced+int64(q.written))
		q.written += n
		if err != nil {
			return q.cutBackLocked(fmt.Errorf("queue.disk write %s: %w", filepath.Base(cur.path), err))
		}
	}
	return nil
}

// cutBackLocked truncates the segment to its synced length after a failed
// write or fsync: what follows is kept in q.tail and written again.
func (q *diskQueue) cutBackLocked(err error) error {
	q.written = 0
	if terr := q.f.Truncate(q.cur().synced); terr != nil {
		err = fmt.Errorf("%w (and truncating back: %v)", err, terr)
	}
	return err
}

// syncLocked writes and fsyncs the current segment, makes what was written
// readable and acknowledges it to the inputs.
func (q *diskQueue) syncLocked() error {
	if err := q.writeTailLocked(); err != nil {
		return err
	}
	cur := q.cur()
	if len(q.tail) > 0 {
		if err := q.f.Sync(); err != nil {
			// After a failed fsync the page cache may have dropped
			// the data: write it all again.
			return q.cutBackLocked(fmt.Errorf("queue.disk fsync %s: %w", filepath.Base(cur.path), err))
		}
	}
	cur.synced = cur.size
	q.tail, q.written = q.tail[:0], 0
	if q.werr != nil {
		q.log.Info("disk queue writes again; inputs resume", "after", q.werr)
		q.werr = nil
		q.pausedWriting.Set(0)
	}
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

func (q *diskQueue) setWriteErrorLocked(err error) {
	q.writeErrors.Inc()
	q.pausedWriting.Set(1)
	first := q.werr == nil
	q.werr = err
	if first || time.Since(q.werrLog) > 30*time.Second {
		q.werrLog = time.Now()
		msg := "disk queue cannot write; inputs are paused (nothing is dropped) and the write is retried"
		if errors.Is(err, syscall.ENOSPC) {
			msg = "disk queue: no space left on device; inputs are paused (nothing is dropped) until space frees up"
		}
		q.log.Error(msg, "path", q.set.Path, "error", err, "retry_every", q.set.SyncInterval)
	}
}

// recoverLocked retries after a write error: the unsynced records are
// written again (a rotation that failed is retried by the next append).
func (q *diskQueue) recoverLocked() {
	if err := q.syncLocked(); err != nil {
		q.setWriteErrorLocked(err)
	}
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
				q.log.Error("disk queue final sync failed; the inputs read the unsynced events again at the next start", "error", err)
			}
			q.closed = true
			q.cond.Broadcast()
			q.mu.Unlock()
			return
		case <-t.C:
		}
		q.mu.Lock()
		switch {
		case q.werr != nil, len(q.pending) > 0, len(q.tail) > 0:
			q.recoverLocked()
		}
		q.persistAckLocked()
		q.mu.Unlock()
	}
}

// readStep is what the reader does next from pos.
type readStep struct {
	seg   *segment
	pos   position // where to read from (moved to a later segment if pos's is gone)
	limit int64    // read records up to here
	wait  bool     // nothing readable yet: wait for a sync
}

// nextReadLocked chooses the reader's next step: read the synced part of
// the first segment at or after pos; at its synced end, go on to the next
// segment if it is final, else wait for the writer. It never ends the
// reader: the segment being written always exists.
func (q *diskQueue) nextReadLocked(pos position) readStep {
	for _, s := range q.segs {
		if s.seq < pos.Seq {
			continue
		}
		if s.seq > pos.Seq {
			pos = position{Seq: s.seq}
		}
		if pos.Offset < s.synced {
			return readStep{seg: s, pos: pos, limit: s.synced}
		}
		if !s.final {
			return readStep{pos: pos, wait: true}
		}
		pos = position{Seq: s.seq + 1}
	}
	return readStep{pos: pos, wait: true}
}

// reader feeds queued events to the memory pipeline, oldest first.
func (q *diskQueue) reader(ctx context.Context) {
	pos := q.ackedPos
	for ctx.Err() == nil {
		q.mu.Lock()
		st := q.nextReadLocked(pos)
		pos = st.pos
		if q.readPos.less(pos) {
			q.readPos = pos
		}
		if st.wait {
			if q.closed {
				q.mu.Unlock()
				return
			}
			q.waitCtx(ctx)
			q.mu.Unlock()
			continue
		}
		q.mu.Unlock()
		var err error
		pos, err = q.readSegment(ctx, st.seg, pos, st.limit)
		if err != nil {
			if ctx.Err() == nil {
				q.log.Error("disk queue read failed", "segment", st.seg.path, "error", err)
			}
			return
		}
	}
}

// readSegment publishes the records of seg in [pos, limit).
func (q *diskQueue) readSegment(ctx context.Context, seg *segment, pos position, limit int64) (position, error) {
	f, err := os.Open(seg.path)
	if errors.Is(err, os.ErrNotExist) {
		// Only a fully acknowledged segment is deleted: go on.
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
	for pos.Offset < limit {
		n := uint32(0)
		_, err := io.ReadFull(r, hdr[:])
		if err == nil {
			n = binary.LittleEndian.Uint32(hdr[:4])
		}
		var rec []byte
		if err == nil && int64(n) <= limit-pos.Offset-8 {
			rec = make([]byte, n)
			_, err = io.ReadFull(r, rec)
		}
		if err != nil || rec == nil || crc32.Checksum(rec, crcTable) != binary.LittleEndian.Uint32(hdr[4:]) {
			// A torn tail (a crash mid-write) or a damaged record:
			// the length cannot be trusted, skip the rest.
			q.corrupt.Inc()
			q.log.Warn("disk queue: torn or corrupt record, skipping the rest of the segment", "segment", seg.path, "offset", pos.Offset, "bytes", limit-pos.Offset)
			pos.Offset = limit
			break
		}
		pos.Offset += int64(n) + 8
		e, err := DecodeEventRecord(rec)
		if err != nil {
			q.corrupt.Inc()
			q.log.Warn("disk queue: undecodable record skipped", "segment", seg.path, "offset", pos.Offset, "error", err)
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
	q.setReadPos(pos)
	return pos, nil
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
	q.deleteAckedLocked()
	q.cond.Broadcast()
}

// deleteAckedLocked deletes the final segments the acknowledged position
// passed (never the one being written).
func (q *diskQueue) deleteAckedLocked() {
	freed := false
	for len(q.segs) > 1 {
		s := q.segs[0]
		if !s.final || !(s.seq < q.ackedPos.Seq || s.seq == q.ackedPos.Seq && q.ackedPos.Offset >= s.size) {
			break
		}
		os.Remove(s.path)
		q.size -= s.size
		q.segs = q.segs[1:]
		freed = true
	}
	q.bytesOnDisk.Set(q.size)
	if freed && q.werr != nil {
		q.recoverLocked() // space was freed: try again now
	}
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
		if err := q.syncLocked(); err != nil {
			q.log.Error("disk queue: last sync failed; the inputs read the unsynced events again at the next start", "error", err)
		}
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
	if err != nil {
		q.setWriteErrorLocked(err)
	}
	q.mu.Unlock()
	for {
		q.mu.Lock()
		cur := q.cur()
		done := q.werr == nil && len(q.tail) == 0 && !q.readPos.less(position{Seq: cur.seq, Offset: cur.synced})
		left := q.size
		werr := q.werr
		q.mu.Unlock()
		if done && q.p.Pending() == 0 {
			return nil
		}
		select {
		case <-q.p.progress:
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			if werr != nil {
				return fmt.Errorf("disk queue: events not yet written (%v); their inputs read them again at the next start", werr)
			}
			q.log.Info("stopping with events in the disk queue; they are delivered first at the next start", "bytes", left)
			return nil
		}
	}
}
