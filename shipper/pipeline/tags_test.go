package pipeline

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// An event's own tags survive the input's `tags` and a processor's
// failure tag, whatever list type they came as: an ndjson line
// {"tags": ["a"]} gives []any, {"tags": {"env": "prod"}} gives tags.env.
// Both were replaced by ["web", "_processor_failure"] (Beats appends to
// []interface{} and leaves a tags that is not a list alone).
func TestEventTagsSurviveStaticAndFailureTags(t *testing.T) {
	f := func(name string, own event.Fields, want event.Fields) {
		t.Helper()
		m := monitoring.NewRegistry()
		out := &captureOutput{}
		p := New(Settings{QueueEvents: 8, BatchSize: 8, FlushTimeout: time.Millisecond}, out, slog.New(slog.DiscardHandler), m)
		cl := p.Connect(ClientConfig{Name: "input.t", Static: event.Fields{{Key: "tags", Value: []string{"web"}}},
			Processors: []processors.Processor{failing{"a", ""}}, ACK: func([]any) {}}, m)
		p.Start()
		defer p.Close()
		e := event.New(time.Unix(0, 0), 4)
		e.Fields = append(e.Fields, own...)
		if err := cl.Publish(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		if err := p.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := out.evs[0].Fields
		got.Delete("error.message")
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: fields (-want +got):\n%s", name, d)
		}
	}
	f("[]any", event.Fields{{Key: "tags", Value: []any{"a"}}},
		event.Fields{{Key: "tags", Value: []any{"a", "web", "_processor_failure"}}})
	f("tags.env", event.Fields{{Key: "tags.env", Value: "prod"}},
		event.Fields{{Key: "tags.env", Value: "prod"}})
	f("none", nil, event.Fields{{Key: "tags", Value: []string{"web", "_processor_failure"}}})
}
