package truncatefields_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	truncatefields "github.com/shipper-project/shipper/processors/truncate_fields"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		name, conf, in, want string
		failures             int64
	}{
		{"doc example", `
- truncate_fields:
    fields:
      - message
    max_characters: 5
    fail_on_error: false
    ignore_missing: true`,
			`{"message": "This is too long"}`,
			`{"message": "This ", "log": {"flags": ["truncated"]}}`, 0},
		{"characters, not bytes", `- truncate_fields: {fields: [message], max_characters: 3}`,
			`{"message": "héllo"}`, `{"message": "hél", "log": {"flags": ["truncated"]}}`, 0},
		{"bytes", `- truncate_fields: {fields: [message, url], max_bytes: 4}`,
			`{"message": "abcdef", "url": "ab", "log": {"flags": ["x"]}}`,
			`{"message": "abcd", "url": "ab", "log": {"flags": ["x", "truncated"]}}`, 0},
		{"two fields, two flags (Beats does not deduplicate)", `- truncate_fields: {fields: [a, b], max_bytes: 1}`,
			`{"a": "xx", "b": "yy"}`, `{"a": "x", "b": "y", "log": {"flags": ["truncated", "truncated"]}}`, 0},
		{"short enough: untouched", `- truncate_fields: {fields: [message], max_bytes: 10}`,
			`{"message": "short"}`, `{"message": "short"}`, 0},
		{"not a string, fail_on_error default: restored", `- truncate_fields: {fields: [message, n], max_bytes: 2}`,
			`{"message": "long", "n": 12345}`, `{"message": "long", "n": 12345}`, 1},
		{"missing, fail_on_error false: others done", `- truncate_fields: {fields: [nope, message], max_bytes: 2, fail_on_error: false}`,
			`{"message": "long"}`, `{"message": "lo", "log": {"flags": ["truncated"]}}`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := monitoring.NewRegistry()
			p, err := truncatefields.New(proctest.Section(t, tc.conf), processors.Env{Metrics: m, Name: "p"})
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
	for _, tc := range []struct{ conf, want string }{
		{"- truncate_fields: {max_bytes: 3}", "processors[0].truncate_fields.fields: missing required field"},
		{"- truncate_fields: {fields: [a]}", "test.yml:2: processors[0].truncate_fields: one of max_bytes or max_characters is required"},
		{"- truncate_fields: {fields: [a], max_bytes: 3, max_characters: 2}", "processors[0].truncate_fields.max_characters: max_bytes and max_characters are mutually exclusive"},
		{"- truncate_fields: {fields: [a], max_bytes: -1}", "processors[0].truncate_fields.max_bytes: must be >= 0, got -1"},
		{"- truncate_fields:\n    fields: [a]\n    max_bytes: 1KB", "test.yml:4: processors[0].truncate_fields.max_bytes: cannot unmarshal !!str `1KB` into int"},
	} {
		_, err := truncatefields.New(proctest.Section(t, tc.conf), processors.Env{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %q", tc.conf, err, tc.want)
		}
	}
}
