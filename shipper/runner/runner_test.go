package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/state"

	_ "github.com/shipper-project/shipper/inputs/all"
	_ "github.com/shipper-project/shipper/outputs/all"
	_ "github.com/shipper-project/shipper/processors/all"
)

// env is one scenario: a temp dir with a log file, path.data and outputs.
type env struct {
	t    *testing.T
	dir  string
	log  string
	data string
}

func newEnv(t *testing.T) *env {
	d := t.TempDir()
	return &env{t: t, dir: d, log: filepath.Join(d, "access.log"), data: filepath.Join(d, "data")}
}

func sampleLines(t *testing.T) []string {
	b, err := os.ReadFile("../../testdata/squid-access.log")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func (e *env) appendLines(lines []string) {
	e.t.Helper()
	f, err := os.OpenFile(e.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		fmt.Fprintln(f, l)
	}
}

// runOnce runs the shipper with --once on the given output block.
func (e *env) runOnce(output string) *Runner {
	e.t.Helper()
	yml := fmt.Sprintf("shipper.inputs:\n  - type: squid\n    id: sq\n    paths: [%q]\npath.data: %q\nlogging.metrics.enabled: false\n%s\n", e.log, e.data, output)
	cfg, err := config.LoadBytes([]byte(yml), "test.yml", nil)
	if err != nil {
		e.t.Fatalf("config: %v", err)
	}
	r, err := New(cfg, Options{Once: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		e.t.Fatalf("runner.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.Run(ctx); err != nil {
		e.t.Fatalf("Run: %v", err)
	}
	return r
}

// cursorOffsets reads the registry file as written on disk.
func (e *env) cursorOffsets() []int64 {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.data, state.FileName))
	if err != nil {
		return nil
	}
	var f struct {
		Cursors map[string]struct {
			Offset int64 `json:"offset"`
		} `json:"cursors"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		e.t.Fatalf("registry is not JSON: %v", err)
	}
	var out []int64
	for _, c := range f.Cursors {
		out = append(out, c.Offset)
	}
	return out
}

func readNDJSON(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad NDJSON line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func messages(docs []map[string]any) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d["message"].(string))
	}
	return out
}

func TestOnceToFileShipsEveryLine(t *testing.T) {
	e := newEnv(t)
	lines := sampleLines(t)
	e.appendLines(lines)
	e.runOnce(fmt.Sprintf("output.file: {path: %q, filename: out.ndjson}", e.dir))
	docs := readNDJSON(t, filepath.Join(e.dir, "out.ndjson"))
	if got := messages(docs); strings.Join(got, "\n") != strings.Join(lines, "\n") {
		t.Fatalf("shipped messages differ from the file:\n got %q\nwant %q", got, lines)
	}
	failures := 0
	for _, d := range docs {
		if tags, ok := d["tags"].([]any); ok && len(tags) > 0 && tags[0] == "_grokparsefailure" {
			failures++
		}
	}
	if failures == 0 || failures == len(docs) {
		t.Errorf("%d of %d documents tagged _grokparsefailure; want the bad lines only", failures, len(docs))
	}
	fi, _ := os.Stat(e.log)
	if got := e.cursorOffsets(); len(got) != 1 || got[0] != fi.Size() {
		t.Errorf("registry offsets = %v, want [%d] (end of file)", got, fi.Size())
	}
}

func TestRestartResumesWhereItLeftOff(t *testing.T) {
	e := newEnv(t)
	lines := sampleLines(t)
	half := len(lines) / 2
	out := fmt.Sprintf("output.file: {path: %q, filename: out.ndjson}", e.dir)
	e.appendLines(lines[:half])
	e.runOnce(out)
	e.appendLines(lines[half:])
	e.runOnce(out)
	docs := readNDJSON(t, filepath.Join(e.dir, "out.ndjson"))
	if got := messages(docs); strings.Join(got, "\n") != strings.Join(lines, "\n") {
		t.Fatalf("after a restart each line must be shipped once:\n got %q\nwant %q", got, lines)
	}
}

// The registry offset moves only after Elasticsearch accepted the events;
// every event arrives exactly once in the end.
func TestBulkFailuresRetriedAndOffsetOnlyAfterAcceptance(t *testing.T) {
	e := newEnv(t)
	lines := sampleLines(t)
	e.appendLines(lines)
	var failed atomic.Int32
	var offsetsWhileFailing [][]int64
	es := estest.New(t, func(n int, docs []estest.Doc) estest.Reply {
		if n < 3 {
			failed.Add(1)
			offsetsWhileFailing = append(offsetsWhileFailing, e.cursorOffsets())
			return estest.Reply{Status: 503}
		}
		return estest.Reply{}
	})
	r := e.runOnce(fmt.Sprintf("output.elasticsearch: {hosts: [%q], backoff: {init: 10ms, max: 50ms}, compression_level: 0}", es.URL))
	if failed.Load() != 3 {
		t.Fatalf("scripted failures = %d, want 3", failed.Load())
	}
	for i, offs := range offsetsWhileFailing {
		for _, o := range offs {
			if o != 0 {
				t.Errorf("during failed request %d the registry already held offset %d", i, o)
			}
		}
	}
	stored := es.Stored()
	if len(stored) != len(lines) {
		t.Errorf("stored %d distinct documents, want %d", len(stored), len(lines))
	}
	for id, n := range stored {
		if n != 1 {
			t.Errorf("document %s stored %d times", id, n)
		}
	}
	fi, _ := os.Stat(e.log)
	if got := e.cursorOffsets(); len(got) != 1 || got[0] != fi.Size() {
		t.Errorf("registry offsets = %v, want [%d]", got, fi.Size())
	}
	m := r.Metrics.Snapshot()
	if m["output.events.acked"] != int64(len(lines)) || m["output.batches.failed"] != 3 {
		t.Errorf("counters acked=%d batches.failed=%d, want %d and 3", m["output.events.acked"], m["output.batches.failed"], len(lines))
	}
	for _, d := range es.Docs() {
		if !strings.HasPrefix(d.Index, "shipper-squid.access") || d.Action != "create" || d.ID == "" {
			t.Errorf("bulk action = %s index %q id %q; want create into shipper-squid.access with an _id", d.Action, d.Index, d.ID)
		}
	}
}

// Per item: 400 → dead-letter file with the reason; 429 → retried;
// 409 → duplicate (acked); every event accounted for exactly once.
func TestPerItemOutcomes(t *testing.T) {
	e := newEnv(t)
	lines := sampleLines(t)[:4]
	e.appendLines(lines)
	seen := map[string]bool{}
	es := estest.New(t, func(n int, docs []estest.Doc) estest.Reply {
		var rep estest.Reply
		for _, d := range docs {
			st := 201
			switch first := !seen[d.ID]; {
			case strings.Contains(string(d.Source), `"offset":`+fmt.Sprint(len(lines[0])+1)+`}`):
				st = 400 // the second line is rejected for good, every time
			case first && strings.Contains(string(d.Source), `"offset":`+fmt.Sprint(len(lines[0])+len(lines[1])+2)+`}`):
				st = 429 // the third line is refused once
			}
			seen[d.ID] = true
			rep.Items = append(rep.Items, st)
		}
		return rep
	})
	r := e.runOnce(fmt.Sprintf("output.elasticsearch: {hosts: [%q], backoff: {init: 10ms, max: 50ms}}", es.URL))
	m := r.Metrics.Snapshot()
	if m["output.events.acked"] != 3 || m["output.events.dead_letter"] != 1 || m["output.events.retried"] != 1 {
		t.Errorf("acked=%d dead_letter=%d retried=%d, want 3, 1, 1", m["output.events.acked"], m["output.events.dead_letter"], m["output.events.retried"])
	}
	dl := readNDJSON(t, filepath.Join(e.data, "dead_letter", "dead_letter.ndjson"))
	if len(dl) != 1 {
		t.Fatalf("dead-letter file has %d entries, want 1", len(dl))
	}
	if dl[0]["status"] != 400.0 || !strings.Contains(dl[0]["reason"].(string), "document_parsing_exception") {
		t.Errorf("dead letter = %v", dl[0])
	}
	if msg := dl[0]["event"].(map[string]any)["message"]; msg != lines[1] {
		t.Errorf("dead-lettered event message = %v, want %q", msg, lines[1])
	}
	fi, _ := os.Stat(e.log)
	if got := e.cursorOffsets(); len(got) != 1 || got[0] != fi.Size() {
		t.Errorf("registry offsets = %v, want [%d]: dead-lettered events are final too", got, fi.Size())
	}
}

func TestDuplicateOnRestartIsCountedNotStoredTwice(t *testing.T) {
	e := newEnv(t)
	lines := sampleLines(t)
	e.appendLines(lines)
	es := estest.New(t, nil)
	out := fmt.Sprintf("output.elasticsearch: {hosts: [%q]}", es.URL)
	e.runOnce(out)
	// Lose the registry, as a crash before the flush would: everything is
	// read again and the same _ids come back as 409.
	os.Remove(filepath.Join(e.data, state.FileName))
	r := e.runOnce(out)
	if got := r.Metrics.Snapshot()["output.events.duplicates"]; got != int64(len(lines)) {
		t.Errorf("duplicates = %d, want %d", got, len(lines))
	}
	for id, n := range es.Stored() {
		if n != 1 {
			t.Errorf("document %s stored %d times", id, n)
		}
	}
}

// The input's configured tags and the parser's failure tag are merged.
func TestConfiguredTagsMergeWithFailureTags(t *testing.T) {
	e := newEnv(t)
	e.appendLines(sampleLines(t))
	yml := fmt.Sprintf("shipper.inputs:\n  - {type: squid, id: sq, paths: [%q], tags: [router], fields: {site: home}}\npath.data: %q\nlogging.metrics.enabled: false\noutput.file: {path: %q, filename: out.ndjson}\n", e.log, e.data, e.dir)
	cfg, err := config.LoadBytes([]byte(yml), "test.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(cfg, Options{Once: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, d := range readNDJSON(t, filepath.Join(e.dir, "out.ndjson")) {
		tags := fmt.Sprint(d["tags"])
		if !strings.Contains(tags, "router") {
			t.Errorf("document without the configured tag: %v", d["tags"])
		}
		if strings.Contains(tags, "_grokparsefailure") {
			failed++
		}
		if f, _ := d["fields"].(map[string]any); f["site"] != "home" {
			t.Errorf("fields.site = %v", d["fields"])
		}
	}
	if failed != 1 { // the one line of the sample that is not squid's
		t.Errorf("%d documents tagged _grokparsefailure, want 1", failed)
	}
}

// A whole-request 429 with Retry-After: the next attempt waits at least
// that long, whatever the (shorter) backoff says.
func TestRetryAfterIsHonoured(t *testing.T) {
	e := newEnv(t)
	e.appendLines(sampleLines(t))
	var mu sync.Mutex
	var at []time.Time
	es := estest.New(t, func(n int, docs []estest.Doc) estest.Reply {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		if n == 0 {
			return estest.Reply{Status: 429, RetryAfter: "1"}
		}
		return estest.Reply{}
	})
	e.runOnce(fmt.Sprintf("output.elasticsearch: {hosts: [%q], backoff: {init: 10ms, max: 5s}}", es.URL))
	mu.Lock()
	defer mu.Unlock()
	if len(at) < 2 {
		t.Fatalf("%d bulk requests, want a retry", len(at))
	}
	if gap := at[1].Sub(at[0]); gap < time.Second {
		t.Errorf("retry %s after a 429 with Retry-After: 1, want >= 1s", gap)
	}
	if len(es.Stored()) != len(sampleLines(t)) {
		t.Errorf("stored %d, want %d", len(es.Stored()), len(sampleLines(t)))
	}
}
