//go:build integration

package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

// queue.mem.bytes from the file reaches the running shipper: with lines of
// 100 KiB and Elasticsearch holding every bulk request, the queue stops
// taking events at 1 MiB (/stats: pipeline.queue.filled.bytes), far below
// queue.mem.events; once Elasticsearch answers, every line is indexed
// (issue 17).
func TestRunBoundsTheQueueInBytes(t *testing.T) {
	const size, n, bound = 100 << 10, 60, 1 << 20
	release := make(chan struct{})
	es := estest.New(t, func(int, []estest.Doc) estest.Reply { <-release; return estest.Reply{} })
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	dir := t.TempDir()
	var lines bytes.Buffer
	for i := range n {
		fmt.Fprintf(&lines, "%d %s\n", i, bytes.Repeat([]byte{'a' + byte(i%26)}, size))
	}
	logFile := filepath.Join(dir, "big.log")
	os.WriteFile(logFile, lines.Bytes(), 0o600)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfgFile := filepath.Join(dir, "shipper.yml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`path.data: %q
shipper.inputs:
  - {type: filestream, id: big, paths: [%q]}
output.elasticsearch: {hosts: [%q]}
setup.template.enabled: false
setup.ilm.enabled: false
http: {enabled: true, host: 127.0.0.1, port: %d}
queue.mem.bytes: %d
`, filepath.Join(dir, "data"), logFile, es.URL, port, bound)), 0o600)

	p := startShipper(t, false, "run", "-c", cfgFile)
	var c map[string]int64
	counters := func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/stats", port))
		if err != nil {
			return p.exited()
		}
		defer resp.Body.Close()
		var s struct{ Counters map[string]int64 }
		json.NewDecoder(resp.Body).Decode(&s)
		c = s.Counters
		return c["pipeline.queue.filled.bytes"] >= bound || c["pipeline.queue.filled"] >= n
	}
	p.waitFor("the queue full in bytes (or every line queued)", counters)
	if p.exited() {
		t.Fatalf("the shipper ended:\n%s", p.log())
	}
	if got, max := c["pipeline.queue.filled"], int64(bound/size+1); got > max {
		t.Errorf("with queue.mem.bytes %d and lines of %d bytes the queue holds %d events (%d bytes), want at most %d",
			bound, size, got, c["pipeline.queue.filled.bytes"], max)
	}
	close(release)
	released = true
	p.waitFor("every line indexed", func() bool { return len(es.Stored()) == n || p.exited() })
	p.signal(syscall.SIGTERM)
	p.waitExit(0)
	if got := len(es.Stored()); got != n {
		t.Errorf("%d lines indexed, want %d", got, n)
	}
}
