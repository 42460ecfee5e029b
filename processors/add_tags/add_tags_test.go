package addtags_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	addtags "github.com/shipper-project/shipper/processors/add_tags"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// TestBeatsDocExamples: Beats' add_tags page, plus appending without
// deduplication (mapstr.AddTagsWithKey).
func TestBeatsDocExamples(t *testing.T) {
	for _, tc := range []struct{ name, conf, in, want string }{
		{"doc example: target environment", `
- add_tags:
    tags: [web, production]
    target: "environment"`,
			`{"message": "x"}`,
			`{"message": "x", "environment": ["web", "production"]}`},
		{"default target tags, appended, not deduplicated", `
- add_tags: {tags: [router, web]}`,
			`{"tags": ["router"]}`,
			`{"tags": ["router", "router", "web"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := addtags.New(proctest.Section(t, tc.conf), processors.Env{})
			if err != nil {
				t.Fatal(err)
			}
			out, _ := p.Run(proctest.Event(t, tc.in))
			if got, want := proctest.JSON(t, out), proctest.Canon(t, tc.want); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestSharedListUntouched(t *testing.T) {
	p, _ := addtags.New(proctest.Section(t, "- add_tags: {tags: [b]}"), processors.Env{})
	shared := make([]string, 1, 10)
	shared[0] = "a"
	e1 := proctest.Event(t, `{}`)
	e1.Fields.Put("tags", shared)
	e2 := e1.Clone()
	p.Run(e1)
	p.Run(e2)
	v, _ := e1.Fields.Get("tags")
	if got := strings.Join(v.([]string), ","); got != "a,b" {
		t.Errorf("tags %q", got)
	}
	if shared[:2][1] != "" {
		t.Errorf("shared backing array written: %q", shared[:2])
	}
}

func TestNotAListIsAFailure(t *testing.T) {
	m := monitoring.NewRegistry()
	p, _ := addtags.New(proctest.Section(t, "- add_tags: {tags: [b], target: message}"), processors.Env{Metrics: m, Name: "p.0.add_tags"})
	out, err := p.Run(proctest.Event(t, `{"message": "text"}`))
	if err != nil || proctest.JSON(t, out) != proctest.Canon(t, `{"message": "text"}`) {
		t.Errorf("event changed or error: %v %s", err, proctest.JSON(t, out))
	}
	if n := m.Snapshot()["p.0.add_tags.failures"]; n != 1 {
		t.Errorf("failures = %d, want 1", n)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"- add_tags: {target: x}", "processors[0].add_tags.tags: missing required field"},
		{"- add_tags: {tags: {a: 1}}", "test.yml:2: processors[0].add_tags.tags"},
	} {
		_, err := addtags.New(proctest.Section(t, tc.conf), processors.Env{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.conf, err, tc.want)
		}
	}
}
