//go:build integration

package runner

// The fake Elasticsearch of the fault harness (faults_integration_test.go):
// a _bulk handler that stores documents by _id, answers 409 for an _id that
// exists (op_type create), and switches between the behaviours of a real
// cluster and of what stands in front of it: healthy, whole-request
// 503/429 with Retry-After, per-item 429/503, connection resets, slow
// answers, and a proxy that refuses with an HTML 400 every request holding
// a poison line.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// esMode is how the fake answers _bulk requests.
type esMode string

const (
	esHealthy     esMode = "healthy"
	esDown503     esMode = "503"         // whole request 503, Retry-After: 1
	esThrottle429 esMode = "429"         // whole request 429, Retry-After: 1
	esItemErrors  esMode = "item-errors" // 30% of the items 429 or 503, the rest stored
	esReset       esMode = "reset"       // connection closed before anything is stored
	esResetStored esMode = "reset-after-store"
	esSlow        esMode = "slow" // stored, then the answer waits 0–2×timeout
)

// proxy400Body is what an nginx in front of Elasticsearch answers.
const proxy400Body = "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

type faultES struct {
	srv     *httptest.Server
	timeout time.Duration // the output's timeout: slow answers go past it

	mu          sync.Mutex
	mode        esMode
	rng         *rand.Rand
	stored      map[string]int   // _id → line number
	byLine      map[int][]string // line number → _ids stored with it
	storedAt    []time.Time      // when each document was stored, in order
	conflicts   int              // 409 answers
	requests    int
	inMode      int // requests since the mode was set
	perMode     map[esMode]int
	proxy400    int // requests refused for a poison line
	unconfirmed int // documents stored in requests whose answer never reached the shipper
	answered    int // requests answered in any way: the progress measure
}

func newFaultES(t testing.TB, seed uint64, timeout time.Duration) *faultES {
	f := &faultES{timeout: timeout, mode: esHealthy, rng: rand.New(rand.NewPCG(seed, 0xe5)),
		stored: map[string]int{}, byLine: map[int][]string{}, perMode: map[esMode]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.handle))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *faultES) setMode(m esMode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = m
	f.inMode = 0
}

// modeRequests is how many requests the current mode answered.
func (f *faultES) modeRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inMode
}

// bulkDoc is one action + source pair of a _bulk body.
type bulkDoc struct {
	action, index, id string
	line              int // -1 when the message holds no line number
	poison            bool
}

func (f *faultES) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/" {
		fmt.Fprint(w, `{"name":"fault","cluster_name":"faults","version":{"number":"8.15.0","build_flavor":"default"},"tagline":"You Know, for Search"}`)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/_bulk") || r.Method != http.MethodPost {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"type":"not_found","reason":"no handler for %s %s"},"status":404}`, r.Method, r.URL.Path)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	docs, err := parseFaultBulk(body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"type":"parse_exception","reason":%q},"status":400}`, err.Error())
		return
	}

	f.mu.Lock()
	f.requests++
	mode := f.mode
	f.perMode[mode]++
	f.inMode++
	// The network first: a reset before anything reaches the cluster.
	if mode == esReset {
		f.answered++
		f.mu.Unlock()
		hangup(w)
		return
	}
	// Then the proxy: one poison line and the whole request is refused.
	for _, d := range docs {
		if d.poison {
			f.proxy400++
			f.answered++
			f.mu.Unlock()
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, proxy400Body)
			return
		}
	}
	switch mode {
	case esDown503, esThrottle429:
		f.answered++
		f.mu.Unlock()
		st := 503
		if mode == esThrottle429 {
			st = 429
		}
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(st)
		fmt.Fprintf(w, `{"error":{"type":"cluster_block_exception","reason":"scripted %d"},"status":%d}`, st, st)
		return
	}
	var out bytes.Buffer
	out.WriteString(`{"took":1,"errors":`)
	errs := false
	items := make([]string, len(docs))
	newlyStored := 0
	now := time.Now()
	for i, d := range docs {
		st := 201
		if mode == esItemErrors && f.rng.IntN(10) < 3 {
			st = []int{429, 503}[f.rng.IntN(2)]
		}
		if st == 201 {
			if _, dup := f.stored[d.id]; dup && d.action == "create" {
				st = 409
				f.conflicts++
			} else {
				f.stored[d.id] = d.line
				f.byLine[d.line] = append(f.byLine[d.line], d.id)
				f.storedAt = append(f.storedAt, now)
				newlyStored++
			}
		}
		errs = errs || st >= 300
		items[i] = faultItem(d, st)
	}
	var delay time.Duration
	if mode == esSlow {
		delay = time.Duration(f.rng.Int64N(int64(2 * f.timeout)))
	}
	f.answered++
	f.mu.Unlock()
	fmt.Fprintf(&out, "%v,\"items\":[%s]}", errs, strings.Join(items, ","))

	if mode == esResetStored {
		f.addUnconfirmed(newlyStored)
		hangup(w)
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			f.addUnconfirmed(newlyStored) // the shipper gave up waiting
			return
		}
	}
	if _, err := w.Write(out.Bytes()); err != nil {
		f.addUnconfirmed(newlyStored)
	}
}

// counts returns the requests received, per mode, and the proxy's 400s.
func (f *faultES) counts() (int, string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]int{}
	for k, v := range f.perMode {
		m[string(k)] = v
	}
	return f.requests, sortedCounts(m), f.proxy400
}

func (f *faultES) addUnconfirmed(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unconfirmed += n
}

// storedSince counts the documents stored after t.
func (f *faultES) storedSince(t time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for i := len(f.storedAt) - 1; i >= 0 && f.storedAt[i].After(t); i-- {
		n++
	}
	return n
}

func hangup(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
		}
	}
}

func faultItem(d bulkDoc, st int) string {
	var e string
	switch {
	case st == 409:
		e = fmt.Sprintf(`,"error":{"type":"version_conflict_engine_exception","reason":"[%s]: version conflict, document already exists (current version [1])"}`, d.id)
	case st == 429:
		e = `,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}`
	case st >= 500:
		e = `,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}`
	}
	return fmt.Sprintf(`{%q:{"_index":%q,"_id":%q,"status":%d%s}}`, d.action, d.index, d.id, st, e)
}

func parseFaultBulk(r io.Reader) ([]bulkDoc, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var docs []bulkDoc
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil || len(action) != 1 {
			return nil, fmt.Errorf("bad action line %q", sc.Bytes())
		}
		var d bulkDoc
		for k, v := range action {
			d.action, d.index, d.id = k, v.Index, v.ID
		}
		if d.id == "" {
			return nil, fmt.Errorf("action without _id: %q", sc.Bytes())
		}
		if !sc.Scan() {
			return nil, fmt.Errorf("action without document")
		}
		var src struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(sc.Bytes(), &src); err != nil {
			return nil, fmt.Errorf("invalid document %q: %v", sc.Bytes(), err)
		}
		d.line, d.poison = parseNumbered(src.Message)
		docs = append(docs, d)
	}
	return docs, sc.Err()
}

// parseNumbered reads a harness line: "<8-digit number> <ok|POISON> payload".
func parseNumbered(msg string) (n int, poison bool) {
	num, rest, _ := strings.Cut(msg, " ")
	n, err := strconv.Atoi(num)
	if err != nil {
		return -1, false
	}
	return n, strings.HasPrefix(rest, "POISON")
}
