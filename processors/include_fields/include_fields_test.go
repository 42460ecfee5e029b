package includefields_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	includefields "github.com/shipper-project/shipper/processors/include_fields"
	"github.com/shipper-project/shipper/processors/internal/proctest"
)

func TestInclude(t *testing.T) {
	for _, tc := range []struct{ name, conf, in, want string }{
		// Beats' page: "fields: ["cpu"]" keeps system.cpu only when named in full.
		{"objects and leaves", `- include_fields: {fields: ["system.cpu", "message"]}`,
			`{"system": {"cpu": {"user": 0.5, "system": 0.2}, "memory": {"free": 5}}, "message": "m", "agent": {"name": "r1"}}`,
			`{"system": {"cpu": {"user": 0.5, "system": 0.2}}, "message": "m"}`},
		{"type is always kept", `- include_fields: {fields: []}`,
			`{"type": "log", "message": "m"}`,
			`{"type": "log"}`},
		{"missing is no error", `- include_fields: {fields: [nope, message]}`,
			`{"message": "m", "x": 1}`,
			`{"message": "m"}`},
		{"inside a map value", `- include_fields: {fields: [json.a.b]}`,
			`{"json": {"a": {"b": 1, "c": 2}, "d": 3}, "x": 1}`,
			`{"json": {"a": {"b": 1}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := includefields.New(proctest.Section(t, tc.conf), processors.Env{})
			if err != nil {
				t.Fatal(err)
			}
			e := proctest.Event(t, `{}`)
			if strings.Contains(tc.name, "map value") {
				e.Fields.Put("json", map[string]any{"a": map[string]any{"b": int64(1), "c": int64(2)}, "d": int64(3)})
				e.Fields.Put("x", int64(1))
			} else {
				e = proctest.Event(t, tc.in)
			}
			out, err := p.Run(e)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := proctest.JSON(t, out), proctest.Canon(t, tc.want); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if out.Timestamp.IsZero() {
				t.Error("@timestamp lost")
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"- include_fields: {}", "processors[0].include_fields.fields: missing required field"},
		{"- include_fields: {field: [a]}", `test.yml:2: processors[0].include_fields.field: unknown key "field" (did you mean "fields"?)`},
	} {
		_, err := includefields.New(proctest.Section(t, tc.conf), processors.Env{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.conf, err, tc.want)
		}
	}
}
