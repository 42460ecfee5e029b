//go:build integration

package elasticsearch_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/outputs/elasticsearch/idxmgmt"
)

// victoriaLogs starts a real VictoriaLogs for this test (see estest.VictoriaLogs).
func victoriaLogs(t *testing.T) string { return estest.VictoriaLogs(t, "../..") }

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func vlQuery(t *testing.T, base, q string) []map[string]string { return estest.LogsQL(t, base, q) }

// gzip on, two workers, three hosts of which two are dead: every event
// arrives once, without a single batch failure (failover is immediate).
func TestVictoriaLogsFailoverGzipWorkers(t *testing.T) {
	vl := victoriaLogs(t)
	r := newRig(t, estest.NewPlan(nil))
	r.cfg.Hosts = []string{"http://" + freeAddr(t), vl + "/insert/elasticsearch/", "http://" + freeAddr(t)}
	r.cfg.CompressionLevel = 5
	r.cfg.Worker = 2
	r.cfg.BulkMaxSize = 100
	r.cfg.Headers = map[string]string{"VL-Msg-Field": "message", "VL-Time-Field": "@timestamp", "VL-Stream-Fields": "event.dataset"}
	const n = 3000
	evs := testEvents(n)
	if err := r.shipFor(evs, 100, 60*time.Second, nil); err != nil {
		t.Fatalf("ship: %v\n%s", err, r.logs)
	}
	snap := r.m.Snapshot()
	if snap["output.events.acked"] != n || snap["output.batches.failed"] != 0 || snap["dead_letter.events"] != 0 {
		t.Errorf("counters %v, want %d acked, no failed batch, no dead letter", snap, n)
	}
	if snap["output.requests.failover"] == 0 {
		t.Errorf("no failover counted although two of three hosts are dead")
	}
	rows := vlQuery(t, vl, "* | stats count() as total, count_uniq(_msg) as msgs")
	if len(rows) != 1 || rows[0]["total"] != strconv.Itoa(n) || rows[0]["msgs"] != strconv.Itoa(n) {
		t.Fatalf("VictoriaLogs holds %v, want %d distinct messages", rows, n)
	}
	// @timestamp mapped to _time: the documents keep their own time.
	rows = vlQuery(t, vl, `_msg:"line e00" | fields _time`)
	if len(rows) != 1 || !strings.HasPrefix(rows[0]["_time"], "2025-03-01T12:00:00") {
		t.Errorf("_time of e00 = %v, want 2025-03-01T12:00:00Z", rows)
	}
}

// Index management on connect against a real VictoriaLogs: it answers
// 200 {} to the ILM and template calls (and 400 text/plain to the mapping
// check) and stores nothing; the connect succeeds and every event arrives,
// without a failed batch.
func TestVictoriaLogsIndexManagementOnConnect(t *testing.T) {
	vl := victoriaLogs(t)
	r := newRig(t, estest.NewPlan(nil))
	r.cfg.Hosts = []string{vl + "/insert/elasticsearch/"}
	r.cfg.Headers = map[string]string{"VL-Msg-Field": "message", "VL-Time-Field": "@timestamp"}
	r.cfg.Index = "shipper-test"
	im := idxmgmt.DefaultConfig()
	r.im = &im
	const n = 20
	if err := r.shipFor(testEvents(n), 10, 60*time.Second, nil); err != nil {
		t.Fatalf("ship: %v\n%s", err, r.logs)
	}
	snap := r.m.Snapshot()
	if snap["output.events.acked"] != n || snap["output.batches.failed"] != 0 {
		t.Errorf("counters %v, want %d acked and no failed batch\n%s", snap, n, r.logs)
	}
	if !strings.Contains(r.logs.String(), "index template shipper installed") {
		t.Errorf("no index management step logged:\n%s", r.logs)
	}
	rows := vlQuery(t, vl, "* | stats count() as total")
	if len(rows) != 1 || rows[0]["total"] != strconv.Itoa(n) {
		t.Errorf("VictoriaLogs holds %v, want %d", rows, n)
	}
}

// A wrong path on VictoriaLogs is a text/plain 400: retried (the operator
// fixes the path), never dead-lettered.
func TestVictoriaLogsWrongPathRetriedNotDeadLettered(t *testing.T) {
	vl := victoriaLogs(t)
	r := newRig(t, estest.NewPlan(nil))
	r.cfg.Hosts = []string{vl + "/insert/elasticsearch/wrong/"}
	if err := r.shipUntil(testEvents(5), 5, func() bool { return r.m.Snapshot()["output.batches.failed"] >= 3 }); err == nil {
		t.Fatal("delivered to a wrong path")
	}
	snap := r.m.Snapshot()
	if snap["dead_letter.events"] != 0 || snap["output.batches.failed"] == 0 {
		t.Errorf("counters %v: want failed batches and no dead letter", snap)
	}
	if !strings.Contains(r.logs.String(), "HTTP 400") {
		t.Errorf("logs do not show the 400:\n%s", r.logs)
	}
}

// Issue 18 item 7 with real components: VictoriaLogs behind a WAF-like
// reverse proxy that answers nginx's HTML 400 to any request holding
// "UNION SELECT". The poison documents are dead-lettered with the page's
// text, every other document is in VictoriaLogs once, and VictoriaLogs'
// answer to the empty probe request counts as "reaches the server".
func TestVictoriaLogsBehindAWAF(t *testing.T) {
	vl := victoriaLogs(t)
	target, _ := url.Parse(vl)
	proxy := httputil.NewSingleHostReverseProxy(target)
	waf := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		plain := body
		if r.Header.Get("Content-Encoding") == "gzip" {
			if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
				plain, _ = io.ReadAll(zr)
			}
		}
		if bytes.Contains(plain, []byte("UNION SELECT")) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, nginxPage)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	defer waf.Close()
	r := newRig(t, estest.NewPlan(nil))
	r.cfg.Hosts = []string{waf.URL + "/insert/elasticsearch/"}
	r.cfg.Headers = map[string]string{"VL-Msg-Field": "message", "VL-Time-Field": "@timestamp"}
	const n = 200
	evs := testEvents(n)
	for _, i := range []int{7, 120, 121} {
		evs[i].Fields.Put("message", "GET /item?id=1' UNION SELECT password FROM users--")
	}
	if err := r.shipFor(evs, 50, 60*time.Second, nil); err != nil {
		t.Fatalf("ship: %v\n%s", err, r.logs)
	}
	dead := r.deadLetters()
	for _, id := range []string{"e07", "e120", "e121"} {
		if d, ok := dead[id]; !ok || d.Status != 400 || !strings.Contains(d.Reason, "400 Bad Request nginx") {
			t.Errorf("%s dead letter %+v, want status 400 and the proxy page", id, d)
		}
	}
	if len(dead) != 3 {
		t.Errorf("%d dead letters, want 3", len(dead))
	}
	rows := vlQuery(t, vl, "* | stats count() as total, count_uniq(_msg) as msgs")
	if len(rows) != 1 || rows[0]["total"] != strconv.Itoa(n-3) || rows[0]["msgs"] != strconv.Itoa(n-3) {
		t.Fatalf("VictoriaLogs holds %v, want %d distinct messages", rows, n-3)
	}
}
