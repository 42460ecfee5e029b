// Package proctest holds what processor tests share: a config.Section from
// YAML text (with a file name and key path, as the loader gives them), and
// events from JSON documents and back, for golden comparisons.
package proctest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

// File is the file name the sections say they come from.
const File = "test.yml"

// Sections parses a YAML list of processors (what follows `processors:`)
// the way the loader does (dotted keys expanded) and returns its entries.
func Sections(t testing.TB, list string) []config.Section {
	t.Helper()
	root, err := config.Parse([]byte("processors:\n"+indent(list)), File, nil)
	if err != nil {
		t.Fatalf("parse %q: %v", list, err)
	}
	seq := root.Content[1]
	if seq.Kind != yaml.SequenceNode {
		t.Fatalf("processors: not a list: %q", list)
	}
	out := make([]config.Section, len(seq.Content))
	for i, n := range seq.Content {
		out[i] = config.Section{Node: n, File: File, Path: fmt.Sprintf("processors[%d]", i)}
	}
	return out
}

// Section returns the body of the single processor in list, as its factory
// gets it: Section(t, "- rename: {fields: [...]}").
func Section(t testing.TB, list string) config.Section {
	t.Helper()
	secs := Sections(t, list)
	if len(secs) != 1 {
		t.Fatalf("want one processor, got %d", len(secs))
	}
	_, body, err := secs[0].PluginName()
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func indent(s string) string {
	out := "  "
	for i := 0; i < len(s); i++ {
		out += s[i : i+1]
		if s[i] == '\n' && i+1 < len(s) {
			out += "  "
		}
	}
	return out
}

// Time is the @timestamp of the events Event builds.
var Time = time.Date(2026, 11, 25, 8, 12, 3, 0, time.UTC)

// Event builds an event from a JSON object; nested objects become flat
// dotted keys (as inputs write them), numbers without a fraction int64.
func Event(t testing.TB, doc string) *event.Event {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("event %s: %v", doc, err)
	}
	e := event.New(Time, len(m))
	flat(&e.Fields, "", m)
	return e
}

func flat(f *event.Fields, prefix string, m map[string]any) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			flat(f, key, sub)
			continue
		}
		f.Put(key, normalize(v))
	}
}

func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		fl, _ := x.Float64()
		return fl
	case []any:
		strs := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				out := make([]any, len(x))
				for i := range x {
					out[i] = normalize(x[i])
				}
				return out
			}
			strs = append(strs, s)
		}
		return strs
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}

// JSON returns the event's document (without @timestamp) as canonical,
// indented JSON, for comparison with an expected document.
func JSON(t testing.TB, e *event.Event) string {
	t.Helper()
	if e == nil {
		return "null"
	}
	var m map[string]any
	b := event.AppendJSON(nil, e)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("event JSON %s: %v", b, err)
	}
	delete(m, "@timestamp")
	out, _ := json.MarshalIndent(m, "", "  ")
	return string(out)
}

// Canon returns a JSON document as canonical, indented JSON.
func Canon(t testing.TB, doc string) string {
	t.Helper()
	if doc == "null" {
		return doc
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("expected document %s: %v", doc, err)
	}
	out, _ := json.MarshalIndent(m, "", "  ")
	return string(out)
}
