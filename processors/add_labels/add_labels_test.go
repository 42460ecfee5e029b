package addlabels_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	addlabels "github.com/shipper-project/shipper/processors/add_labels"
	"github.com/shipper-project/shipper/processors/internal/proctest"
)

// TestBeatsDocExample: the example of Beats' add_labels page. Values are
// strings, as Beats' flattenLabels makes them (labelConfig.String).
func TestBeatsDocExample(t *testing.T) {
	p, err := addlabels.New(proctest.Section(t, `
- add_labels:
    labels:
      number: 1
      with.dots: test
      nested:
        with.dots: nested
      array:
        - do
        - re
        - with.field: mi`), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := p.Run(proctest.Event(t, `{"message": "x"}`))
	want := `{"message": "x", "labels": {
	  "number": "1", "with.dots": "test", "nested.with.dots": "nested",
	  "array.0": "do", "array.1": "re", "array.2.with.field": "mi"}}`
	if got, want := proctest.JSON(t, out), proctest.Canon(t, want); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMergesExistingLabels(t *testing.T) {
	p, _ := addlabels.New(proctest.Section(t, "- add_labels: {labels: {env: prod, ok: true, r: 0.50}}"), processors.Env{})
	e := proctest.Event(t, `{"labels": {"site": "home", "env": "dev"}}`)
	out, _ := p.Run(e)
	want := `{"labels": {"site": "home", "env": "prod", "ok": "true", "r": "0.5"}}`
	if got, want := proctest.JSON(t, out), proctest.Canon(t, want); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	out, _ = p.Run(out) // now a map value
	if got, want := proctest.JSON(t, out), proctest.Canon(t, want); got != want {
		t.Errorf("second run: got\n%s\nwant\n%s", got, want)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"- add_labels: {}", "processors[0].add_labels.labels: missing required field"},
		{"- add_labels: {labels: [a]}", "processors[0].add_labels.labels: want a non-empty mapping"},
		{"- add_labels:\n    labels:\n      a: ~", "test.yml:4: processors[0].add_labels.labels.a: a label needs a value"},
	} {
		_, err := addlabels.New(proctest.Section(t, tc.conf), processors.Env{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.conf, err, tc.want)
		}
	}
}
