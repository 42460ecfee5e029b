//go:build integration

package elasticsearch_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

// victoriaLogs starts a real VictoriaLogs (the _bulk server of these tests)
// on a free loopback port and returns its base URL. Same as
// shipper/runner/integration_test.go.
func victoriaLogs(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("VICTORIALOGS_BIN")
	if bin == "" {
		bin = "../../.bin/victoria-logs"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("VictoriaLogs not found at %s: install it with `GOBIN=$PWD/.bin go install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1` (scripts/test.sh does)", bin)
	}
	addr := freeAddr(t)
	// A 100-year retention window: VictoriaLogs silently drops documents
	// outside it while still answering 201.
	cmd := exec.Command(bin, "-storageDataPath="+t.TempDir(), "-httpListenAddr="+addr,
		"-retentionPeriod=100y", "-futureRetention=100y", "-loggerLevel=WARN")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(base + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("VictoriaLogs at %s not ready: %v", base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func vlQuery(t *testing.T, base, q string) []map[string]string {
	t.Helper()
	if res, err := http.Get(base + "/internal/force_flush"); err == nil {
		res.Body.Close()
	}
	res, err := http.PostForm(base+"/select/logsql/query", url.Values{"query": {q}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var rows []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("LogsQL answer %q: %v", line, err)
		}
		rows = append(rows, m)
	}
	return rows
}

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
	if err := r.shipFor(evs, 100, 60*time.Second); err != nil {
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

// A wrong path on VictoriaLogs is a text/plain 400: retried (the operator
// fixes the path), never dead-lettered.
func TestVictoriaLogsWrongPathRetriedNotDeadLettered(t *testing.T) {
	vl := victoriaLogs(t)
	r := newRig(t, estest.NewPlan(nil))
	r.cfg.Hosts = []string{vl + "/insert/elasticsearch/wrong/"}
	if err := r.shipFor(testEvents(5), 5, 500*time.Millisecond); err == nil {
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
