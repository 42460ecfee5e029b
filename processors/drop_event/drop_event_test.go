package dropevent_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	dropevent "github.com/shipper-project/shipper/processors/drop_event"
	"github.com/shipper-project/shipper/processors/internal/proctest"
)

func TestDrops(t *testing.T) {
	for _, conf := range []string{"- drop_event:", "- drop_event: {}", "- drop_event: ~"} {
		p, err := dropevent.New(proctest.Section(t, conf), processors.Env{})
		if err != nil {
			t.Fatalf("%s: %v", conf, err)
		}
		if out, err := p.Run(proctest.Event(t, `{"a": 1}`)); out != nil || err != nil {
			t.Errorf("%s: Run = %v, %v; want nil, nil", conf, out, err)
		}
	}
}

// TestBeatsDocExample: drop_event with Beats' documented condition, through
// the framework's when:.
func TestBeatsDocExample(t *testing.T) {
	ps, err := processors.Build(proctest.Sections(t, `
- drop_event:
    when:
      equals:
        http.code: 200`), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := ps[0].Run(proctest.Event(t, `{"http": {"code": 200}}`)); out != nil {
		t.Error("200 kept")
	}
	if out, _ := ps[0].Run(proctest.Event(t, `{"http": {"code": 404}}`)); out == nil {
		t.Error("404 dropped")
	}
}

func TestUnknownOption(t *testing.T) {
	_, err := dropevent.New(proctest.Section(t, "- drop_event: {fields: [a]}"), processors.Env{})
	if err == nil || !strings.Contains(err.Error(), `test.yml:2: processors[0].drop_event.fields: unknown key "fields"`) {
		t.Errorf("got %v", err)
	}
}
