package elasticsearch

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// TestIndexFieldWithoutValue: %{[field]} in index follows Beats' format
// strings (libbeat/common/fmtstr, outil's fmtSelector). A field without a
// usable value (missing, an object, a list) gives the event no index at
// all in Beats, and Elasticsearch refuses it: here it goes to the
// dead-letter file with the field named, never to another index (it went
// to "…-generic"). %{[field]:default} writes default when the field is
// missing or empty, and the default index is written that way
// (shipper-%{[event.dataset]:generic}), so its names do not change. An
// empty text is written as it is; a float as Beats formats it ('g').
func TestIndexFieldWithoutValue(t *testing.T) {
	f := func(index string, fields event.Fields, want string) {
		t.Helper()
		cfg := DefaultConfig()
		if index != "" {
			cfg.Index = index
		}
		out, err := New(cfg, nil, nil)
		if err != nil {
			t.Fatalf("New(index %q): %v", index, err)
		}
		e := event.New(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 2)
		e.Fields = append(e.Fields, fields...)
		b := pipeline.NewTestBatch(e)
		body, _, _ := out.encode(b, []int{0})
		actions := parseBody(t, body)
		switch {
		case want == "" && len(actions) != 0:
			t.Errorf("index %q, fields %v: sent to %q, want the dead-letter file", cfg.Index, fields, actions[0]["_index"])
		case want == "" && b.Outcome(0) != pipeline.DeadLettered:
			t.Errorf("index %q, fields %v: outcome %v, want dead-lettered", cfg.Index, fields, b.Outcome(0))
		case want != "" && (len(actions) != 1 || actions[0]["_index"] != want):
			t.Errorf("index %q, fields %v: actions %v, want one to %q", cfg.Index, fields, actions, want)
		}
	}
	f("logs-%{[event.dataset]}", nil, "")
	f("logs-%{[event.dataset]}", event.Fields{{Key: "event.dataset", Value: map[string]any{"a": "b"}}}, "")
	f("logs-%{[event.dataset]}", event.Fields{{Key: "event.dataset", Value: []string{"a"}}}, "")
	f("logs-%{[event.dataset]}", event.Fields{{Key: "event.dataset", Value: ""}}, "logs-")
	f("%{[event.dataset]}", event.Fields{{Key: "event.dataset", Value: ""}}, "")
	f("logs-%{[n]}", event.Fields{{Key: "n", Value: 1e8}}, "logs-1e+08")
	f("logs-%{[event.dataset]:generic}", nil, "logs-generic")
	f("logs-%{[event.dataset]:generic}", event.Fields{{Key: "event.dataset", Value: ""}}, "logs-generic")
	f("logs-%{[event.dataset]:generic}", event.Fields{{Key: "event.dataset", Value: "Squid"}}, "logs-squid")
	f("logs-%{[event][dataset]:x}-%{[event.dataset]}", nil, "") // required once: required
	f("", nil, "shipper-generic")
	f("", event.Fields{{Key: "event.dataset", Value: "squid.access"}}, "shipper-squid.access")

	// The reason names the field, for the operator reading the
	// dead-letter file.
	es := estest.New(t, func(int, []estest.Doc) estest.Reply { return estest.Reply{} })
	cfg := DefaultConfig()
	cfg.Hosts = []string{es.URL}
	cfg.Index = "logs-%{[event.dataset]}"
	m := monitoring.NewRegistry()
	out, err := New(cfg, slog.New(slog.DiscardHandler), m)
	if err != nil {
		t.Fatal(err)
	}
	dl := &reasons{}
	p := pipeline.New(pipeline.Settings{QueueEvents: 4, BatchSize: 4, FlushTimeout: time.Millisecond, DeadLetter: dl}, out, slog.New(slog.DiscardHandler), m)
	c := p.Connect(pipeline.ClientConfig{Name: "input.t"}, m)
	p.Start()
	defer p.Close()
	if err := c.Publish(context.Background(), event.New(time.Unix(0, 0), 1)); err != nil {
		t.Fatal(err)
	}
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if len(dl.got) != 1 || !strings.Contains(dl.got[0], "event.dataset") {
		t.Errorf("dead-letter reasons %q, want one naming event.dataset", dl.got)
	}
	if len(es.Docs()) != 0 {
		t.Errorf("the server received %d documents, want none", len(es.Docs()))
	}
}

type reasons struct {
	mu  sync.Mutex
	got []string
}

func (r *reasons) Write(_ *event.Event, _ int, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, reason)
	return nil
}
