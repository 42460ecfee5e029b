package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// dlqEnv writes a config pointing at es and a dead-letter file (written by
// the pipeline's own writer) with the given events rejected.
func dlqEnv(t *testing.T, esURL string, evs []*event.Event) (cfgFile, data string) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	cfgFile = filepath.Join(dir, "shipper.yml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`path.data: %q
shipper.inputs:
  - {type: squid, id: sq, paths: [/nonexistent/access.log]}
output.elasticsearch:
  hosts: [%q]
  backoff: {init: 10ms, max: 20ms}
`, data, esURL)), 0o600)
	d, err := pipeline.OpenDeadLetter(filepath.Join(data, "dead_letter"), 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		if err := d.Write(e, 400, fmt.Sprintf("document_parsing_exception: failed to parse field [n%d]", i%2)); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	return cfgFile, data
}

func dlqEvent(id string, n int64) *event.Event {
	e := event.New(time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC), 4)
	e.Fields.Add("message", "line "+id)
	e.Fields.Add("event.dataset", "squid.access")
	e.Fields.Add("http.response.bytes", n)
	e.Fields.Add("tags", []string{"a", "b"})
	e.Meta.ID = id
	e.Meta.Index = "shipper-squid.access"
	return e
}

func TestDLQListAndReplay(t *testing.T) {
	plan := estest.NewPlan(map[string][]int{"b": {400}})
	es := estest.New(t, plan.Script)
	evs := []*event.Event{dlqEvent("a", 1), dlqEvent("b", 2), dlqEvent("c", 3)}
	var originals []string
	for _, e := range evs {
		originals = append(originals, string(event.AppendJSON(nil, e)))
	}
	cfgFile, data := dlqEnv(t, es.URL, evs)

	code, out, errs := cmd(t, "", "dlq", "list", "-c", cfgFile)
	if code != 0 {
		t.Fatalf("list: %d %s", code, errs)
	}
	for _, want := range []string{"events: 3", "400", "failed to parse field [n0]", "shipper-squid.access", "oldest: ", "newest: "} {
		if !strings.Contains(out, want) {
			t.Errorf("list output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = cmd(t, "", "dlq", "replay", "--dry-run", "-c", cfgFile)
	if code != 0 || !strings.Contains(out, "would replay 3 events") || es.Requests() != 0 {
		t.Fatalf("dry run: %d requests %d\n%s", code, es.Requests(), out)
	}

	code, out, errs = cmd(t, "", "dlq", "replay", "-c", cfgFile)
	if code != ExitRuntime { // one event is still rejected
		t.Errorf("replay exit %d, want %d\n%s%s", code, ExitRuntime, out, errs)
	}
	for _, want := range []string{"indexed:          2", "rejected again:   1", "now holds 1 events"} {
		if !strings.Contains(out, want) {
			t.Errorf("replay summary lacks %q:\n%s", want, out)
		}
	}
	// Same _id, same index, the same document byte for byte.
	docs := es.Docs()
	if len(docs) != 2 {
		t.Fatalf("stored %d docs, want 2", len(docs))
	}
	for _, d := range docs {
		want := originals[0]
		if d.ID == "c" {
			want = originals[2]
		}
		if d.Index != "shipper-squid.access" || (d.ID != "a" && d.ID != "c") || string(d.Source) != want {
			t.Errorf("stored %s/%s %s\nwant %s", d.Index, d.ID, d.Source, want)
		}
	}
	b, _ := os.ReadFile(filepath.Join(data, "dead_letter", pipeline.DeadLetterName))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1 {
		t.Fatalf("dead-letter file after replay:\n%s", b)
	}
	var left struct {
		ID     string          `json:"id"`
		Status int             `json:"status"`
		Reason string          `json:"reason"`
		Event  json.RawMessage `json:"event"`
	}
	json.Unmarshal([]byte(lines[0]), &left)
	if left.ID != "b" || left.Status != 400 || !strings.Contains(left.Reason, "http.response.bytes") || string(left.Event) != originals[1] {
		t.Errorf("kept entry = %+v, want b with the new reason and its document", left)
	}

	// Fixed (the fake now accepts b): a second replay empties the file.
	code, out, _ = cmd(t, "", "dlq", "replay", "-c", cfgFile)
	if code != 0 || !strings.Contains(out, "now holds 0 events") {
		t.Errorf("second replay: %d\n%s", code, out)
	}
	if es.Stored()["b"] != 1 {
		t.Errorf("b stored %d times", es.Stored()["b"])
	}
	code, out, _ = cmd(t, "", "dlq", "list", "-c", cfgFile)
	if code != 0 || !strings.Contains(out, "events: 0") {
		t.Errorf("list after replays: %s", out)
	}
}

// Replay refuses to run next to a shipper using the same path.data, and
// keeps undelivered events when the cluster is down.
func TestDLQReplayLockedAndDown(t *testing.T) {
	es := estest.New(t, func(int, []estest.Doc) estest.Reply { return estest.Reply{Status: 503} })
	cfgFile, data := dlqEnv(t, es.URL, []*event.Event{dlqEvent("a", 1)})
	unlock, err := lockDataDir(data)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errs := cmd(t, "", "dlq", "replay", "-c", cfgFile)
	if code == 0 || !strings.Contains(errs, "stop it first") {
		t.Errorf("replay while locked: %d %q", code, errs)
	}
	unlock()
	code, out, _ := cmd(t, "", "dlq", "replay", "--timeout", "300ms", "-c", cfgFile)
	if code != ExitRuntime || !strings.Contains(out, "not delivered:    1") || !strings.Contains(out, "now holds 1 events") {
		t.Errorf("replay with the cluster down: %d\n%s", code, out)
	}
}

// Issue 18 #6: replay never deletes what it cannot read. An unreadable
// line is moved aside to dead_letter.unreadable.ndjson (and the output
// says so); an entry glued behind a torn line by an older version is
// recovered and replayed.
func TestDLQReplayKeepsUnreadableLines(t *testing.T) {
	es := estest.New(t, nil)
	cfgFile, data := dlqEnv(t, es.URL, []*event.Event{dlqEvent("a", 1)})
	dir := filepath.Join(data, "dead_letter")
	// An older shipper's torn write followed by the next entry on the same
	// line, then a line of garbage.
	d, err := pipeline.OpenDeadLetter(t.TempDir(), 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.Write(dlqEvent("b", 2), 400, "failed to parse")
	d.Close()
	entryB, _ := os.ReadFile(d.Path())
	torn := `{"@timestamp":"2025-03-01T12:00:00.000Z","status":400,"reason":"x","index":"i","id":"lost","event":{"@timestamp":"2025-03-01T12:`
	garbage := "not json at all"
	f, _ := os.OpenFile(filepath.Join(dir, pipeline.DeadLetterName), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(torn + string(entryB) + garbage + "\n")
	f.Close()

	code, out, errs := cmd(t, "", "dlq", "list", "-c", cfgFile)
	if code != 0 || !strings.Contains(out, "events: 2") || !strings.Contains(out, "unreadable lines: 2") {
		t.Errorf("list: %d\n%s%s", code, out, errs)
	}
	code, out, errs = cmd(t, "", "dlq", "replay", "-c", cfgFile)
	aside := filepath.Join(dir, "dead_letter.unreadable.ndjson")
	if code != ExitRuntime || !strings.Contains(out, "unreadable lines: 2") || !strings.Contains(out, aside) {
		t.Errorf("replay: exit %d, want %d and the unreadable lines named with %s\n%s%s", code, ExitRuntime, aside, out, errs)
	}
	if s := es.Stored(); s["a"] != 1 || s["b"] != 1 {
		t.Errorf("stored %v, want a and b once", s)
	}
	b, err := os.ReadFile(aside)
	if want := torn + "\n" + garbage + "\n"; string(b) != want {
		t.Errorf("%s = %q (%v), want %q", aside, b, err, want)
	}
	b, _ = os.ReadFile(filepath.Join(dir, pipeline.DeadLetterName))
	if len(b) != 0 {
		t.Errorf("dead-letter file after replay: %q, want empty", b)
	}
	// A second replay adds nothing to the set-aside file and says nothing
	// about it.
	code, out, _ = cmd(t, "", "dlq", "replay", "-c", cfgFile)
	if code != 0 || strings.Contains(out, "unreadable") {
		t.Errorf("second replay: %d\n%s", code, out)
	}
	if b2, _ := os.ReadFile(aside); string(b2) != torn+"\n"+garbage+"\n" {
		t.Errorf("set-aside file changed: %q", b2)
	}
}

// An event's ingest pipeline (an input's `pipeline`, or @metadata.pipeline
// set by a processor) is part of how it is indexed, as its _id and index
// are: a replayed dead letter went to Elasticsearch without it, so it was
// stored without the pipeline's parsing (the usual reason to replay is
// that the pipeline was fixed).
func TestDLQReplayKeepsThePipeline(t *testing.T) {
	es := estest.New(t, nil)
	e := dlqEvent("a", 1)
	e.Meta.Pipeline = "squid-geo"
	cfgFile, _ := dlqEnv(t, es.URL, []*event.Event{e, dlqEvent("b", 2)})
	code, out, errs := cmd(t, "", "dlq", "replay", "-c", cfgFile)
	if code != 0 {
		t.Fatalf("replay: %d\n%s%s", code, out, errs)
	}
	got := map[string]string{}
	for _, d := range es.Docs() {
		got[d.ID] = d.Pipeline
	}
	if got["a"] != "squid-geo" || got["b"] != "" {
		t.Errorf("replayed with pipelines %v, want a: squid-geo, b: none", got)
	}
}
