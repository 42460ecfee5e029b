// Package file is the `file` output: NDJSON documents appended to
// path/filename, rotated by size. A batch is written to the kernel before it
// is acknowledged (a crash of the process loses nothing); with fsync: true
// it is also on disk (power loss), at the cost of one fsync per batch.
package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/shipper-project/shipper/outputs"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

func init() {
	outputs.Register(outputs.Plugin{Name: "file", Factory: factory})
}

// Config is output.file.
type Config struct {
	Path          string          `yaml:"path"`
	Filename      string          `yaml:"filename"`
	RotateEveryKB int             `yaml:"rotate_every_kb"`
	NumberOfFiles int             `yaml:"number_of_files"`
	Permissions   string          `yaml:"permissions"`
	BulkMaxSize   int             `yaml:"bulk_max_size"`
	Codec         map[string]any  `yaml:"codec"` // accepted for Beats compatibility; only json is written
	Fsync         bool            `yaml:"fsync"`
	BufferSize    config.ByteSize `yaml:"buffer_size"`
}

// DefaultConfig holds the defaults README.md shows.
func DefaultConfig() Config {
	return Config{
		Filename:      "shipper.ndjson",
		RotateEveryKB: 100 * 1024,
		NumberOfFiles: 7,
		Permissions:   "0600",
		BulkMaxSize:   1024,
		Fsync:         false,
		BufferSize:    256 * config.KiB,
	}
}

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("path: the directory to write to is required"))
	}
	if c.Filename == "" || filepath.Base(c.Filename) != c.Filename {
		errs = append(errs, fmt.Errorf("filename: must be a plain file name, got %q", c.Filename))
	}
	if c.RotateEveryKB <= 0 {
		errs = append(errs, fmt.Errorf("rotate_every_kb: must be > 0, got %d", c.RotateEveryKB))
	}
	if c.NumberOfFiles < 1 || c.NumberOfFiles > 1024 {
		errs = append(errs, fmt.Errorf("number_of_files: must be 1..1024, got %d", c.NumberOfFiles))
	}
	if _, err := strconv.ParseUint(c.Permissions, 8, 32); err != nil {
		errs = append(errs, fmt.Errorf("permissions: want an octal mode like 0600, got %q", c.Permissions))
	}
	if c.BulkMaxSize <= 0 {
		errs = append(errs, fmt.Errorf("bulk_max_size: must be > 0, got %d", c.BulkMaxSize))
	}
	return errors.Join(errs...)
}

func factory(sec config.Section, env outputs.Env) (outputs.Output, outputs.Settings, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg); err != nil {
		return nil, outputs.Settings{}, err
	}
	o, err := New(cfg, env.Metrics)
	if err != nil {
		return nil, outputs.Settings{}, err
	}
	return o, outputs.Settings{BatchSize: cfg.BulkMaxSize, Workers: 1}, nil
}

// Output writes NDJSON.
type Output struct {
	cfg  Config
	mode os.FileMode
	f    *os.File
	size int64 // of the current file, with the documents in buf
	// buf holds the documents encoded and not yet written, up to about
	// buffer_size: each is encoded into it, not copied a second time
	// into a bufio.Writer (a squid document is ~1 KiB).
	buf        []byte
	enc        event.Encoder
	bytes      *monitoring.Counter
	rotatedOut *monitoring.Counter // documents deleted with the oldest file
	torn       *monitoring.Counter // torn last lines ended at open (a crash mid-write)
	// broken: a write or fsync failed, and the file may end inside a
	// document: the next Publish reopens the file, which ends that torn
	// line.
	broken bool
	// docs[i] is how many documents this process wrote to generation i
	// (0: the current file), -1 when the file predates the process; the
	// oldest one's count is what a rotation deletes.
	docs []int64
}

// New opens (appends to) path/filename.
func New(cfg Config, m *monitoring.Registry) (*Output, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mode, _ := strconv.ParseUint(cfg.Permissions, 8, 32)
	o := &Output{cfg: cfg, mode: os.FileMode(mode), bytes: m.Counter("output.write.bytes"),
		rotatedOut: m.Counter("output.file.events_rotated_out"), torn: m.Counter("output.file.torn_lines")}
	if err := os.MkdirAll(cfg.Path, 0o750); err != nil {
		return nil, fmt.Errorf("output.file: create %s: %w", cfg.Path, err)
	}
	if err := o.open(); err != nil {
		return nil, err
	}
	o.docs = make([]int64, cfg.NumberOfFiles)
	for i := range o.docs {
		o.docs[i] = -1 // files of an earlier run: counted when deleted
	}
	if o.size == 0 {
		o.docs[0] = 0
	}
	return o, nil
}

func (o *Output) name() string { return filepath.Join(o.cfg.Path, o.cfg.Filename) }

func (o *Output) open() error {
	f, err := os.OpenFile(o.name(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, o.mode)
	if err != nil {
		return fmt.Errorf("output.file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("output.file: %w", err)
	}
	o.f, o.size = f, fi.Size()
	// A process killed during a write(2) leaves a torn last line: the
	// kernel stops a write at a page boundary once SIGKILL is pending. Its
	// document was not acknowledged and comes again; end the torn line so
	// that it stays one unparsable line instead of swallowing the next
	// document (the first unacknowledged one, perhaps the torn one itself).
	if o.size > 0 {
		last := make([]byte, 1)
		r, err := os.Open(o.name())
		if err == nil {
			_, err = r.ReadAt(last, o.size-1)
			r.Close()
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("output.file: read the end of %s: %w", o.name(), err)
		}
		if last[0] != '\n' {
			if _, err := f.Write([]byte{'\n'}); err != nil {
				f.Close()
				return fmt.Errorf("output.file: end the torn last line of %s: %w", o.name(), err)
			}
			o.size++
			o.torn.Inc()
		}
	}
	return nil
}

// EventsNotRetained tells the pipeline that Publish keeps no event: the
// documents are encoded during the call.
func (*Output) EventsNotRetained() {}

// Publish appends the batch and makes it durable before acknowledging it.
// After a failure (a full disk) the pipeline sends the batch again, and
// it is written once the disk has room.
func (o *Output) Publish(_ context.Context, b *pipeline.Batch) error {
	if o.broken {
		o.f.Close() // the error that broke it is the one that was returned
		if err := o.open(); err != nil {
			return err
		}
		o.broken = false
	}
	if err := o.publish(b); err != nil {
		o.broken = true
		return err
	}
	b.AckAll()
	return nil
}

func (o *Output) publish(b *pipeline.Batch) error {
	limit := int64(o.cfg.RotateEveryKB) * 1024
	o.buf = o.buf[:0] // what a failed Publish left is sent again
	for i := range b.Len() {
		start := len(o.buf)
		o.buf = o.enc.Append(o.buf, b.Event(i))
		o.buf = append(o.buf, '\n')
		n := int64(len(o.buf) - start)
		if o.size > 0 && o.size+n > limit {
			// The documents before this one end the current file.
			if err := o.write(o.buf[:start]); err != nil {
				return err
			}
			if err := o.rotate(); err != nil {
				return err
			}
			o.buf = o.buf[:copy(o.buf, o.buf[start:])]
		}
		o.size += n
		if o.docs[0] >= 0 {
			o.docs[0]++
		}
		if len(o.buf) >= int(o.cfg.BufferSize) {
			if err := o.write(o.buf); err != nil {
				return err
			}
			o.buf = o.buf[:0]
		}
	}
	if err := o.write(o.buf); err != nil {
		return err
	}
	o.buf = o.buf[:0]
	if o.cfg.Fsync {
		if err := o.f.Sync(); err != nil {
			return fmt.Errorf("output.file: fsync %s: %w", o.name(), err)
		}
	}
	return nil
}

// write writes p to the current file.
func (o *Output) write(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	n, err := o.f.Write(p)
	o.bytes.Add(int64(n))
	if err != nil {
		return fmt.Errorf("output.file: write %s: %w", o.name(), err)
	}
	return nil
}

// rotate renames name → name.1 → … → name.N-1 and opens a fresh file.
// A rename that fails stops the rotation with its error, before a younger
// file is renamed over the one that could not move (which deleted its
// documents without a count): the batch fails and is sent again, as after
// a full disk, and the rotation is tried again. A generation that does not
// exist is skipped (the files after it keep their place).
func (o *Output) rotate() error {
	if err := o.f.Close(); err != nil {
		return err
	}
	base := o.name()
	gen := func(i int) string {
		if i == 0 {
			return base
		}
		return base + "." + strconv.Itoa(i)
	}
	// deleted is what replacing or removing the oldest file deletes.
	deleted := func(i int) int64 {
		if n := o.docs[i]; n >= 0 {
			return n
		}
		return countLines(gen(i)) // written before this process started
	}
	n := o.cfg.NumberOfFiles
	if n == 1 {
		d := deleted(0)
		if err := os.Remove(base); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("output.file: rotate: %w", err)
		}
		o.rotatedOut.Add(d)
	}
	for i := n - 1; i >= 1; i-- {
		var d int64
		if i == n-1 {
			d = deleted(i)
		}
		if err := os.Rename(gen(i-1), gen(i)); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return fmt.Errorf("output.file: rotate: %w", err)
		}
		o.rotatedOut.Add(d)
		o.docs[i] = o.docs[i-1]
	}
	o.docs[0] = 0
	return o.open()
}

// countLines counts the documents of a file written before this process
// started (for the others the count is kept while writing).
func countLines(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	var n int64
	for {
		b, err := r.ReadSlice('\n')
		if len(b) > 0 && b[len(b)-1] == '\n' {
			n++
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return n
		}
	}
}

// Close closes the file. Nothing is pending: Publish writes its batch
// before it returns (the documents of a failed one are sent again).
func (o *Output) Close() error {
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.f = nil
	return err
}
