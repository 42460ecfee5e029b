package runner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shipper-project/shipper/shipper/event"
)

// Beats adds the global `fields` under fields.* unless fields_under_root,
// merges nested maps with the input's, and the input's value wins (issue 15:
// the global ones used to land at the document root).
func TestUserFieldsAsBeats(t *testing.T) {
	f := func(name string, global map[string]any, gRoot bool, input map[string]any, iRoot bool, want event.Fields) {
		t.Helper()
		got := userFields(global, gRoot, input, iRoot)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: userFields (-want +got):\n%s", name, d)
		}
	}
	f("global under fields", map[string]any{"env": "prod"}, false, nil, false,
		event.Fields{{Key: "fields.env", Value: "prod"}})
	f("global under root", map[string]any{"env": "prod"}, true, nil, false,
		event.Fields{{Key: "env", Value: "prod"}})
	f("nested maps merge, input wins",
		map[string]any{"site": map[string]any{"name": "home", "rack": 1}}, false,
		map[string]any{"site": map[string]any{"rack": 2}, "team": "net"}, false,
		event.Fields{{Key: "fields.site.name", Value: "home"}, {Key: "fields.site.rack", Value: 2}, {Key: "fields.team", Value: "net"}})
	f("input under root beside global under fields",
		map[string]any{"env": "prod"}, false, map[string]any{"env": "lab"}, true,
		event.Fields{{Key: "fields.env", Value: "prod"}, {Key: "env", Value: "lab"}})
}
