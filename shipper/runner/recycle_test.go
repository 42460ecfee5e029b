package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/shipper/config"
)

// TestRecycledEventsKeepTheirOwnFields runs the squid input (pooled,
// recycled events) through a drop_event, the input's tags and the
// Elasticsearch output against a server that answers 429s, per-item 429s
// and mapping errors (dead letters), with three workers and a small queue,
// so that every event struct is reused many times while other events are
// in flight. Every document the server receives, on every attempt, must
// be exactly its own line's (message, offset, tags, parsed fields: nothing
// left from the event the struct held before), every line not dropped must
// end indexed or dead-lettered, and a dropped line is never sent. Run it
// with -race. With queue.disk the events are released once encoded into
// the queue.
func TestRecycledEventsKeepTheirOwnFields(t *testing.T) {
	t.Run("memory", func(t *testing.T) { testRecycled(t, "") })
	t.Run("disk", func(t *testing.T) { testRecycled(t, "queue.disk: {max_size: 1MiB}\n") })
}

func testRecycled(t *testing.T, queue string) {
	e := newEnv(t)
	const n = 3000
	var lines []string
	offsets := map[int]int64{}
	var off int64
	for i := range n {
		var l string
		switch {
		case i%5 == 0:
			l = fmt.Sprintf("not a squid line %d", i)
		case i%17 == 0:
			l = fmt.Sprintf("1795594303.%03d %6d 10.0.%d.%d TCP_MISS/200 %d GET http://example.org/drop-me/p%d - HIER_DIRECT/192.0.2.1 text/html", i%1000, i, i/256, i%256, 100+i, i)
		default:
			l = fmt.Sprintf("1795594303.%03d %6d 10.0.%d.%d TCP_MISS/200 %d GET http://example.org/p%d - HIER_DIRECT/192.0.2.1 text/html", i%1000, i, i/256, i%256, 100+i, i)
		}
		lines = append(lines, l)
		offsets[i] = off
		off += int64(len(l)) + 1
	}
	e.appendLines(lines)
	var mu sync.Mutex
	var bad []string
	stored := map[int]int{}
	refused := map[int]bool{}
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	es := estest.New(t, func(_ int, docs []estest.Doc) estest.Reply {
		mu.Lock()
		defer mu.Unlock()
		whole429 := rnd.IntN(6) == 0
		items := make([]int, len(docs))
		for k, d := range docs {
			var doc map[string]any
			if err := json.Unmarshal(d.Source, &doc); err != nil {
				bad = append(bad, fmt.Sprintf("not JSON: %s", d.Source))
				continue
			}
			msg, _ := doc["message"].(string)
			i := lineOf(msg)
			if i < 0 || i >= n || msg != lines[i] {
				bad = append(bad, fmt.Sprintf("message %q is no line", msg))
				continue
			}
			if why := checkDoc(doc, i, offsets[i]); why != "" {
				bad = append(bad, fmt.Sprintf("line %d: %s: %s", i, why, d.Source))
			}
			switch {
			case whole429:
			case i%41 == 3:
				items[k] = 400
				refused[i] = true
			case rnd.IntN(10) == 0:
				items[k] = 429
			default:
				items[k] = 201
				stored[i]++
			}
		}
		if whole429 {
			return estest.Reply{Status: 429}
		}
		return estest.Reply{Items: items}
	})

	yml := fmt.Sprintf(`shipper.inputs:
  - type: squid
    id: sq
    paths: [%q]
    tags: [web]
    processors:
      - drop_event: {when: {contains: {message: "drop-me"}}}
path.data: %q
logging.metrics.enabled: false
queue.mem.events: 64
%soutput.elasticsearch:
  hosts: [%q]
  bulk_max_size: 16
  worker: 3
  backoff: {init: 1ms, max: 5ms}
`, e.log, e.data, queue, es.URL)
	cfg, err := config.LoadBytes([]byte(yml), "test.yml", nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	r, err := New(cfg, Options{Once: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("runner.New: %v", err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}

	if got := e.cursorOffsets(); len(got) != 1 || got[0] != off {
		t.Errorf("cursors %v, want [%d] (the file's size)", got, off)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range bad[:min(len(bad), 20)] {
		t.Error(s)
	}
	dl := deadLettered(t, filepath.Join(e.data, "dead_letter", "dead_letter.ndjson"))
	for i := range n {
		dropped := i%17 == 0 && i%5 != 0
		switch {
		case dropped && (stored[i] > 0 || refused[i]):
			t.Errorf("line %d was dropped by drop_event and still sent", i)
		case dropped:
		case i%41 == 3 && !dl[i]:
			t.Errorf("line %d refused with 400 is not in the dead-letter file", i)
		case i%41 != 3 && stored[i] == 0:
			t.Errorf("line %d never indexed", i)
		}
	}
}

// lineOf is the number of the test line msg (its duration field, or the
// number ending a line that is not squid's).
func lineOf(msg string) int {
	k := -1
	if strings.HasPrefix(msg, "not a squid line ") {
		fmt.Sscanf(msg, "not a squid line %d", &k)
	} else if f := strings.Fields(msg); len(f) > 1 {
		fmt.Sscan(f[1], &k)
	}
	return k
}

// checkDoc says what is wrong in the document of line i, or "".
func checkDoc(doc map[string]any, i int, offset int64) string {
	log, _ := doc["log"].(map[string]any)
	if o, _ := log["offset"].(float64); int64(o) != offset {
		return fmt.Sprintf("log.offset %v, want %d", log["offset"], offset)
	}
	var tags []string
	if l, ok := doc["tags"].([]any); ok {
		for _, x := range l {
			tags = append(tags, fmt.Sprint(x))
		}
	}
	slices.Sort(tags)
	want := []string{"web"}
	if i%5 == 0 {
		want = []string{"_grokparsefailure", "web"}
	}
	if !slices.Equal(tags, want) {
		return fmt.Sprintf("tags %v, want %v", tags, want)
	}
	_, hasErr := doc["error"]
	src, _ := doc["source"].(map[string]any)
	url, _ := doc["url"].(map[string]any)
	if i%5 == 0 {
		if src != nil || url != nil || hasErr {
			return "a line that is not squid has source, url or error"
		}
		return ""
	}
	if hasErr {
		return "a squid line with an error"
	}
	if ip := fmt.Sprint(src["ip"]); ip != fmt.Sprintf("10.0.%d.%d", i/256, i%256) {
		return "source.ip " + ip
	}
	if u := fmt.Sprint(url["original"]); !strings.HasSuffix(u, fmt.Sprintf("/p%d", i)) {
		return "url.original " + u
	}
	return ""
}

// deadLettered reads the lines of the events in the dead-letter file.
func deadLettered(t *testing.T, path string) map[int]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("dead-letter file: %v", err)
	}
	defer f.Close()
	out := map[int]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	defer func() {
		if err := sc.Err(); err != nil {
			t.Fatalf("dead-letter file: %v", err)
		}
	}()
	for sc.Scan() {
		var rec struct {
			Event struct{ Message string }
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("dead-letter line %q: %v", sc.Text(), err)
		}
		out[lineOf(rec.Event.Message)] = true
	}
	return out
}
