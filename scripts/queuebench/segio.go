package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// runSegIO re-implements the I/O pattern of shipper/pipeline/diskqueue.go
// (61cd9d7, still the same at a518156), without its state machine: records (4 B
// length, 4 B CRC-32C, payload) appended through a 64 KiB buffer to 4 MiB
// segment files; every syncEvery the current segment is flushed and fsynced
// (and at each rotation, when the directory is fsynced too so that the new
// name is durable), the acknowledged position is written to ack.json (tmp file,
// fsync, rename) when it moved, and fully acknowledged segments are deleted.
// A reader reads the synced records, decodes them and acknowledges them at
// once (a healthy output), as bbolt mode does.
func runSegIO(dir string, n, rate int, syncEvery time.Duration) (map[string]int64, error) {
	const segSize = 4 << 20
	type seg struct {
		seq  uint64
		path string
		size int64
	}
	var (
		mu       sync.Mutex
		segs     []*seg
		f        *os.File
		w        *bufio.Writer
		pending  int
		synced   position
		ackedPos position
		ackDirty bool
		fsyncs   int64
	)
	newSegment := func(seq uint64) error {
		path := filepath.Join(dir, fmt.Sprintf("%020d.seg", seq))
		nf, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if d, err := os.Open(dir); err == nil {
			d.Sync()
			d.Close()
			fsyncs++
		}
		if f != nil {
			if err := f.Close(); err != nil {
				return err
			}
		}
		f = nf
		if w == nil {
			w = bufio.NewWriterSize(f, 64<<10)
		} else {
			w.Reset(f)
		}
		segs = append(segs, &seg{seq: seq, path: path})
		return nil
	}
	syncLocked := func() error {
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		fsyncs++
		cur := segs[len(segs)-1]
		synced = position{Seq: cur.seq, Offset: cur.size}
		pending = 0
		return nil
	}
	persistAckLocked := func() error {
		if !ackDirty {
			return nil
		}
		b, _ := json.Marshal(ackedPos)
		tmp := filepath.Join(dir, "ack.json.tmp")
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			return err
		}
		tf, err := os.Open(tmp)
		if err != nil {
			return err
		}
		tf.Sync()
		tf.Close()
		fsyncs++
		ackDirty = false
		return os.Rename(tmp, filepath.Join(dir, "ack.json"))
	}
	if err := newSegment(0); err != nil {
		return nil, err
	}

	// The reader: what is synced, oldest first.
	wake := make(chan struct{}, 1)
	var delivered int64
	readerDone := make(chan error, 1)
	go func() {
		var pos position
		rec := make([]byte, 0, 4096)
		for range wake {
			mu.Lock()
			limit := synced
			mu.Unlock()
			for pos.less(limit) {
				// The oldest segment at or after pos: the one read up to
				// its end at a rotation is deleted once acknowledged.
				mu.Lock()
				var s *seg
				for _, x := range segs {
					if x.seq >= pos.Seq {
						s = x
						break
					}
				}
				mu.Unlock()
				if s == nil {
					readerDone <- fmt.Errorf("no segment at or after %d", pos.Seq)
					return
				}
				if s.seq > pos.Seq {
					pos = position{Seq: s.seq}
				}
				end := int64(-1) // a finished segment
				if s.seq == limit.Seq {
					end = limit.Offset
				}
				rf, err := os.Open(s.path)
				if err != nil {
					readerDone <- err
					return
				}
				rf.Seek(pos.Offset, io.SeekStart)
				r := bufio.NewReaderSize(rf, 64<<10)
				var hdr [8]byte
				for end < 0 || pos.Offset < end {
					if _, err := io.ReadFull(r, hdr[:]); err != nil {
						break
					}
					l := binary.LittleEndian.Uint32(hdr[:4])
					rec = rec[:l]
					if _, err := io.ReadFull(r, rec); err != nil || crc32.Checksum(rec, crcTable) != binary.LittleEndian.Uint32(hdr[4:]) {
						rf.Close()
						readerDone <- fmt.Errorf("torn record in a synced segment %d at %d", s.seq, pos.Offset)
						return
					}
					if _, err := decodeEventRecord(rec); err != nil {
						rf.Close()
						readerDone <- err
						return
					}
					pos.Offset += int64(l) + 8
					delivered++
				}
				rf.Close()
				if end < 0 {
					pos = position{Seq: s.seq + 1}
				}
				// The output acknowledged at once: advance, delete what is
				// fully acknowledged (never the segment being written).
				mu.Lock()
				ackedPos, ackDirty = pos, true
				for len(segs) > 1 && (segs[0].seq < pos.Seq || segs[0].seq == pos.Seq && pos.Offset >= segs[0].size) {
					os.Remove(segs[0].path)
					segs = segs[1:]
				}
				mu.Unlock()
			}
		}
		readerDone <- nil
	}()
	notify := func() {
		select {
		case wake <- struct{}{}:
		default:
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
			mu.Lock()
			var err error
			if pending > 0 {
				err = syncLocked()
			}
			if err == nil {
				err = persistAckLocked()
			}
			mu.Unlock()
			if err != nil {
				syncerDone <- err
				return
			}
			notify()
		}
	}()

	var buf []byte
	var hdr [8]byte
	err := pace(n, rate, func(i int) error {
		buf = appendEventRecord(buf[:0], squidEvent(i))
		need := int64(len(buf) + 8)
		binary.LittleEndian.PutUint32(hdr[:4], uint32(len(buf)))
		binary.LittleEndian.PutUint32(hdr[4:], crc32.Checksum(buf, crcTable))
		mu.Lock()
		defer mu.Unlock()
		cur := segs[len(segs)-1]
		if cur.size > 0 && cur.size+need > segSize {
			if err := syncLocked(); err != nil {
				return err
			}
			if err := newSegment(cur.seq + 1); err != nil {
				return err
			}
			cur = segs[len(segs)-1]
		}
		w.Write(hdr[:])
		if _, err := w.Write(buf); err != nil {
			return err
		}
		cur.size += need
		pending++
		return nil
	})
	close(stop)
	if serr := <-syncerDone; err == nil {
		err = serr
	}
	// Drain: sync the rest, let the reader deliver it, persist the position.
	if err == nil {
		mu.Lock()
		err = syncLocked()
		mu.Unlock()
	}
	notify()
	close(wake)
	if rerr := <-readerDone; err == nil {
		err = rerr
	}
	mu.Lock()
	if perr := persistAckLocked(); err == nil {
		err = perr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	mu.Unlock()
	if err == nil && delivered != int64(n) {
		err = errors.New(fmt.Sprint("delivered ", delivered, " of ", n))
	}
	return map[string]int64{"delivered": delivered, "fsyncs": fsyncs}, err
}

type position struct {
	Seq    uint64 `json:"segment"`
	Offset int64  `json:"offset"`
}

func (a position) less(b position) bool {
	return a.Seq < b.Seq || a.Seq == b.Seq && a.Offset < b.Offset
}
