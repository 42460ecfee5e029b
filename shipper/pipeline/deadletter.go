package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// DeadLetterFile appends rejected events, one JSON object per line:
// {"@timestamp":…,"status":400,"reason":"…","index":"…","id":"…","event":{…}}.
// When the file would exceed maxBytes it becomes <name>.1 (replacing the
// previous .1, whose events are counted as dropped): the newest rejections
// are kept, the oldest dropped and counted, and the file never outgrows
// 2 × maxBytes on a router's flash.
type DeadLetterFile struct {
	mu       sync.Mutex
	path     string
	maxBytes int64
	f        dlFile
	size     int64
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
	d.f, d.size = f, fi.Size()
	d.bytes.Set(d.size)
	return nil
}

// Path returns the file's path.
func (d *DeadLetterFile) Path() string { return d.path }

// Write appends e with its rejection and fsyncs: a dead-lettered event is
// final, so it must be on disk before its cursor moves on.
func (d *DeadLetterFile) Write(e *event.Event, status int, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b := d.buf[:0]
	b = append(b, `{"@timestamp":"`...)
	b = time.Now().UTC().AppendFormat(b, event.TimestampLayout)
	b = append(b, `","status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"reason":`...)
	b = event.AppendString(b, reason)
	b = append(b, `,"index":`...)
	b = event.AppendString(b, e.Meta.Index)
	b = append(b, `,"id":`...)
	b = event.AppendString(b, e.Meta.ID)
	b = append(b, `,"event":`...)
	b = event.AppendJSON(b, e)
	b = append(b, "}\n"...)
	d.buf = b
	if d.maxBytes > 0 && d.size > 0 && d.size+int64(len(b)) > d.maxBytes {
		if err := d.rotate(); err != nil {
			return err
		}
	}
	if _, err := d.f.Write(b); err != nil {
		return fmt.Errorf("write dead-letter file: %w", err)
	}
	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("fsync dead-letter file: %w", err)
	}
	d.size += int64(len(b))
	d.written.Inc()
	d.bytes.Set(d.size)
	return nil
}

func (d *DeadLetterFile) rotate() error {
	old := d.path + ".1"
	if n, err := countLines(old); err == nil && n > 0 {
		d.dropped.Add(n)
	}
	d.f.Close()
	if err := os.Rename(d.path, old); err != nil {
		return fmt.Errorf("rotate dead-letter file: %w", err)
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
	return d.f.Close()
}
