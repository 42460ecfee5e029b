package all_test

import (
	"encoding/json"
	"testing"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// TestNoValueLostUnderScalarParent: a processor writing x.y where x holds a
// value (not an object) fails as Beats' PutValue does ("expected map but
// type is string") and keeps x, instead of replacing x with {y: ...} and
// losing what it held. Each case checks that x is still "keep" and that the
// failure is visible (an error, error.message, or the failure counter).
func TestNoValueLostUnderScalarParent(t *testing.T) {
	for _, tc := range []struct{ name, conf, in string }{
		{"rename", `- rename: {fields: [{from: a, to: x.y}]}`, `{"a": 1, "x": "keep"}`},
		{"rename fail_on_error false", `- rename: {fields: [{from: a, to: x.y}], fail_on_error: false}`, `{"a": 1, "x": "keep"}`},
		{"rename into a map's scalar", `- rename: {fields: [{from: a, to: m.x.y}]}`, `{"a": 1, "m": {"x": "keep"}}`},
		{"copy_fields", `- copy_fields: {fields: [{from: a, to: x.y}]}`, `{"a": 1, "x": "keep"}`},
		{"copy_fields fail_on_error false", `- copy_fields: {fields: [{from: a, to: x.y}], fail_on_error: false}`, `{"a": 1, "x": "keep"}`},
		{"convert", `- convert: {fields: [{from: a, to: x.y, type: long}]}`, `{"a": "1", "x": "keep"}`},
		{"convert rename mode", `- convert: {fields: [{from: a, to: x.y, type: long}], mode: rename, fail_on_error: false}`, `{"a": "1", "x": "keep"}`},
		{"timestamp", `- timestamp: {field: a, layouts: ["2006-01-02"], target_field: x.y}`, `{"a": "2024-01-02", "x": "keep"}`},
		{"decode_json_fields", `- decode_json_fields: {fields: [a], target: x.y}`, `{"a": "{\"b\": 1}", "x": "keep"}`},
		{"fingerprint", `- fingerprint: {fields: [a], target_field: x.y}`, `{"a": "1", "x": "keep"}`},
		{"add_id", `- add_id: {target_field: x.y}`, `{"x": "keep"}`},
		{"registered_domain", `- registered_domain: {field: a, target_field: x.y}`, `{"a": "www.example.com", "x": "keep"}`},
		{"community_id", `- community_id: {target: x.y}`, `{"source": {"ip": "10.0.0.1", "port": 1}, "destination": {"ip": "10.0.0.2", "port": 2}, "network": {"transport": "tcp"}, "x": "keep"}`},
		{"add_tags", `- add_tags: {tags: [t], target: x.y}`, `{"x": "keep"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := monitoring.NewRegistry()
			ps, err := processors.Build(proctest.Sections(t, tc.conf), processors.Env{Metrics: m, Name: "p"})
			if err != nil {
				t.Fatal(err)
			}
			e := proctest.Event(t, tc.in)
			if m, ok := e.Fields.Get("m.x"); ok { // one map value, as decode_json_fields leaves it
				e.Fields.Delete("m.x")
				e.Fields.Put("m", map[string]any{"x": m})
			}
			out, runErr := ps[0].Run(e)
			if out == nil {
				t.Fatalf("Run dropped the event (err %v)", runErr)
			}
			x, ok := out.Fields.Get("x")
			if inMap, _ := out.Fields.Get("m"); inMap != nil {
				x, ok = inMap.(map[string]any)["x"]
			}
			if !ok || x != "keep" {
				t.Errorf("x = %v (%v), want \"keep\"; document %s", x, ok, proctest.JSON(t, out))
			}
			_, hasMsg := out.Fields.Get("error.message")
			var failures int64
			for k, v := range m.Snapshot() {
				if len(k) > 9 && k[len(k)-9:] == ".failures" {
					failures += v
				}
			}
			if runErr == nil && !hasMsg && failures == 0 {
				t.Errorf("the failure is invisible: no error, no error.message, no failure counted; document %s", proctest.JSON(t, out))
			}
		})
	}
}

// TestFlagsNeverReplaceAValue: dissect and truncate_fields add to
// log.flags as Beats' AddTagsWithKey does: appended to a list of any kind,
// and never by replacing a "log" that holds a value (a JSON log's "log":
// "text" was replaced by {"flags": [...]}) or flags that are not a list.
func TestFlagsNeverReplaceAValue(t *testing.T) {
	for _, tc := range []struct{ name, conf, in, key, want string }{
		{"dissect, log is text", `- dissect: {tokenizer: "%{x}|%{y}", field: m}`, `{"m": "a b", "log": "keep"}`, "log", `"keep"`},
		{"dissect, flags from JSON", `- dissect: {tokenizer: "%{x}|%{y}", field: m}`, `{"m": "a b", "log": {"flags": ["multiline"]}}`, "log.flags", `["multiline","dissect_parsing_error"]`},
		{"dissect, flags is text", `- dissect: {tokenizer: "%{x}|%{y}", field: m}`, `{"m": "a b", "log": {"flags": "keep"}}`, "log.flags", `"keep"`},
		{"truncate_fields, log is text", `- truncate_fields: {fields: [m], max_bytes: 2}`, `{"m": "abcdef", "log": "keep"}`, "log", `"keep"`},
		{"truncate_fields, log is text, fail_on_error false", `- truncate_fields: {fields: [m], max_bytes: 2, fail_on_error: false}`, `{"m": "abcdef", "log": "keep"}`, "log", `"keep"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := monitoring.NewRegistry()
			ps, err := processors.Build(proctest.Sections(t, tc.conf), processors.Env{Metrics: m, Name: "p"})
			if err != nil {
				t.Fatal(err)
			}
			e := proctest.Event(t, tc.in)
			if v, ok := e.Fields.Get("log.flags"); ok { // as the JSON decoder leaves a list
				if l, ok := v.([]any); ok {
					e.Fields.Put("log.flags", l)
				}
			}
			out, _ := ps[0].Run(e)
			v, _ := out.Fields.Get(tc.key)
			got, _ := json.Marshal(v)
			if string(got) != tc.want {
				t.Errorf("%s = %s, want %s; document %s", tc.key, got, tc.want, proctest.JSON(t, out))
			}
		})
	}
}
