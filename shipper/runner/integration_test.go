//go:build integration

package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// victoriaLogs starts a real VictoriaLogs (the _bulk server of these tests)
// on a free loopback port and returns its base URL.
func victoriaLogs(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("VICTORIALOGS_BIN")
	if bin == "" {
		bin = "../../.bin/victoria-logs"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("VictoriaLogs not found at %s: install it with `GOBIN=$PWD/.bin go install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1` (scripts/test.sh does)", bin)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
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
	if len(rows) != 1 || rows[0]["n"] != "2" {
		t.Errorf("unparsed lines stored = %v, want 2 (shipped, tagged, never dropped)", rows)
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
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "../../shipper", "run", "--once", "-c", cfgPath, "-E", "shipper.shutdown_timeout=1s")
	cmd.WaitDelay = 2 * time.Second
	outb, _ := startAndStop(cmd, 8*time.Second)
	if !strings.Contains(outb, "not Elasticsearch") {
		t.Errorf("log does not say the server is not Elasticsearch:\n%s", outb)
	}
	if got := e.cursorOffsets(); len(got) > 0 && got[0] != 0 {
		t.Errorf("offset moved to %v although nothing was accepted", got)
	}
}

// startAndStop runs cmd for d, then interrupts it, returning its output.
func startAndStop(cmd *exec.Cmd, d time.Duration) (string, error) {
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return buf.String(), err
	case <-time.After(d):
		cmd.Process.Signal(os.Interrupt)
		return buf.String(), <-done
	}
}
