package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

type captureOutput struct {
	mu  sync.Mutex
	evs []*event.Event
}

func (o *captureOutput) Publish(_ context.Context, b *Batch) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range b.Len() {
		o.evs = append(o.evs, b.Event(i))
	}
	b.AckAll()
	return nil
}
func (o *captureOutput) Close() error { return nil }

// failing returns an error; with own set, it first writes its own
// error.message, as decode_json_fields with add_error_key does.
type failing struct {
	name, own string
}

func (f failing) Run(e *event.Event) (*event.Event, error) {
	if f.own != "" {
		e.Fields.Put("error.message", f.own)
	}
	return e, errors.New("failed")
}
func (f failing) String() string { return f.name }

// A processor's own error.message is kept, and a second failure does not
// erase the first: error.message lists both (D's note on issue 15).
func TestProcessorErrorMessagesKept(t *testing.T) {
	cases := []struct {
		procs []processors.Processor
		want  string
	}{
		{[]processors.Processor{failing{"a", ""}}, "a: failed"},
		{[]processors.Processor{failing{"json", "Error decoding JSON: bad"}}, "Error decoding JSON: bad"},
		{[]processors.Processor{failing{"a", ""}, failing{"b", ""}}, "[a: failed b: failed]"},
	}
	for _, c := range cases {
		m := monitoring.NewRegistry()
		out := &captureOutput{}
		p := New(Settings{QueueEvents: 8, BatchSize: 8, FlushTimeout: time.Millisecond}, out, slog.New(slog.DiscardHandler), m)
		cl := p.Connect(ClientConfig{Name: "input.t", Processors: c.procs, ACK: func([]any) {}}, m)
		p.Start()
		cl.Publish(context.Background(), event.New(time.Now(), 1))
		if err := p.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		p.Close()
		got, _ := out.evs[0].Fields.Get("error.message")
		if fmt.Sprint(got) != c.want {
			t.Errorf("%v: error.message = %v, want %s", c.procs, got, c.want)
		}
	}
}
