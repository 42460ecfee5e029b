package elasticsearch_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

// checkActions fails unless every body received is made of action/document
// pairs whose actions are single creates; it returns the _ids sent.
func checkActions(t *testing.T, bodies [][]byte) []string {
	t.Helper()
	var ids []string
	for _, body := range bodies {
		lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
		if len(lines)%2 != 0 {
			t.Errorf("bulk body has %d lines, want action/document pairs:\n%s", len(lines), body)
			continue
		}
		for k := 0; k < len(lines); k += 2 {
			var action map[string]struct {
				ID string `json:"_id"`
			}
			if err := json.Unmarshal(lines[k], &action); err != nil || len(action) != 1 {
				t.Errorf("line %d is not one action (%v): %s\nbody:\n%s", k+1, err, lines[k], body)
				continue
			}
			a, ok := action["create"]
			if !ok {
				t.Errorf("line %d is not a create action: %s\nbody:\n%s", k+1, lines[k], body)
			}
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// Issue 14 item 2: a log line cannot add its own bulk action (delete…)
// through the index, and an event whose index name is invalid goes to the
// dead-letter file with the reason, never to another index.
func TestBulkActionInjection(t *testing.T) {
	const inject = "x\"}}\n{\"delete\":{\"_index\":\"victim\",\"_id\":\"1\"}}\n"
	plan := estest.NewPlan(nil)
	r := newRig(t, plan)
	evs := testEvents(6)
	evs[1].Fields.Put("event.dataset", inject)           // through %{[event.dataset]}
	evs[2].Meta.Index = "shipper-" + inject              // set by a processor or an input
	evs[3].Meta.Index = "Shipper-Upper"                  // lower-cased, as Beats does
	evs[4].Fields.Put("event.dataset", "Squid.Access")   // lower-cased, as Beats does
	evs[5].Meta.Index = `victim"},"delete":{"_index":"v` // a plain quote
	r.ship(evs, 6)
	r.check(evs, want{
		stored: []string{"e00", "e03", "e04"},
		dead:   map[string]int{"e01": 400, "e02": 400, "e05": 400},
		counters: map[string]int64{
			"output.events.acked": 3, "output.events.dead_letter": 3, "output.batches.failed": 0,
		},
	})
	if got := checkActions(t, r.es.Bodies()); strings.Join(got, ",") != "e00,e03,e04" {
		t.Errorf("create actions for %v, want exactly one each for e00,e03,e04", got)
	}
	for _, d := range r.es.Docs() {
		if d.ID == "e04" && d.Index != "shipper-squid.access" {
			t.Errorf("e04 sent to %q, want shipper-squid.access", d.Index)
		}
		if d.ID == "e03" && d.Index != "shipper-upper" {
			t.Errorf("e03 sent to %q, want shipper-upper", d.Index)
		}
	}
	dead := r.deadLetters()
	for id, want := range map[string]string{
		"e01": "must not contain '\"'", "e02": "must not contain '\"'",
		"e05": "must not contain '\"'",
	} {
		d := dead[id]
		if !strings.Contains(d.Reason, "invalid_index_name_exception") || !strings.Contains(d.Reason, want) {
			t.Errorf("%s dead-letter reason %q, want the invalid index and %q", id, d.Reason, want)
		}
	}
	if d := dead["e01"]; d.Index != "shipper-"+inject {
		t.Errorf("e01 dead-letter index %q, want the rendered invalid name", d.Index)
	}
}
