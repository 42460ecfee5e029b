//go:build integration

package runner

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

// victoriaLogs starts a real VictoriaLogs for this test (see estest.VictoriaLogs).
func victoriaLogs(t *testing.T) string { return estest.VictoriaLogs(t, "../..") }

func vlQuery(t *testing.T, base, q string) []map[string]string { return estest.LogsQL(t, base, q) }

// Ship the squid sample to a real _bulk server and count it back.
func TestVictoriaLogsEndToEnd(t *testing.T) {
	vl := victoriaLogs(t)
	e := newEnv(t)
	lines := sampleLines(t)
	e.appendLines(lines)
	out := fmt.Sprintf(`output.elasticsearch:
  hosts: [%q]
  headers: {VL-Msg-Field: message, VL-Time-Field: "@timestamp", VL-Stream-Fields: "input.type"}`, vl+"/insert/elasticsearch/")
	r := e.runOnce(out)
	if got := r.Metrics.Snapshot()["output.events.acked"]; got != int64(len(lines)) {
		t.Fatalf("acked = %d, want %d", got, len(lines))
	}
	rows := vlQuery(t, vl, "* | stats count() as total")
	if len(rows) != 1 || rows[0]["total"] != strconv.Itoa(len(lines)) {
		t.Fatalf("VictoriaLogs holds %v, want total %d", rows, len(lines))
	}
	rows = vlQuery(t, vl, `event.action:TCP_TUNNEL | stats sum(http.response.bytes) as b`)
	if len(rows) != 1 || rows[0]["b"] != "23354" {
		t.Errorf("sum of TCP_TUNNEL bytes = %v, want 23354", rows)
	}
	rows = vlQuery(t, vl, `tags:_grokparsefailure | stats count() as n`)
	if len(rows) != 1 || rows[0]["n"] != "1" {
		t.Errorf("unparsed lines stored = %v, want 1 (shipped, tagged, never dropped)", rows)
	}

	// Append and run again: only the new lines arrive.
	e.appendLines(lines[:3])
	e.runOnce(out)
	rows = vlQuery(t, vl, "* | stats count() as total")
	if len(rows) != 1 || rows[0]["total"] != strconv.Itoa(len(lines)+3) {
		t.Fatalf("after appending 3 lines VictoriaLogs holds %v, want %d", rows, len(lines)+3)
	}
}

// The Go client's product check refuses a server that is not Elasticsearch:
// the run keeps retrying (nothing is dropped) and says why.
func TestNotElasticsearchIsRefused(t *testing.T) {
	vl := victoriaLogs(t)
	e := newEnv(t)
	e.appendLines(sampleLines(t)[:5]) // longer than the fingerprint
	yml := fmt.Sprintf("shipper.inputs:\n  - {type: squid, id: sq, paths: [%q]}\npath.data: %q\noutput.elasticsearch: {hosts: [%q], backoff: {init: 10ms, max: 20ms}}\n",
		e.log, e.data, vl+"/")
	cfgPath := filepath.Join(e.dir, "shipper.yml")
	os.WriteFile(cfgPath, []byte(yml), 0o600)
	var logs syncBuffer
	cmd := exec.Command(shipperBin(t), "run", "--once", "-c", cfgPath, "-E", "shipper.shutdown_timeout=1s")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitProgress(t, "the log saying the server is not Elasticsearch", func() (bool, int64) {
		return strings.Contains(logs.String(), "not Elasticsearch"), 0
	}, logs.String)
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if got := e.cursorOffsets(); len(got) > 0 && got[0] != 0 {
		t.Errorf("offset moved to %v although nothing was accepted", got)
	}
}
