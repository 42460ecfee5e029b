//go:build integration

package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

// Elasticsearch is down while a steady input runs, the shipper is killed
// with SIGKILL while the disk queue holds events, Elasticsearch comes back:
// every event is stored exactly once (by _id), and the input's file cursor
// moved on during the outage (the events were safe on disk).
func TestDiskQueueOutageAndKill9(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	es := estest.New(t, func(n int, docs []estest.Doc) estest.Reply {
		if down.Load() {
			return estest.Reply{Status: 503}
		}
		return estest.Reply{}
	})
	d := t.TempDir()
	logPath := filepath.Join(d, "steady.log")
	cfgPath := filepath.Join(d, "shipper.yml")
	yml := fmt.Sprintf(`shipper.inputs:
  - {type: filestream, id: steady, paths: [%q], backoff: {init: 10ms, max: 50ms}}
output.elasticsearch: {hosts: [%q], backoff: {init: 20ms, max: 100ms}}
queue.disk: {max_size: 4MiB, segment_size: 256KiB, sync_interval: 100ms}
path.data: %q
logging.metrics.enabled: false
`, logPath, es.URL, filepath.Join(d, "data"))
	os.WriteFile(cfgPath, []byte(yml), 0o600)
	e := &env{t: t, data: filepath.Join(d, "data"), log: logPath}

	cmd := (&tailEnv{t: t, cfg: cfgPath}).start()
	const total = 6000
	f, _ := os.Create(logPath)
	for i := range total {
		f.WriteString(line(i))
		if i%500 == 499 {
			time.Sleep(50 * time.Millisecond) // a steady writer
		}
	}
	f.Close()
	fi, _ := os.Stat(logPath)
	// During the outage the input still reaches the end of its file.
	var offs []int64
	waitProgress(t, "input cursor reaching the end of its file while Elasticsearch is down", func() (bool, int64) {
		offs = e.cursorOffsets()
		if len(offs) != 1 {
			return false, 0
		}
		return offs[0] == fi.Size(), offs[0]
	}, func() string { return fmt.Sprintf("cursor %v, file size %d", offs, fi.Size()) })
	segs, _ := filepath.Glob(filepath.Join(d, "data", "diskqueue", "*.seg"))
	if len(es.Stored()) != 0 || len(segs) == 0 {
		t.Fatalf("during the outage: %d stored, %d segments", len(es.Stored()), len(segs))
	}
	cmd.Process.Kill() // SIGKILL with the queue full of events
	cmd.Wait()

	down.Store(false)
	cmd = (&tailEnv{t: t, cfg: cfgPath}).start()
	waitCount(t, "documents stored after the outage", total, func() int64 { return int64(len(es.Stored())) })
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	stored := es.Stored()
	if len(stored) != total {
		t.Fatalf("stored %d distinct documents, want %d", len(stored), total)
	}
	for id, n := range stored {
		if n != 1 {
			t.Errorf("document %s stored %d times", id, n)
		}
	}
	t.Logf("%d events through a %d-request outage and a SIGKILL, each stored once", total, es.Requests())
}
