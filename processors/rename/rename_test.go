package rename_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/processors/rename"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func TestRename(t *testing.T) {
	for _, tc := range []struct {
		name, conf, in, want string
		failures             int64
	}{
		{"doc example", `
- rename:
    fields:
      - from: "a.g"
        to: "e.d"
    ignore_missing: false
    fail_on_error: true`,
			`{"a": {"g": "x", "h": 1}}`, `{"a": {"h": 1}, "e": {"d": "x"}}`, 0},
		{"an object with everything below", `- rename: {fields: [{from: source, to: client}]}`,
			`{"source": {"ip": "10.0.0.1", "port": 5}, "message": "m"}`,
			`{"client": {"ip": "10.0.0.1", "port": 5}, "message": "m"}`, 0},
		{"a becomes a.b", `- rename: {fields: [{from: a, to: a.b}]}`,
			`{"a": "x"}`, `{"a": {"b": "x"}}`, 0},
		{"target exists: restored, error.message as Beats writes it", `- rename: {fields: [{from: x, to: y}, {from: a, to: b}]}`,
			`{"x": 1, "a": 2, "b": 3}`,
			`{"x": 1, "a": 2, "b": 3, "error": {"message": "Failed to rename fields in processor: target field b already exists, drop or rename this field first"}}`, 1},
		{"missing", `- rename: {fields: [{from: nope, to: b}]}`,
			`{"a": 2}`,
			`{"a": 2, "error": {"message": "Failed to rename fields in processor: could not fetch value for key: nope, Error: key not found"}}`, 1},
		{"ignore_missing", `- rename: {fields: [{from: nope, to: b}, {from: a, to: c}], ignore_missing: true}`,
			`{"a": 2}`, `{"c": 2}`, 0},
		{"to below a value (Beats' own case): restored, Beats' error.message", `- rename: {fields: [{from: c, to: a.c}, {from: a, to: a.value}]}`,
			`{"a": 9, "c": 10}`,
			`{"a": 9, "c": 10, "error": {"message": "Failed to rename fields in processor: could not put value: a.c: 10, expected map but type is int64"}}`, 1},
		{"to below a value without fail_on_error: skipped, c kept (Beats loses it)", `- rename: {fields: [{from: c, to: a.c}, {from: a, to: a.value}], fail_on_error: false}`,
			`{"a": 9, "c": 10}`, `{"a": {"value": 9}, "c": 10}`, 1},
		{"fail_on_error false skips the failed one", `- rename: {fields: [{from: x, to: b}, {from: a, to: c}], fail_on_error: false}`,
			`{"x": 1, "a": 2, "b": 3}`, `{"x": 1, "c": 2, "b": 3}`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := monitoring.NewRegistry()
			p, err := rename.New(proctest.Section(t, tc.conf), processors.Env{Metrics: m, Name: "p"})
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.Run(proctest.Event(t, tc.in))
			if err != nil || out == nil {
				t.Fatalf("Run = %v, %v", out, err)
			}
			if got, want := proctest.JSON(t, out), proctest.Canon(t, tc.want); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if n := m.Snapshot()["p.failures"]; n != tc.failures {
				t.Errorf("failures = %d, want %d", n, tc.failures)
			}
		})
	}
}

func TestRenameInsideMap(t *testing.T) {
	p, _ := rename.New(proctest.Section(t, `- rename: {fields: [{from: json.a, to: top}]}`), processors.Env{})
	shared := map[string]any{"a": "v", "b": "w"}
	e := proctest.Event(t, `{}`)
	e.Fields.Put("json", shared)
	out, _ := p.Run(e)
	if got, want := proctest.JSON(t, out), proctest.Canon(t, `{"json": {"b": "w"}, "top": "v"}`); got != want {
		t.Errorf("got %s want %s", got, want)
	}
	if len(shared) != 2 {
		t.Errorf("shared map changed: %v", shared)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"- rename: {ignore_missing: true}", "processors[0].rename.fields: missing required field"},
		{"- rename:\n    fields:\n      - {from: a, to: b}\n      - {from: a}", "test.yml:5: processors[0].rename.fields[1]: want from and to"},
		{"- rename: {fields: [{from: a, too: b}]}", `test.yml:2: processors[0].rename.fields[0].too: unknown key "too" (did you mean "to"?)`},
	} {
		_, err := rename.New(proctest.Section(t, tc.conf), processors.Env{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.conf, err, tc.want)
		}
	}
}
