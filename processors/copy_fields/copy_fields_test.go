package copyfields_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	copyfields "github.com/shipper-project/shipper/processors/copy_fields"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func TestCopy(t *testing.T) {
	for _, tc := range []struct {
		name, conf, in, want string
		failures             int64
	}{
		{"doc example", `
- copy_fields:
    fields:
      - from: message
        to: event.original
    fail_on_error: false
    ignore_missing: true`,
			`{"message": "my-interesting-message"}`,
			`{"message": "my-interesting-message", "event": {"original": "my-interesting-message"}}`, 0},
		{"an object", `- copy_fields: {fields: [{from: source, to: client}]}`,
			`{"source": {"ip": "10.0.0.1", "port": 5}}`,
			`{"source": {"ip": "10.0.0.1", "port": 5}, "client": {"ip": "10.0.0.1", "port": 5}}`, 0},
		{"target exists: restored, error.message as Beats writes it", `- copy_fields: {fields: [{from: x, to: y}, {from: a, to: b}]}`,
			`{"x": 1, "a": 2, "b": 3}`,
			`{"x": 1, "a": 2, "b": 3, "error": {"message": "Failed to copy fields in copy_fields processor: target field b already exists, drop or rename this field first"}}`, 1},
		{"missing", `- copy_fields: {fields: [{from: nope, to: b}]}`,
			`{"a": 2}`,
			`{"a": 2, "error": {"message": "Failed to copy fields in copy_fields processor: could not fetch value for key: nope, Error: key not found"}}`, 1},
		{"missing, fail_on_error false", `- copy_fields: {fields: [{from: nope, to: b}, {from: a, to: c}], fail_on_error: false}`,
			`{"a": 2}`, `{"a": 2, "c": 2}`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := monitoring.NewRegistry()
			p, err := copyfields.New(proctest.Section(t, tc.conf), processors.Env{Metrics: m, Name: "p"})
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

func TestConfigErrors(t *testing.T) {
	_, err := copyfields.New(proctest.Section(t, "- copy_fields: {fields: [{to: b}]}"), processors.Env{})
	if err == nil || !strings.Contains(err.Error(), "test.yml:2: processors[0].copy_fields.fields[0]: want from and to") {
		t.Errorf("got %v", err)
	}
}
