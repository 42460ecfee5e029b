package elasticsearch

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// FuzzJudge feeds arbitrary bulk responses (the server is not trusted):
// no panic, and either an error (retry the batch) or every item marked.
func FuzzJudge(f *testing.F) {
	for _, s := range []string{
		`{"took":1,"errors":false,"items":[{"create":{"status":201}},{"create":{"status":201}},{"create":{"status":201}}]}`,
		`{"errors":true,"items":[{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"x"}}},{"index":{"status":429}},{"create":{"status":400,"error":{"type":"document_parsing_exception","reason":"r","caused_by":{"type":"t","reason":"c"}}}}]}`,
		`{"items":[{"create":{"status":503,"error":"plain"}},{"create":{}},{"delete":{"status":200}}]}`,
		`{"items":[]}`, `[]`, `null`, `{"items":[{"create":{"status":"201"}}]}`, ``,
	} {
		f.Add([]byte(s))
	}
	cfg := DefaultConfig()
	out, err := New(cfg, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, resp []byte) {
		evs := make([]*event.Event, 3)
		for i := range evs {
			evs[i] = event.New(time.Unix(0, 0), 1)
			evs[i].Fields.Add("event.dataset", "x")
		}
		b := pipeline.NewTestBatch(evs...)
		if err := out.judge(b, []int{0, 1, 2}, resp); err != nil {
			return
		}
		for i := range 3 {
			if b.Outcome(i) == pipeline.Pending {
				t.Fatalf("item %d left unmarked by %q", i, resp)
			}
		}
	})
}

// FuzzActionLine feeds arbitrary values to everything written into a bulk
// action line (the %{[field]} value, Meta.Index, _id, pipeline): the body
// is always action/document pairs with one create per event sent, whose
// index is a valid name, and an event not sent is dead-lettered (issue 14
// item 2).
func FuzzActionLine(f *testing.F) {
	const inject = "x\"}}\n{\"delete\":{\"_index\":\"victim\",\"_id\":\"1\"}}\n"
	f.Add("squid.access", "", "sq-1", "")
	f.Add(inject, "", inject, inject)
	f.Add("Web", "shipper-"+inject, "", "")
	f.Add("café\u2028", "", "\x00\xff", "p")
	f.Add("", "..", "", "")
	f.Add("a", "-x", "", "")
	cfg := DefaultConfig()
	cfg.Index = "shipper-%{[event.dataset]}"
	out, err := New(cfg, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, dataset, index, id, pipe string) {
		e := event.New(time.Unix(0, 0), 2)
		e.Fields.Add("event.dataset", dataset)
		e.Meta.Index, e.Meta.ID, e.Meta.Pipeline = index, id, pipe
		ok := event.New(time.Unix(0, 0), 1)
		ok.Fields.Add("event.dataset", "ok")
		b := pipeline.NewTestBatch(ok, e, ok)
		body, sent, n := out.encode(b, []int{0, 1, 2})
		if n != 3 {
			t.Fatalf("encode went through %d of 3 events", n)
		}
		actions := parseBody(t, body)
		if len(actions) != len(sent) {
			t.Fatalf("%d actions for %d events sent:\n%s", len(actions), len(sent), body)
		}
		for _, a := range actions {
			if why := checkIndexName([]byte(a["_index"])); why != "" {
				t.Fatalf("sent to an invalid index %q (%s)", a["_index"], why)
			}
		}
		if len(sent) == 2 && b.Outcome(1) != pipeline.DeadLettered {
			t.Fatalf("event left out but not dead-lettered (index %q)", e.Meta.Index)
		}
		if len(sent) == 3 && id != "" && actions[1]["_id"] != jsonRoundTrip(id) {
			t.Fatalf("_id %q sent as %q", id, actions[1]["_id"])
		}
	})
}

// jsonRoundTrip is s as encoding/json writes and reads it back (each invalid
// UTF-8 byte becomes U+FFFD, as the event encoder does).
func jsonRoundTrip(s string) string {
	b, _ := json.Marshal(s)
	var out string
	json.Unmarshal(b, &out)
	return out
}

// FuzzSnippet feeds arbitrary response bodies (a proxy's page is not
// trusted) to the text that goes into dead-letter reasons: no panic, short,
// and valid UTF-8 when the body is.
func FuzzSnippet(f *testing.F) {
	f.Add([]byte("<html><head><title>400 Bad Request</title></head><body>nginx</body></html>"))
	f.Add([]byte("<!doctype html><script>x<</script><!--"))
	f.Add([]byte(`{"error":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := snippet(body)
		if len(s) > 512+64 {
			t.Fatalf("snippet is %d bytes", len(s))
		}
		if utf8.Valid(body) && !utf8.ValidString(s) {
			t.Fatalf("snippet(%q) = %q is not valid UTF-8", body, s)
		}
	})
}
