package elasticsearch

import (
	"testing"
	"time"

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
