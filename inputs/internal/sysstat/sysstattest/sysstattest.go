// Package sysstattest runs line parsers over fixture files for the tests of
// the sysstat-family inputs: golden NDJSON comparison (rewritten with
// -update), field-catalog checks, the parsers' fuzz test and the README
// configuration check.
package sysstattest

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
)

// Update rewrites golden files instead of comparing (go test -update).
var Update = flag.Bool("update", false, "rewrite testdata/*.golden.ndjson")

// ParseLines feeds text to p as the tail engine would (message and
// log.offset set first) and returns the kept events.
func ParseLines(t testing.TB, p sysstat.LineParser, text []byte) []*event.Event {
	t.Helper()
	var out []*event.Event
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	off := int64(0)
	for sc.Scan() {
		line := sc.Bytes()
		e := event.New(time.Time{}, 24)
		e.Fields.Add("message", string(line))
		e.Fields.Add("log.offset", off)
		off += int64(len(line)) + 1
		keep, err := p.Parse(line, e)
		if err != nil && !hasAnyTag(e) {
			t.Errorf("Parse(%q) returned %v without tagging the event", line, err)
		}
		if keep || err != nil {
			out = append(out, e)
		}
	}
	return out
}

func hasAnyTag(e *event.Event) bool {
	v, _ := e.Fields.Get("tags")
	tags, _ := v.([]string)
	return len(tags) > 0
}

// NDJSON encodes events one per line.
func NDJSON(evs []*event.Event) []byte {
	var b []byte
	for _, e := range evs {
		b = event.AppendJSON(b, e)
		b = append(b, '\n')
	}
	return b
}

// Golden compares NDJSON(evs) with the file golden, or rewrites it with
// -update.
func Golden(t *testing.T, golden string, evs []*event.Event) {
	t.Helper()
	got := NDJSON(evs)
	if *Update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); d != "" {
		t.Errorf("%s differs (-want +got), rerun with -update if intended:\n%s", golden, d)
	}
}

// CheckCatalog fails for every event with a field not in the catalogs (the
// ECS base is included) or of the wrong type.
func CheckCatalog(t testing.TB, evs []*event.Event, catalogs ...[]byte) {
	t.Helper()
	for i, e := range evs {
		if err := fields.Check(e, catalogs...); err != nil {
			t.Errorf("event %d: %v", i, err)
		}
	}
}
