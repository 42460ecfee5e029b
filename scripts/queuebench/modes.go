package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// pace calls publish(i) for i in [0, n) at rate events per second: every
// wake-up publishes the events that are due, then sleeps until the next one
// is due, at least 1 ms (so at 5,000 ev/s about 5 events per wake-up).
func pace(n, rate int, publish func(i int) error) error {
	start := time.Now()
	every := time.Second / time.Duration(rate)
	for i := 0; i < n; {
		due := min(n, int(time.Since(start)/every)+1)
		for ; i < due; i++ {
			if err := publish(i); err != nil {
				return err
			}
		}
		time.Sleep(max(time.Millisecond, time.Until(start.Add(time.Duration(i)*every))))
	}
	return nil
}

// ---- (a) the shipper's disk queue, through the public pipeline API -------

// nopOutput acknowledges every item, as a healthy Elasticsearch would.
type nopOutput struct{ n atomic.Int64 }

func (o *nopOutput) Publish(_ context.Context, b *pipeline.Batch) error {
	o.n.Add(int64(b.Len()))
	b.AckAll()
	return nil
}
func (o *nopOutput) Close() error { return nil }

// stallAfter: how long delivery may stand still before a run counts as
// stalled.
const stallAfter = 10 * time.Second

// runSegq uses the runner's defaults (runner.go): queue.mem.events 2048,
// bulk_max_size 1600, flush 1 s, one worker; queue.disk max_size 32 MiB,
// segment_size 4 MiB.
func runSegq(dir string, n, rate int, syncEvery time.Duration) (extra map[string]int64, err error) {
	reg := monitoring.NewRegistry()
	out := &nopOutput{}
	p := pipeline.New(pipeline.Settings{QueueEvents: 2048, BatchSize: 1600, FlushTimeout: time.Second, Workers: 1},
		out, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), reg)
	if err := p.EnableDiskQueue(pipeline.DiskQueueSettings{Path: dir, MaxSize: 32 << 20, SegmentSize: 4 << 20, SyncInterval: syncEvery}); err != nil {
		return nil, err
	}
	p.Start()
	var inputAcked atomic.Int64
	c := p.Connect(pipeline.ClientConfig{Name: "input.bench", ACK: func(privs []any) { inputAcked.Add(int64(len(privs))) }}, reg)
	// A stalled queue must not hang the bench: give up when delivery has
	// not moved for stallAfter (a deadline that extends with progress).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		last, since := int64(-1), time.Now()
		for ctx.Err() == nil && out.n.Load() < int64(n) {
			if d := out.n.Load(); d != last {
				last, since = d, time.Now()
			} else if time.Since(since) > stallAfter {
				cancel()
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	err = pace(n, rate, func(i int) error { return c.Publish(ctx, squidEvent(i)) })
	if err == nil {
		err = p.Drain(ctx)
	}
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	if d := out.n.Load(); d != int64(n) || inputAcked.Load() != int64(n) {
		err = fmt.Errorf("stalled: delivered %d, acknowledged to the input %d, of %d events (%v; queue.disk.bytes %d, corrupt_records %d)",
			d, inputAcked.Load(), n, err, reg.Counter("queue.disk.bytes").Load(), reg.Counter("queue.disk.corrupt_records").Load())
	}
	return map[string]int64{"delivered": out.n.Load()}, err
}

// ---- (b) bbolt underneath ------------------------------------------------

// runBolt models a queue on bbolt with the same cadence as the segment
// queue: the input appends encoded events to memory; every syncEvery one
// read-write transaction deletes the keys acknowledged since the previous
// one and puts the new events under 8-byte big-endian sequence keys (the
// commit fdatasyncs: bbolt's default NoSync=false). After the commit a
// reader goroutine reads the new keys in a read transaction, decodes them
// and "delivers" them (the no-op output acknowledges at once), so their
// deletion goes into the next transaction.
func runBolt(dir string, n, rate int, syncEvery time.Duration, noFreelistSync, tuned bool) (map[string]int64, error) {
	opts := &bolt.Options{Timeout: time.Second, NoFreelistSync: noFreelistSync}
	fill := bolt.DefaultFillPercent
	if tuned {
		// Keys only grow: fill pages completely instead of splitting
		// them at half, and keep the freelist as a map.
		opts.FreelistType = bolt.FreelistMapType
		fill = 1.0
	}
	db, err := bolt.Open(filepath.Join(dir, "queue.db"), 0o600, opts)
	if err != nil {
		return nil, err
	}
	bucket := []byte("q")
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
		return nil, err
	}

	var (
		mu      sync.Mutex
		pending [][]byte // encoded, not yet committed
		nextSeq uint64   // next key to put
		acked   uint64   // keys < acked are delivered (reader's side)
		deleted uint64   // keys < deleted are deleted
		commits int64
	)
	commit := func() error {
		mu.Lock()
		batch := pending
		pending = nil
		ackTo := acked
		mu.Unlock()
		if len(batch) == 0 && ackTo == deleted {
			return nil
		}
		err := db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucket)
			b.FillPercent = fill
			var k [8]byte
			for s := deleted; s < ackTo; s++ {
				binary.BigEndian.PutUint64(k[:], s)
				if err := b.Delete(k[:]); err != nil {
					return err
				}
			}
			for _, v := range batch {
				binary.BigEndian.PutUint64(k[:], nextSeq)
				if err := b.Put(append([]byte(nil), k[:]...), v); err != nil {
					return err
				}
				nextSeq++
			}
			return nil
		})
		if err == nil {
			deleted = ackTo
			commits++
		}
		return err
	}

	committed := make(chan uint64, 1) // the reader's limit after each commit
	readerDone := make(chan error, 1)
	var delivered atomic.Int64
	go func() {
		var read uint64
		for limit := range committed {
			err := db.View(func(tx *bolt.Tx) error {
				c := tx.Bucket(bucket).Cursor()
				var k [8]byte
				binary.BigEndian.PutUint64(k[:], read)
				for key, v := c.Seek(k[:]); key != nil && binary.BigEndian.Uint64(key) < limit; key, v = c.Next() {
					if _, err := pipeline.DecodeEventRecord(v); err != nil {
						return err
					}
					read = binary.BigEndian.Uint64(key) + 1
					delivered.Add(1)
				}
				return nil
			})
			if err != nil {
				readerDone <- err
				return
			}
			mu.Lock()
			acked = read
			mu.Unlock()
		}
		readerDone <- nil
	}()
	notify := func() {
		select {
		case committed <- nextSeq:
		default: // the reader is behind; it gets the next limit
			select {
			case <-committed:
			default:
			}
			committed <- nextSeq
		}
	}

	stop := make(chan struct{})
	syncerDone := make(chan error, 1)
	go func() {
		t := time.NewTicker(syncEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				syncerDone <- nil
				return
			case <-t.C:
			}
			if err := commit(); err != nil {
				syncerDone <- err
				return
			}
			notify()
		}
	}()

	var buf []byte
	err = pace(n, rate, func(i int) error {
		buf = pipeline.AppendEventRecord(buf[:0], squidEvent(i))
		v := append([]byte(nil), buf...)
		mu.Lock()
		pending = append(pending, v)
		mu.Unlock()
		return nil
	})
	close(stop)
	if serr := <-syncerDone; err == nil {
		err = serr
	}
	// Drain: commit the rest, let the reader deliver it, delete it.
	deadline := time.Now().Add(time.Minute)
	for err == nil && delivered.Load() < int64(n) && time.Now().Before(deadline) {
		err = commit()
		notify()
		time.Sleep(syncEvery / 10)
	}
	close(committed)
	if rerr := <-readerDone; err == nil {
		err = rerr
	}
	if err == nil {
		err = commit()
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil && delivered.Load() != int64(n) {
		err = fmt.Errorf("delivered %d of %d", delivered.Load(), n)
	}
	var fileSize int64
	if fi, serr := os.Stat(filepath.Join(dir, "queue.db")); serr == nil {
		fileSize = fi.Size()
	}
	return map[string]int64{"delivered": delivered.Load(), "commits": commits, "db_file_bytes": fileSize}, err
}

// ---- (c) the floor: one append-only file, fsync per interval ------------

// runFile appends length+CRC records (the segment queue's framing) to one
// file through a 64 KiB buffer and fsyncs every syncEvery. Nothing is read
// back, acknowledged or deleted.
func runFile(dir string, n, rate int, syncEvery time.Duration) (map[string]int64, error) {
	f, err := os.OpenFile(filepath.Join(dir, "append.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	w := bufio.NewWriterSize(f, 64<<10)
	syncOnce := func() error {
		mu.Lock()
		defer mu.Unlock()
		if err := w.Flush(); err != nil {
			return err
		}
		return f.Sync()
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		t := time.NewTicker(syncEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				done <- nil
				return
			case <-t.C:
			}
			if err := syncOnce(); err != nil {
				done <- err
				return
			}
		}
	}()
	var buf []byte
	var hdr [8]byte
	err = pace(n, rate, func(i int) error {
		buf = pipeline.AppendEventRecord(buf[:0], squidEvent(i))
		binary.LittleEndian.PutUint32(hdr[:4], uint32(len(buf)))
		binary.LittleEndian.PutUint32(hdr[4:], crc32.Checksum(buf, crcTable))
		mu.Lock()
		defer mu.Unlock()
		w.Write(hdr[:])
		_, err := w.Write(buf)
		return err
	})
	close(stop)
	if serr := <-done; err == nil {
		err = serr
	}
	if serr := syncOnce(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return map[string]int64{"delivered": int64(n)}, err
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// recordSizes returns the average queue record payload and ES document size.
func recordSizes(n int) (record, doc float64) {
	var rb, db []byte
	var rs, ds int
	for i := range n {
		e := squidEvent(i)
		rb = pipeline.AppendEventRecord(rb[:0], e)
		db = event.AppendJSON(db[:0], e)
		rs += len(rb)
		ds += len(db)
	}
	return float64(rs) / float64(n), float64(ds) / float64(n)
}
