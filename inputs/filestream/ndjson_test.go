package filestream

import (
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// doc is an event's fields as a map of dotted keys (for comparisons).
func doc(e *event.Event) map[string]any {
	m := map[string]any{}
	for _, f := range e.Fields {
		m[f.Key] = f.Value
	}
	return m
}

func TestNDJSON(t *testing.T) {
	for _, tc := range []struct {
		name, opts, line string
		want             map[string]any
		id               string
		ts               time.Time
	}{
		{"root without message_key has no message", "{}", `{"a": 1, "b": {"c": "x"}, "f": 1.5, "l": [1, "y"]}`,
			map[string]any{"a": int64(1), "b.c": "x", "f": 1.5, "l": []any{int64(1), "y"}}, "", time.Time{}},
		{"target", "{target: json}", `{"a": 1}`,
			map[string]any{"json.a": int64(1)}, "", time.Time{}},
		{"message_key", "{message_key: msg}", `{"msg": "hello", "level": "info"}`,
			map[string]any{"msg": "hello", "level": "info", "message": "hello"}, "", time.Time{}},
		{"message_key missing with add_error_key", "{message_key: msg, add_error_key: true}", `{"level": "info"}`,
			map[string]any{"level": "info", "error.message": "Key 'msg' not found", "error.type": "json"}, "", time.Time{}},
		{"message_key not a string", "{message_key: msg, add_error_key: true}", `{"msg": 3}`,
			map[string]any{"msg": int64(3), "error.message": "Value of key 'msg' is not a string", "error.type": "json"}, "", time.Time{}},
		{"invalid JSON keeps the line", "{add_error_key: true}", `{"a": `,
			map[string]any{"message": `{"a": `, "error.message": "Error decoding JSON: unexpected EOF", "error.type": "json"}, "", time.Time{}},
		{"invalid JSON without add_error_key", "{}", `not json`,
			map[string]any{"message": `not json`}, "", time.Time{}},
		{"keys win over log.* (DeepUpdate)", "{}", `{"log": {"level": "warn"}}`,
			map[string]any{"log.level": "warn"}, "", time.Time{}},
		{"a scalar replaces log.*", "{}", `{"log": "x"}`,
			map[string]any{"log": "x"}, "", time.Time{}},
		{"document_id", "{document_id: key1}", `{"key1": "abc", "v": 1}`,
			map[string]any{"v": int64(1)}, "abc", time.Time{}},
		{"document_id dotted", "{document_id: meta.id}", `{"meta": {"id": "x1", "k": 2}}`,
			map[string]any{"meta.k": int64(2)}, "x1", time.Time{}},
		{"@timestamp kept out without overwrite_keys", "{}", `{"@timestamp": "2026-01-02T03:04:05Z", "a": 1}`,
			map[string]any{"a": int64(1)}, "", time.Time{}},
		{"@timestamp with overwrite_keys", "{overwrite_keys: true}", `{"@timestamp": "2026-01-02T03:04:05.5Z", "a": 1}`,
			map[string]any{"a": int64(1)}, "", time.Date(2026, 1, 2, 3, 4, 5, 5e8, time.UTC)},
		{"bad @timestamp", "{overwrite_keys: true, add_error_key: true}", `{"@timestamp": "yesterday"}`,
			map[string]any{"error.message": "@timestamp not overwritten (parse error on yesterday)", "error.type": "json"}, "", time.Time{}},
		{"bad type", "{overwrite_keys: true, add_error_key: true}", `{"type": "_x", "a": 1}`,
			map[string]any{"a": int64(1), "error.message": "type not overwritten (invalid value [_x])", "error.type": "json"}, "", time.Time{}},
		{"expand_keys", "{expand_keys: true}", `{"a.b": 1, "a": {"c": 2}}`,
			map[string]any{"a.b": int64(1), "a.c": int64(2)}, "", time.Time{}},
		{"expand_keys conflict", "{expand_keys: true, add_error_key: true}", `{"a.b": 1, "a": 2}`,
			map[string]any{"message": `{"a.b": 1, "a": 2}`, "error.message": `cannot expand "a.b": found conflicting key`, "error.type": "json"}, "", time.Time{}},
		// Keys that collide once written as nested fields: nothing is
		// dropped, the line stays the message (a key was silently lost,
		// and without add_error_key the whole object; Beats loses the line
		// with expand_keys, and Elasticsearch refuses the document without).
		{"expand_keys conflict without add_error_key keeps the line", "{expand_keys: true}", `{"a.b": 1, "a": 2}`,
			map[string]any{"message": `{"a.b": 1, "a": 2}`}, "", time.Time{}},
		{"colliding keys keep the line", "{add_error_key: true}", `{"a": 1, "a.b": 2}`,
			map[string]any{"message": `{"a": 1, "a.b": 2}`, "error.message": `cannot expand "a.b": found conflicting key`, "error.type": "json"}, "", time.Time{}},
		{"the same key twice keeps the line", "{}", `{"a": {"b": 1}, "a.b": 2}`,
			map[string]any{"message": `{"a": {"b": 1}, "a.b": 2}`}, "", time.Time{}},
		{"colliding keys under a target keep the line", "{target: j}", `{"x.y": 1, "x": "keep"}`,
			map[string]any{"message": `{"x.y": 1, "x": "keep"}`}, "", time.Time{}},
		{"big integers stay exact", "{}", `{"n": 9007199254740993}`,
			map[string]any{"n": int64(9007199254740993)}, "", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenario(t)
			s.write("app.ndjson", tc.line+"\n")
			c := s.fsOnce("  - type: filestream\n    id: t\n    paths: [$DIR/app.ndjson]\n    parsers:\n      - ndjson: " + tc.opts + "\n")
			if len(c.evs) != 1 {
				t.Fatalf("%d events", len(c.evs))
			}
			e := c.evs[0]
			got := doc(e)
			if _, ok := tc.want["log"]; !ok {
				if _, ok := tc.want["log.offset"]; !ok {
					tc.want["log.offset"] = int64(0)
				}
				tc.want["log.file.path"] = s.path("app.ndjson")
			}
			if len(got) != len(tc.want) {
				t.Errorf("fields %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if string(event.AppendValue(nil, got[k])) != string(event.AppendValue(nil, v)) {
					t.Errorf("%s = %#v, want %#v (all: %v)", k, got[k], v, got)
				}
			}
			if tc.id != "" && e.Meta.DocID() != tc.id {
				t.Errorf("_id %q, want %q", e.Meta.DocID(), tc.id)
			}
			if !e.Timestamp.Equal(tc.ts) {
				t.Errorf("timestamp %v, want %v", e.Timestamp, tc.ts)
			}
		})
	}
}

// ndjson then multiline on message_key, and multiline then ndjson (a JSON
// object pretty-printed over several lines), as Filebeat's parser docs.
func TestParsersInOrder(t *testing.T) {
	s := newScenario(t)
	s.write("a.log", `{"log": "line one", "n": 1}`+"\n"+`{"log": "  continued", "n": 2}`+"\n")
	c := s.fsOnce(`  - type: filestream
    id: t
    paths: [$DIR/a.log]
    parsers:
      - ndjson: {message_key: log, target: j}
      - multiline: {pattern: '^\s', match: after}
`)
	eq(t, "ndjson then multiline", c.messages(), []string{"line one\n  continued"})
	s.write("b.log", "{\n  \"a\": 1,\n  \"b\": \"x\"\n}\n{\"a\": 2}\n")
	c = s.fsOnce(`  - type: filestream
    id: t2
    paths: [$DIR/b.log]
    parsers:
      - multiline: {pattern: '^\{', negate: true, match: after}
      - ndjson: {}
`)
	if len(c.evs) != 2 || doc(c.evs[0])["b"] != "x" || doc(c.evs[1])["a"] != int64(2) {
		t.Fatalf("multiline then ndjson: %d events %v", len(c.evs), c.evs)
	}
}
