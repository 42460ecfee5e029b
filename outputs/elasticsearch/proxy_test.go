package elasticsearch_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

// nginxPage is what nginx (or a WAF in front of it) answers when it refuses
// a request: HTML, not an Elasticsearch error.
const nginxPage = "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

// waf refuses, like a web application firewall, every request holding a
// document whose message matches its rule; an empty request passes.
func waf(refuse func(doc estest.Doc) bool) func(int, []estest.Doc) estest.Reply {
	return func(_ int, docs []estest.Doc) estest.Reply {
		for _, d := range docs {
			if refuse(d) {
				return estest.Reply{Status: 400, ContentType: "text/html", Body: nginxPage}
			}
		}
		return estest.Reply{}
	}
}

func poisonOf(ids ...string) func(estest.Doc) bool {
	return func(d estest.Doc) bool {
		for _, id := range ids {
			if d.ID == id {
				return strings.Contains(string(d.Source), "UNION SELECT")
			}
		}
		return false
	}
}

// Issue 18 item 7: a proxy that refuses a few documents for their content
// (an HTML 400, not an Elasticsearch error) no longer blocks the stream:
// the batch is split down to the refused documents, the others are
// indexed, and the refused ones are dead-lettered with the status and the
// page after poisonAttempts refusals.
func TestProxyRefusesPoisonDocuments(t *testing.T) {
	plan := estest.NewPlan(nil)
	plan.Whole = waf(poisonOf("e03", "e11"))
	r := newRig(t, plan)
	evs := testEvents(16)
	for _, i := range []int{3, 11} {
		evs[i].Fields.Put("message", "GET /item?id=1' UNION SELECT password FROM users--")
	}
	r.ship(evs, 16)
	r.check(evs, want{
		stored: ids(0, 16, 3, 11),
		dead:   map[string]int{"e03": 400, "e11": 400},
		counters: map[string]int64{
			"output.events.acked": 14, "output.events.dead_letter": 2, "dead_letter.events": 2,
			"output.batches.failed": 0,
		},
	})
	for _, id := range []string{"e03", "e11"} {
		d := r.deadLetters()[id]
		for _, want := range []string{"proxy", "HTTP 400", "400 Bad Request nginx", "3 times"} {
			if !strings.Contains(d.Reason, want) {
				t.Errorf("%s dead-letter reason %q does not say %q", id, d.Reason, want)
			}
		}
		if strings.Contains(d.Reason, "<center>") {
			t.Errorf("%s dead-letter reason keeps the HTML tags: %q", id, d.Reason)
		}
	}
	// The first attempt splits down to the refused documents (each other
	// document is sent at most log2(16)+1 times); the next two send the
	// two refused ones together, then each alone.
	for id, n := range plan.Attempts() {
		if want := map[string]int{"e03": 5 + 2 + 2, "e11": 5 + 2 + 2}[id]; want != 0 && n != want || want == 0 && n > 5 {
			t.Errorf("%s sent %d times", id, n)
		}
	}
}

// A poison document alone in its batch (a quiet moment: the flush timeout
// cut a batch of one) is dead-lettered too: nothing else to compare it
// with, but the endpoint answers an empty request.
func TestProxyRefusesALonePoisonDocument(t *testing.T) {
	plan := estest.NewPlan(nil)
	plan.Whole = waf(poisonOf("e01"))
	r := newRig(t, plan)
	evs := testEvents(3)
	evs[1].Fields.Put("message", "GET /?q=<script>alert(1)</script> UNION SELECT 1")
	r.ship(evs, 1)
	r.check(evs, want{
		stored:   []string{"e00", "e02"},
		dead:     map[string]int{"e01": 400},
		attempts: map[string]int{"e01": 3},
		counters: map[string]int64{"output.events.dead_letter": 1, "output.batches.failed": 0},
	})
}

// A wrong path or a proxy refusing every request is not a document's
// fault: an empty probe request is refused too, so the batch is retried
// whole (two requests per attempt), never split or dead-lettered, and the
// log says why at ERROR. The same for a proxy's HTML 404, which is not even
// probed.
func TestEndpointRefusingEverythingIsRetriedNotDeadLettered(t *testing.T) {
	cases := []struct {
		name      string
		reply     estest.Reply
		wantSizes string
		logHas    string
	}{
		{
			name: "VictoriaLogs wrong path, text/plain 400",
			reply: estest.Reply{Status: 400, ContentType: "text/plain; charset=utf-8",
				Body: `unsupported path requested: "/insert/elasticsearch/x/_bulk"`},
			wantSizes: "[8 0 8 0 8 0 8]", // each failed attempt: the batch and the empty probe
			logHas:    "even an empty one",
		},
		{
			name:      "proxy HTML 400 on every request",
			reply:     estest.Reply{Status: 400, ContentType: "text/html", Body: nginxPage},
			wantSizes: "[8 0 8 0 8 0 8]",
			logHas:    "even an empty one",
		},
		{
			name: "proxy HTML 404 (misrouted)",
			reply: estest.Reply{Status: 404, ContentType: "text/html",
				Body: strings.ReplaceAll(nginxPage, "400 Bad Request", "404 Not Found")},
			wantSizes: "[8 8 8 8]",
			logHas:    "HTTP 404",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := estest.NewPlan(nil)
			var mu sync.Mutex
			var sizes []int
			const failures = 3 // attempts refused, then the operator fixed it
			whole := 0
			plan.Whole = func(k int, docs []estest.Doc) estest.Reply {
				mu.Lock()
				defer mu.Unlock()
				sizes = append(sizes, len(docs))
				if len(docs) == 8 {
					whole++
				}
				if whole <= failures {
					return tc.reply
				}
				return estest.Reply{}
			}
			r := newRig(t, plan)
			evs := testEvents(8)
			r.ship(evs, 8)
			attempts := map[string]int{}
			for _, id := range ids(0, 8) {
				attempts[id] = failures + 1
			}
			r.check(evs, want{stored: ids(0, 8), attempts: attempts, counters: map[string]int64{
				"output.events.acked": 8, "output.batches.failed": failures, "dead_letter.events": 0,
				"output.events.dead_letter": 0,
			}})
			mu.Lock()
			defer mu.Unlock()
			if got := fmt.Sprint(sizes); got != tc.wantSizes {
				t.Errorf("request sizes %s, want %s", got, tc.wantSizes)
			}
			if logs := r.logs.String(); !strings.Contains(logs, tc.logHas) {
				t.Errorf("logs do not say %q:\n%s", tc.logHas, logs)
			}
		})
	}
}

// A proxy (or a WAF rule) that refuses every document while it answers an
// empty request: more than maxRefusedInARow (100) different documents are
// refused one by one and none passes, so it is taken as systemic: retried,
// nothing dead-lettered, ERROR in the log, and each later attempt spends a
// bounded number of requests. Once the rule is fixed, everything is indexed.
func TestProxyRefusingEveryDocumentIsNotDeadLettered(t *testing.T) {
	const n, failures = 150, 4
	plan := estest.NewPlan(nil)
	var mu sync.Mutex
	whole := 0
	plan.Whole = func(k int, docs []estest.Doc) estest.Reply {
		mu.Lock()
		defer mu.Unlock()
		if len(docs) == n {
			whole++
		}
		if whole <= failures && len(docs) > 0 {
			return estest.Reply{Status: 400, ContentType: "text/html", Body: nginxPage}
		}
		return estest.Reply{}
	}
	r := newRig(t, plan)
	evs := testEvents(n)
	r.ship(evs, n)
	r.check(evs, want{stored: ids(0, n), counters: map[string]int64{
		"output.events.acked": n, "output.events.dead_letter": 0, "dead_letter.events": 0,
		"output.batches.failed": failures,
	}})
	// The first attempt splits until 101 documents were refused alone
	// (~2 requests each); the next three at most 2+16 each; then 1.
	if got := r.m.Snapshot()["output.requests"]; got > 2*101+20+3*18+1 {
		t.Errorf("%d bulk requests, want a bounded number per attempt", got)
	}
	if logs := r.logs.String(); !strings.Contains(logs, "refuses every document") {
		t.Errorf("logs do not say that every document is refused:\n%s", logs)
	}
}
