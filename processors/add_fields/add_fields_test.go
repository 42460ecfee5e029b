package addfields_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	addfields "github.com/shipper-project/shipper/processors/add_fields"
	"github.com/shipper-project/shipper/processors/internal/proctest"
)

// TestBeatsDocExamples: the examples of Beats' add_fields page, and the
// default target.
func TestBeatsDocExamples(t *testing.T) {
	for _, tc := range []struct{ name, conf, in, want string }{
		{"doc example: target project", `
- add_fields:
    target: project
    fields:
      name: myproject
      id: '574734885120952459'`,
			`{"message": "x"}`,
			`{"message": "x", "project": {"name": "myproject", "id": "574734885120952459"}}`},
		{"default target is fields", `
- add_fields:
    fields: {site: home, rack: 3, up: true, ratio: 0.5, zones: [a, b]}`,
			`{"message": "x"}`,
			`{"message": "x", "fields": {"site": "home", "rack": 3, "up": true, "ratio": 0.5, "zones": ["a", "b"]}}`},
		{"empty target is the root, overwrites and merges", `
- add_fields:
    target: ''
    fields:
      observer.vendor: squid
      event.kind: alert
      host: {name: r1}`,
			`{"event": {"kind": "event", "dataset": "squid.access"}, "host": {"ip": "10.0.0.1"}}`,
			`{"event": {"kind": "alert", "dataset": "squid.access"}, "host": {"ip": "10.0.0.1", "name": "r1"}, "observer": {"vendor": "squid"}}`},
		{"replaces a scalar by an object", `
- add_fields: {target: '', fields: {a.b: 1}}`,
			`{"a": "scalar"}`,
			`{"a": {"b": 1}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := addfields.New(proctest.Section(t, tc.conf), processors.Env{})
			if err != nil {
				t.Fatal(err)
			}
			e := proctest.Event(t, tc.in)
			e.Fields.Put("m", map[string]any{"k": 1}) // a decoded-JSON object is left alone
			out, err := p.Run(e)
			if err != nil {
				t.Fatal(err)
			}
			out.Fields.Delete("m")
			if got, want := proctest.JSON(t, out), proctest.Canon(t, tc.want); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestMergeIntoMapValue(t *testing.T) {
	p, err := addfields.New(proctest.Section(t, "- add_fields: {target: json, fields: {b: 2}}"), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	shared := map[string]any{"a": 1}
	e := proctest.Event(t, `{}`)
	e.Fields.Put("json", shared)
	out, _ := p.Run(e)
	if got, want := proctest.JSON(t, out), proctest.Canon(t, `{"json": {"a": 1, "b": 2}}`); got != want {
		t.Errorf("got %s want %s", got, want)
	}
	if len(shared) != 1 {
		t.Errorf("the original map was changed: %v", shared)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"- add_fields: {target: x}", "test.yml:2: processors[0].add_fields.fields: missing required field"},
		{"- add_fields: {fields: {}}", "processors[0].add_fields.fields: want a non-empty mapping"},
		{"- add_fields: {fields: [a]}", "processors[0].add_fields.fields: want a non-empty mapping"},
		{"- add_fields: {fields: {a: 1}, taget: x}", `test.yml:2: processors[0].add_fields.taget: unknown key "taget" (did you mean "target"?)`},
		{"- add_fields: {fields: {a: 1}, target: '@metadata'}", "processors[0].add_fields.target: @metadata is not supported"},
	} {
		_, err := addfields.New(proctest.Section(t, tc.conf), processors.Env{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.conf, err, tc.want)
		}
	}
}
