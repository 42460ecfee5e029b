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
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

// bigLinesEnv is where both tests start: a file of n lines of size bytes
// each (line i is "i aaa…", the letter changing with i), an Elasticsearch
// that holds every bulk request until release, and a free port for the
// shipper's HTTP endpoint.
type bigLinesEnv struct {
	dir, logFile string
	es           *estest.Server
	port         int
	release      func() // lets Elasticsearch answer; once, and at the end of the test at the latest
}

func newBigLinesEnv(t *testing.T, n, size int) *bigLinesEnv {
	t.Helper()
	held := make(chan struct{})
	env := &bigLinesEnv{dir: t.TempDir(), release: sync.OnceFunc(func() { close(held) })}
	env.es = estest.New(t, func(int, []estest.Doc) estest.Reply { <-held; return estest.Reply{} })
	t.Cleanup(env.release) // before the server closes: its Close waits for the held requests
	var lines bytes.Buffer
	for i := range n {
		fmt.Fprintf(&lines, "%d %s\n", i, bytes.Repeat([]byte{'a' + byte(i%26)}, size))
	}
	env.logFile = filepath.Join(env.dir, "big.log")
	os.WriteFile(env.logFile, lines.Bytes(), 0o600)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	return env
}

// stats decodes the shipper's /stats into v; false while it does not
// answer.
func (e *bigLinesEnv) stats(v any) bool {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/stats", e.port))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(v)
	return true
}

// queue.mem.bytes from the file reaches the running shipper: with lines of
// 100 KiB and Elasticsearch holding every bulk request, the queue stops
// taking events at 1 MiB (/stats: pipeline.queue.filled.bytes), far below
// queue.mem.events; once Elasticsearch answers, every line is indexed
// (issue 17).
func TestRunBoundsTheQueueInBytes(t *testing.T) {
	const size, n, bound = 100 << 10, 60, 1 << 20
	env := newBigLinesEnv(t, n, size)
	cfgFile := filepath.Join(env.dir, "shipper.yml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`path.data: %q
shipper.inputs:
  - {type: filestream, id: big, paths: [%q]}
output.elasticsearch: {hosts: [%q]}
setup.template.enabled: false
setup.ilm.enabled: false
http: {enabled: true, host: 127.0.0.1, port: %d}
queue.mem.bytes: %d
`, filepath.Join(env.dir, "data"), env.logFile, env.es.URL, env.port, bound)), 0o600)

	p := startShipper(t, false, "run", "-c", cfgFile)
	var c map[string]int64
	counters := func() bool {
		var s struct{ Counters map[string]int64 }
		if !env.stats(&s) {
			return p.exited()
		}
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
	env.release()
	p.waitFor("every line indexed", func() bool { return len(env.es.Stored()) == n || p.exited() })
	p.signal(syscall.SIGTERM)
	p.waitExit(0)
	if got := len(env.es.Stored()); got != n {
		t.Errorf("%d lines indexed, want %d", got, n)
	}
}

// A reload while the queue is full in bytes and Elasticsearch holds every
// bulk request: the running pipeline stops (its events are read again from
// the cursor), the new one takes the new queue.mem.bytes, /stats shows the
// new queue's bytes (not the old queue's added to them), and once
// Elasticsearch answers every line is indexed.
func TestReloadWhileQueueFullInBytes(t *testing.T) {
	const size, n, bound = 100 << 10, 60, 1 << 20
	env := newBigLinesEnv(t, n, size)
	cfgFile := filepath.Join(env.dir, "shipper.yml")
	writeCfg := func(bound int) {
		os.WriteFile(cfgFile+".tmp", []byte(fmt.Sprintf(`path.data: %q
shipper.inputs:
  - {type: filestream, id: big, paths: [%q]}
output.elasticsearch: {hosts: [%q], timeout: 10m}
setup.template.enabled: false
setup.ilm.enabled: false
http: {enabled: true, host: 127.0.0.1, port: %d}
queue.mem.bytes: %d
shipper.shutdown_timeout: 1s
`, filepath.Join(env.dir, "data"), env.logFile, env.es.URL, env.port, bound)), 0o600)
		os.Rename(cfgFile+".tmp", cfgFile)
	}
	writeCfg(bound)

	p := startShipper(t, false, "run", "-c", cfgFile)
	var c map[string]int64
	counters := func(full int64) func() bool {
		return func() bool {
			var s struct{ Counters map[string]int64 }
			if !env.stats(&s) {
				return p.exited()
			}
			c = s.Counters
			return c["pipeline.queue.filled.bytes"] >= full || c["pipeline.queue.filled"] >= n || p.exited()
		}
	}
	p.waitFor("the queue full in bytes", counters(bound))
	if p.exited() {
		t.Fatalf("the shipper ended:\n%s", p.log())
	}
	writeCfg(2 * bound)
	p.signal(syscall.SIGHUP)
	p.waitFor("the reload", p.logged("shipper reloaded"))
	p.waitFor("the new queue full in bytes", counters(2*bound))
	if p.exited() {
		t.Fatalf("the shipper ended:\n%s", p.log())
	}
	// The new queue alone: at most its bound and one event, in bytes and
	// in events (the old queue's are gone with it).
	if got, max := c["pipeline.queue.filled"], int64(2*bound/size+1); got > max {
		t.Errorf("after the reload to queue.mem.bytes %d /stats shows %d queued events (%d bytes), want at most %d",
			2*bound, got, c["pipeline.queue.filled.bytes"], max)
	}
	if got, max := c["pipeline.queue.filled.bytes"], int64(2*bound+size+4096); got > max {
		t.Errorf("after the reload to queue.mem.bytes %d /stats shows %d queued bytes, want at most %d", 2*bound, got, max)
	}
	env.release()
	p.waitFor("every line indexed", func() bool { return len(env.es.Stored()) >= n || p.exited() })
	// Nothing is in flight any more: /stats must not show the events the
	// reload's stop left behind (read again since) as active.
	var active int64 = -1
	p.waitFor("the last acknowledgement", func() bool {
		var s struct {
			Pipeline struct {
				Events struct{ Active int64 }
				Queue  struct{ Filled int64 }
			}
		}
		if !env.stats(&s) {
			return p.exited()
		}
		active = s.Pipeline.Events.Active
		return s.Pipeline.Queue.Filled == 0 || p.exited()
	})
	if active != 0 {
		t.Errorf("/stats pipeline.events.active = %d with every line indexed and the queue empty, want 0", active)
	}
	p.signal(syscall.SIGTERM)
	p.waitExit(0)
	// The reload's stop left events unacknowledged (Elasticsearch held
	// them); the last stop, everything indexed, leaves none: the new
	// pipeline must not count the old one's.
	if got := strings.Count(p.log(), "stopping with events not acknowledged"); got != 1 {
		t.Errorf("%d stops with events not acknowledged, want 1 (the reload's); output:\n%s", got, p.log())
	}
	seen := map[string]bool{}
	for _, d := range env.es.Docs() {
		var doc struct{ Message string }
		json.Unmarshal(d.Source, &doc)
		seen[doc.Message] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct lines indexed, want %d", len(seen), n)
	}
}
