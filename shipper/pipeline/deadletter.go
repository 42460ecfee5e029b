package pipeline

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// DeadLetterFile appends rejected events, one JSON object per line:
// {"@timestamp":…,"status":400,"reason":"…","index":"…","id":"…","event":{…}}
// (with "pipeline":"…" before "event" when the event had an ingest pipeline).
// When the file would exceed maxBytes it becomes <name>.1 (replacing the
// previous .1, whose events are counted as dropped): the newest rejections
// are kept, the oldest dropped and counted, and the file never outgrows
// 2 × maxBytes on a router's flash.
//
// Every entry is one whole line or nothing: a write or fsync that fails
// (a full disk stores part of a write) is cut back to the end of the last
// complete line, so the event, retried by the pipeline, is written whole
// later and never twice. If the cut-back fails too, or the file ends in a
// torn line left by a crash, the next entry starts with a newline: the
// torn part stays one unreadable line and swallows no entry (issue 18).
type DeadLetterFile struct {
	mu       sync.Mutex
	path     string
	maxBytes int64
	f        dlFile
	size     int64 // bytes in the file, up to the end of its last line
	torn     bool  // the file ends in a partial line: start the next entry on a new line
	buf      []byte

	written, dropped, bytes *monitoring.Counter
}

// dlFile is what DeadLetterFile needs of its *os.File (tests inject
// write, sync and truncate failures through it).
type dlFile interface {
	Write(b []byte) (int, error)
	Sync() error
	Truncate(size int64) error
	Close() error
}

// DeadLetterName is the file under path.data/dead_letter.
const DeadLetterName = "dead_letter.ndjson"

// OpenDeadLetter opens (appends to) dir/dead_letter.ndjson.
func OpenDeadLetter(dir string, maxBytes int64, m *monitoring.Registry) (*DeadLetterFile, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("dead-letter directory: %w", err)
	}
	d := &DeadLetterFile{
		path: filepath.Join(dir, DeadLetterName), maxBytes: maxBytes,
		written: m.Counter("dead_letter.events"),
		dropped: m.Counter("dead_letter.dropped"),
		bytes:   m.Counter("dead_letter.bytes"),
	}
	if err := d.open(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *DeadLetterFile) open() error {
	f, err := os.OpenFile(d.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open dead-letter file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	d.f, d.size, d.torn = f, fi.Size(), false
	if d.size > 0 {
		d.torn = !endsWithNewline(d.path, d.size)
	}
	d.bytes.Set(d.size)
	return nil
}

// endsWithNewline reports whether the file's byte at size-1 is '\n'
// (true when it cannot tell: an extra empty line is harmless).
func endsWithNewline(path string, size int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], size-1); err != nil {
		return true
	}
	return b[0] == '\n'
}

// Path returns the file's path.
func (d *DeadLetterFile) Path() string { return d.path }

// EventsNotRetained tells the pipeline that Write keeps no event: it
// encodes the event before it returns.
func (*DeadLetterFile) EventsNotRetained() {}

// Write appends e with its rejection and fsyncs: a dead-lettered event is
// final, so it must be on disk before its cursor moves on.
func (d *DeadLetterFile) Write(e *event.Event, status int, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b := d.buf[:0]
	if d.torn {
		b = append(b, '\n')
	}
	b = append(b, `{"@timestamp":"`...)
	b = time.Now().UTC().AppendFormat(b, event.TimestampLayout)
	b = append(b, `","status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"reason":`...)
	b = event.AppendString(b, reason)
	b = append(b, `,"index":`...)
	b = event.AppendString(b, e.Meta.Index)
	b = append(b, `,"id":`...)
	b = event.AppendString(b, e.Meta.DocID())
	if e.Meta.Pipeline != "" { // the ingest pipeline it was sent with: replay sends it again
		b = append(b, `,"pipeline":`...)
		b = event.AppendString(b, e.Meta.Pipeline)
	}
	b = append(b, `,"event":`...)
	b = event.AppendJSON(b, e)
	b = append(b, "}\n"...)
	d.buf = b
	if d.f == nil { // a rotation could not open the new file
		if err := d.open(); err != nil {
			return err
		}
	}
	if d.maxBytes > 0 && d.size > 0 && d.size+int64(len(b)) > d.maxBytes {
		if err := d.rotate(); err != nil {
			return err
		}
	}
	n, err := d.f.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return d.cutBack(int64(n), fmt.Errorf("write dead-letter file: %w", err))
	}
	if err := d.f.Sync(); err != nil {
		return d.cutBack(int64(n), fmt.Errorf("fsync dead-letter file: %w", err))
	}
	d.size += int64(len(b))
	d.torn = false
	d.written.Inc()
	d.bytes.Set(d.size)
	return nil
}

// cutBack removes the n bytes a failed write left after the last complete
// line and returns err. If the file cannot be cut back, they stay, and the
// next entry starts on a new line.
func (d *DeadLetterFile) cutBack(n int64, err error) error {
	if n == 0 {
		return err
	}
	if terr := d.f.Truncate(d.size); terr != nil {
		d.size += n
		d.torn = true
		d.bytes.Set(d.size)
		return errors.Join(err, fmt.Errorf("cut back the partial entry: %w", terr))
	}
	return err
}

// rotate makes the file .1 and opens a new one. After a failure the file
// is closed (d.f nil) and the next Write opens it again, whichever step
// failed; .1's entries are counted as dropped only once replaced.
func (d *DeadLetterFile) rotate() error {
	old := d.path + ".1"
	d.f.Close()
	d.f = nil
	n, cerr := countLines(old) // its descriptor freed: the count can open .1
	if err := os.Rename(d.path, old); err != nil {
		return fmt.Errorf("rotate dead-letter file: %w", err)
	}
	if cerr == nil && n > 0 {
		d.dropped.Add(n)
	}
	return d.open()
}

func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	r := bufio.NewReaderSize(f, 64<<10)
	buf := make([]byte, 64<<10)
	for {
		k, err := r.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err != nil {
			return n, nil
		}
	}
}

// Close closes the file.
func (d *DeadLetterFile) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	return d.f.Close()
}
