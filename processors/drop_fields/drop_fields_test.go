package dropfields_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	dropfields "github.com/shipper-project/shipper/processors/drop_fields"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func TestDrop(t *testing.T) {
	for _, tc := range []struct {
		name, conf, in, want string
		failures             int64
	}{
		{"doc example with ignore_missing: false", `- drop_fields: {fields: ["agent.ephemeral_id", "log.offset"], ignore_missing: false}`,
			`{"agent": {"ephemeral_id": "x", "name": "r1"}, "message": "m"}`,
			`{"agent": {"name": "r1"}, "message": "m"}`, 1},
		{"ignore_missing", `- drop_fields: {fields: ["log.offset"], ignore_missing: true}`,
			`{"message": "m"}`, `{"message": "m"}`, 0},
		{"an object and everything below", `- drop_fields: {fields: [agent]}`,
			`{"agent": {"ephemeral_id": "x", "name": "r1"}, "message": "m"}`,
			`{"message": "m"}`, 0},
		{"regexp", `- drop_fields: {fields: ["/^agent\\./", "/^log\\.(file|offset)/"]}`,
			`{"agent": {"ephemeral_id": "x", "name": "r1"}, "log": {"offset": 5, "level": "info"}, "message": "m"}`,
			`{"log": {"level": "info"}, "message": "m"}`, 0},
		{"@timestamp and type stay", `- drop_fields: {fields: ["@timestamp", "type", "message"]}`,
			`{"type": "log", "message": "m"}`, `{"type": "log"}`, 0},
		{"empty list drops nothing", `- drop_fields: {fields: []}`,
			`{"message": "m"}`, `{"message": "m"}`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := monitoring.NewRegistry()
			p, err := dropfields.New(proctest.Section(t, tc.conf), processors.Env{Metrics: m, Name: "p"})
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.Run(proctest.Event(t, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := proctest.JSON(t, out), proctest.Canon(t, tc.want); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if out.Timestamp.IsZero() {
				t.Error("@timestamp dropped")
			}
			if n := m.Snapshot()["p.failures"]; n != tc.failures {
				t.Errorf("failures = %d, want %d", n, tc.failures)
			}
		})
	}
}

func TestDropInsideMap(t *testing.T) {
	p, _ := dropfields.New(proctest.Section(t, `- drop_fields: {fields: [json.a, "/^json\\.c$/"]}`), processors.Env{})
	shared := map[string]any{"a": 1, "b": 2, "c": 3}
	e := proctest.Event(t, `{}`)
	e.Fields.Put("json", shared)
	out, _ := p.Run(e)
	if got, want := proctest.JSON(t, out), proctest.Canon(t, `{"json": {"b": 2}}`); got != want {
		t.Errorf("got %s want %s", got, want)
	}
	if len(shared) != 3 {
		t.Errorf("shared map changed: %v", shared)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"- drop_fields: {ignore_missing: true}", "processors[0].drop_fields.fields: missing required field"},
		{"- drop_fields:\n    fields:\n      - a\n      - /[/", "test.yml:5: processors[0].drop_fields.fields[1]: error parsing regexp: missing closing ]"},
		{"- drop_fields: {fields: a, ignore_missing: maybe}", "processors[0].drop_fields"},
	} {
		_, err := dropfields.New(proctest.Section(t, tc.conf), processors.Env{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.conf, err, tc.want)
		}
	}
}
