package estest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// VictoriaLogs starts a real VictoriaLogs (the real _bulk server of the
// integration tests) on a free loopback port and returns its base URL; its
// Elasticsearch API is under /insert/elasticsearch/. The binary is
// $VICTORIALOGS_BIN or <repoRoot>/.bin/victoria-logs (scripts/test.sh
// installs it); missing, the test fails saying how to install it.
func VictoriaLogs(t testing.TB, repoRoot string) string {
	t.Helper()
	bin := os.Getenv("VICTORIALOGS_BIN")
	if bin == "" {
		bin = filepath.Join(repoRoot, ".bin", "victoria-logs")
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

// LogsQL flushes VictoriaLogs (rows are queryable only after a flush) and
// runs a LogsQL query, returning its rows (values are strings).
func LogsQL(t testing.TB, base, q string) []map[string]string {
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
