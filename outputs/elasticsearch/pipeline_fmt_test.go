package elasticsearch

import (
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// TestPipelineFormatString: Beats' `pipeline` is a format string like
// `index` (outil selector, lower-cased): "%{[fields.ingest]}" names each
// event's own pipeline, and an event without the field gets none. It was
// sent as written, "%{[fields.ingest]}", a pipeline that does not exist,
// so Elasticsearch refused every document (all dead-lettered). An
// event's own pipeline still wins; a bad expression is a configuration
// error.
func TestPipelineFormatString(t *testing.T) {
	f := func(pipe string, fields event.Fields, own, want string) {
		t.Helper()
		cfg := DefaultConfig()
		cfg.Pipeline = pipe
		out, err := New(cfg, nil, nil)
		if err != nil {
			t.Fatalf("New(pipeline %q): %v", pipe, err)
		}
		e := event.New(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 2)
		e.Fields = append(e.Fields, fields...)
		e.Meta.Pipeline = own
		body, _, _ := out.encode(pipeline.NewTestBatch(e), []int{0})
		actions := parseBody(t, body)
		if len(actions) != 1 || actions[0]["pipeline"] != want {
			t.Errorf("pipeline %q, fields %v, own %q: actions %v, want pipeline %q", pipe, fields, own, actions, want)
		}
	}
	ingest := event.Fields{{Key: "fields.ingest", Value: "Squid-Parse"}}
	f("%{[fields.ingest]}", ingest, "", "squid-parse")
	f("%{[fields.ingest]}", nil, "", "")
	f("%{[fields.ingest]:default-pipe}", nil, "", "default-pipe")
	f("p-%{[fields.ingest]}", ingest, "", "p-squid-parse")
	f("%{[fields.ingest]}", ingest, "Own", "own")
	f("Static", nil, "", "static")

	cfg := DefaultConfig()
	cfg.Pipeline = "%{[fields.ingest}"
	if err := cfg.Validate(); err == nil {
		t.Errorf("Validate(pipeline %q) = nil, want an error", cfg.Pipeline)
	}
}
