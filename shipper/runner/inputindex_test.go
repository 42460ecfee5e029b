package runner

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/version"
)

// inputIndexRun runs one squid input with the given index option to a
// fake Elasticsearch and returns the index of each document, in order.
func inputIndexRun(t *testing.T, index string, lines []string) ([]string, error) {
	t.Helper()
	e := newEnv(t)
	e.appendLines(lines)
	es := estest.New(t, nil)
	yml := fmt.Sprintf("shipper.inputs:\n  - type: squid\n    id: sq\n    paths: [%q]\n    index: %q\npath.data: %q\nlogging.metrics.enabled: false\noutput.elasticsearch: {hosts: [%q]}\n", e.log, index, e.data, es.URL)
	cfg, err := config.LoadBytes([]byte(yml), "test.yml", nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	r, err := New(cfg, Options{Once: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	var got []string
	for _, d := range es.Docs() {
		got = append(got, d.Index)
	}
	return got, nil
}

// TestInputIndexFormatString: an input's `index` is a format string in
// Filebeat (filebeat/channel/runner.go: add_formatted_index, first of the
// input's processors, into @metadata.raw_index, which the output
// lower-cases). It sees the agent's name and version and the event's own
// time, so each event's date is its own: two squid lines either side of
// midnight UTC go to two indices. It was refused as a configuration error.
func TestInputIndexFormatString(t *testing.T) {
	lines := []string{
		"1795564799.500      0 127.0.0.1 TCP_MISS/200 635 GET http://127.0.0.1:9428/ - HIER_DIRECT/127.0.0.1 text/html",
		"1795564800.200      0 127.0.0.1 TCP_MISS/200 635 GET http://127.0.0.1:9428/ - HIER_DIRECT/127.0.0.1 text/html",
	}
	got, err := inputIndexRun(t, "Squid-%{[agent.version]}-%{+yyyy.MM.dd}", lines)
	if err != nil {
		t.Fatalf("runner.New: %v", err)
	}
	v := strings.ToLower(version.Version)
	want := []string{"squid-" + v + "-2026.11.24", "squid-" + v + "-2026.11.25"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("indices %q, want %q", got, want)
	}

	// The Filebeat documentation's example: agent.name is the program's
	// name there ("filebeat-myindex-2019.11.01"), so "shipper" here.
	got, err = inputIndexRun(t, "%{[agent.name]}-myindex-%{+yyyy.MM.dd}", lines[:1])
	if err != nil || len(got) != 1 || got[0] != "shipper-myindex-2026.11.24" {
		t.Errorf("indices %q (%v), want [shipper-myindex-2026.11.24]", got, err)
	}

	// A name without a date, upper-case as written: lower-cased, as Beats.
	got, err = inputIndexRun(t, "Squid-Access", lines)
	if err != nil || strings.Join(got, " ") != "squid-access squid-access" {
		t.Errorf("indices %q (%v), want squid-access twice", got, err)
	}
}

// TestInputIndexErrors: a field an input's index cannot see (Filebeat
// then drops every event of the input with an error log), a format
// string that does not parse and a name Elasticsearch refuses are
// configuration errors naming the file, line and key.
func TestInputIndexErrors(t *testing.T) {
	f := func(index, want string) {
		t.Helper()
		_, err := inputIndexRun(t, index, nil)
		if err == nil || !strings.Contains(err.Error(), "test.yml:5:") || !strings.Contains(err.Error(), "index") || !strings.Contains(err.Error(), want) {
			t.Errorf("index %q: runner.New error %v, want one naming test.yml:5, index and %q", index, err, want)
		}
	}
	f("%{[host.name]}-x-%{+yyyy.MM.dd}", "host.name")
	f("%{[fields.env]}", "%{[agent.version]}")
	f("x-%{[agent.name]", "unclosed")
	f("x-%{agent.name}", "unsupported")
	f("squid access", "must not contain")
	f("_squid-%{+yyyy}", "must not start")
	f("..", `"."`)
}
