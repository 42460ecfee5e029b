// Package console is the `console` output: one JSON document per line on
// standard output (pretty with `pretty: true`).
package console

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/shipper-project/shipper/outputs"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

func init() {
	outputs.Register(outputs.Plugin{Name: "console", Factory: factory})
}

// Config is output.console.
type Config struct {
	Pretty      bool           `yaml:"pretty"`
	BulkMaxSize int            `yaml:"bulk_max_size"`
	Codec       map[string]any `yaml:"codec"` // accepted for Beats compatibility
	Enabled     *bool          `yaml:"enabled"`
}

func factory(sec config.Section, env outputs.Env) (outputs.Output, outputs.Settings, error) {
	cfg := Config{BulkMaxSize: 2048}
	if err := sec.Decode(&cfg); err != nil {
		return nil, outputs.Settings{}, err
	}
	return New(os.Stdout, cfg.Pretty), outputs.Settings{BatchSize: cfg.BulkMaxSize, Workers: 1}, nil
}

// Output writes documents to w.
type Output struct {
	w      *bufio.Writer
	pretty bool
	buf    []byte
	enc    event.Encoder
	ind    bytes.Buffer
}

// New returns a console output writing to w.
func New(w io.Writer, pretty bool) *Output {
	return &Output{w: bufio.NewWriterSize(w, 64<<10), pretty: pretty}
}

// Publish writes the batch and acknowledges it.
func (o *Output) Publish(_ context.Context, b *pipeline.Batch) error {
	for i := range b.Len() {
		o.buf = o.enc.Append(o.buf[:0], b.Event(i))
		if o.pretty {
			o.ind.Reset()
			if err := json.Indent(&o.ind, o.buf, "", "  "); err == nil {
				o.buf = append(o.buf[:0], o.ind.Bytes()...)
			}
		}
		o.buf = append(o.buf, '\n')
		if _, err := o.w.Write(o.buf); err != nil {
			return fmt.Errorf("output.console: %w", err)
		}
	}
	if err := o.w.Flush(); err != nil {
		return fmt.Errorf("output.console: %w", err)
	}
	b.AckAll()
	return nil
}

// EventsNotRetained tells the pipeline that Publish keeps no event: the
// documents are encoded and written during the call.
func (*Output) EventsNotRetained() {}

// Close flushes.
func (o *Output) Close() error { return o.w.Flush() }
