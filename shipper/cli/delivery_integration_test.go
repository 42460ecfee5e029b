//go:build integration

package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

// bulkProxy stands between the shipper and a real VictoriaLogs: it forwards
// everything, and answers _bulk requests by a plan (one mode per request,
// then "healthy"): "partial" forwards a third of the documents (201) and
// refuses the others with 429; "hold" forwards them all and never answers
// (the test kills the shipper meanwhile). A poison line is always refused
// with 400 and never stored. It records every _id each line was sent with.
type bulkProxy struct {
	srv  *httptest.Server
	vl   string
	stop chan struct{}
	held chan struct{} // a held request's documents are stored

	mu       sync.Mutex
	plan     []string
	requests int
	ids      map[int]map[string]bool // line → the _ids it was sent with
}

var lineNo = regexp.MustCompile(`L(\d{6})\b`)

func newBulkProxy(t *testing.T, vl string) *bulkProxy {
	p := &bulkProxy{vl: vl, stop: make(chan struct{}), held: make(chan struct{}, 16), ids: map[int]map[string]bool{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.handle))
	t.Cleanup(func() { close(p.stop); p.srv.Close() })
	return p
}

func (p *bulkProxy) setPlan(modes ...string) {
	p.mu.Lock()
	p.plan = modes
	p.mu.Unlock()
}

func (p *bulkProxy) requestCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

func (p *bulkProxy) forward(r *http.Request, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(r.Method, p.vl+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range r.Header {
		if k != "Content-Encoding" && k != "Content-Length" && k != "Accept-Encoding" {
			req.Header[k] = v
		}
	}
	return http.DefaultClient.Do(req)
}

func (p *bulkProxy) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			body, err = io.ReadAll(zr)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	if !strings.HasSuffix(r.URL.Path, "/_bulk") {
		res, err := p.forward(r, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
		return
	}
	p.mu.Lock()
	mode := "healthy"
	if len(p.plan) > 0 {
		mode, p.plan = p.plan[0], p.plan[1:]
	}
	p.requests++
	lines := bytes.Split(bytes.TrimRight(body, "\n"), []byte("\n"))
	var fwd bytes.Buffer
	var items []string
	errors := false
	for i := 0; i+1 < len(lines); i += 2 {
		var action map[string]struct {
			ID string `json:"_id"`
		}
		var doc struct {
			Message string `json:"message"`
		}
		json.Unmarshal(lines[i], &action)
		json.Unmarshal(lines[i+1], &doc)
		id := action["create"].ID
		n := -1
		if m := lineNo.FindStringSubmatch(doc.Message); m != nil {
			n, _ = strconv.Atoi(m[1])
			if p.ids[n] == nil {
				p.ids[n] = map[string]bool{}
			}
			p.ids[n][id] = true
		}
		status := 201
		switch {
		case strings.Contains(doc.Message, "POISON"):
			status = 400
		case mode == "partial" && (i/2)%3 != 0:
			status = 429
		}
		switch status {
		case 201:
			fwd.Write(lines[i])
			fwd.WriteByte('\n')
			fwd.Write(lines[i+1])
			fwd.WriteByte('\n')
			items = append(items, fmt.Sprintf(`{"create":{"_id":%q,"status":201}}`, id))
		case 400:
			errors = true
			items = append(items, fmt.Sprintf(`{"create":{"_id":%q,"status":400,"error":{"type":"mapper_parsing_exception","reason":"poison line"}}}`, id))
		default:
			errors = true
			items = append(items, fmt.Sprintf(`{"create":{"_id":%q,"status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}}`, id))
		}
	}
	p.mu.Unlock()
	if fwd.Len() > 0 {
		res, err := p.forward(r, fwd.Bytes())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			http.Error(w, "VictoriaLogs answered "+res.Status, http.StatusServiceUnavailable)
			return
		}
	}
	if mode == "hold" {
		p.held <- struct{}{}
		select {
		case <-r.Context().Done(): // the shipper was killed
		case <-p.stop:
		}
		return
	}
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"took":1,"errors":%v,"items":[%s]}`, errors, strings.Join(items, ","))
}

// TestKill9MidBulkDeliversEveryLine: the real binary tails numbered lines
// (a processor rewrites the message; the queue bounded in bytes) into a real
// VictoriaLogs through a proxy that answers part of the documents with 429
// and poison lines with 400, and holds a _bulk request open while the
// shipper is killed with SIGKILL, twice. After a restart with a healthy
// server every line is stored (once or more: VictoriaLogs has no _id to
// collapse the resent ones) or, for the poison lines, in the dead-letter
// file; and every line was sent with one _id on every attempt, across the
// restarts (the lazy, deterministic _id: a retried document must collapse
// into the first one in Elasticsearch).
// With queue.disk the lines the shipper read are acknowledged to the input
// once in the queue, and sent again from it after the kill. The squid input
// boxes its values in per-event blocks (grok.Values) and the message from
// the harvester: the same path with those.
func TestKill9MidBulkDeliversEveryLine(t *testing.T) {
	const filestream = `  - type: filestream
    id: app
    paths: [%q]
    prospector.scanner.check_interval: 100ms
    processors:
      - truncate_fields: {fields: [message], max_bytes: 60}`
	const squid = `  - type: squid
    id: app
    paths: [%q]
    prospector.scanner.check_interval: 100ms`
	plain := func(i int, kind string) string {
		return fmt.Sprintf("L%06d %s %s", i, kind, strings.Repeat("x", 100+i%50))
	}
	squidLine := func(i int, kind string) string {
		return fmt.Sprintf("1795594303.%03d %6d 10.0.%d.%d TCP_MISS/200 %d GET http://example.com/%s/L%06d - HIER_DIRECT/192.0.2.1 text/html",
			i%1000, i%500, i/250%250, i%250, 300+i, kind, i)
	}
	for _, c := range []struct {
		name, input, queue string
		line               func(int, string) string
	}{
		{"memory queue", filestream, "queue.mem.bytes: 64KiB", plain},
		{"disk queue", filestream, "queue.disk: {max_size: 4MiB, segment_size: 512KiB}\nqueue.mem.bytes: 64KiB", plain},
		{"squid", squid, "queue.mem.bytes: 64KiB", squidLine},
	} {
		t.Run(c.name, func(t *testing.T) { kill9MidBulk(t, c.input, c.queue, c.line) })
	}
}

func kill9MidBulk(t *testing.T, input, queue string, line func(i int, kind string) string) {
	vl := estest.VictoriaLogs(t, "../..")
	proxy := newBulkProxy(t, vl)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	data := filepath.Join(dir, "data")
	written := 0
	poison := map[int]bool{}
	write := func(n int) {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for range n {
			kind := "ok"
			if written%97 == 13 {
				kind, poison[written] = "POISON", true
			}
			fmt.Fprintln(w, line(written, kind))
			written++
		}
		w.Flush()
		f.Close()
	}
	cfgFile := filepath.Join(dir, "shipper.yml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`path.data: %q
shipper.inputs:
%s
output.elasticsearch:
  hosts: [%q]
  headers: {VL-Msg-Field: message, VL-Time-Field: "@timestamp", VL-Stream-Fields: "input.type"}
  bulk_max_size: 100
  backoff: {init: 20ms, max: 200ms}
setup.template.enabled: false
setup.ilm.enabled: false
%s
shipper.registry.flush: 0s
shipper.shutdown_timeout: 2s
`, data, fmt.Sprintf(input, logFile), proxy.srv.URL+"/insert/elasticsearch/", queue)), 0o600)

	// waitHeld waits for a held request, as long as requests keep coming.
	waitHeld := func(p *proc) {
		t.Helper()
		last, deadline := -1, time.Now()
		for {
			select {
			case <-proxy.held:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if n := proxy.requestCount(); n != last {
				last, deadline = n, time.Now().Add(time.Minute)
			}
			if p.exited() || time.Now().After(deadline) {
				t.Fatalf("no _bulk request held (%d requests, exited: %v):\n%s", last, p.exited(), p.log())
			}
		}
	}
	kill := func(p *proc) {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}

	write(3000)
	proxy.setPlan("partial", "partial", "hold")
	p := startShipper(t, false, "run", "-c", cfgFile)
	waitHeld(p)
	kill(p)

	write(1000)
	proxy.setPlan("partial", "hold")
	p = startShipper(t, false, "run", "-c", cfgFile)
	waitHeld(p)
	kill(p)

	write(500)
	proxy.setPlan()
	p = startShipper(t, false, "run", "-c", cfgFile)
	stored := map[int]int{}
	var dead map[int]bool
	accounted := func() int {
		stored = map[int]int{}
		for _, row := range estest.LogsQL(t, vl, "* | fields _msg") {
			if m := lineNo.FindStringSubmatch(row["_msg"]); m != nil {
				n, _ := strconv.Atoi(m[1])
				stored[n]++
			}
		}
		dead = deadLetteredLines(t, data)
		n := 0
		for i := range written {
			if stored[i] > 0 || dead[i] {
				n++
			}
		}
		return n
	}
	last, deadline := -1, time.Now().Add(time.Minute)
	for {
		n := accounted()
		if n == written {
			break
		}
		if n != last {
			last, deadline = n, time.Now().Add(time.Minute)
		}
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("%d of %d lines stored or dead-lettered, no progress for a minute (exited: %v):\n%s", n, written, p.exited(), p.log())
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.signal(syscall.SIGTERM)
	p.waitExit(0)
	if rows := estest.LogsQL(t, vl, "tags:_grokparsefailure | stats count() as n"); len(rows) > 0 && rows[0]["n"] != "0" {
		t.Errorf("%s lines stored unparsed: the lines must be the input's format", rows[0]["n"])
	}

	for i := range written {
		switch {
		case poison[i] && !dead[i]:
			t.Errorf("poison line %d is not in the dead-letter file", i)
		case poison[i] && stored[i] > 0:
			t.Errorf("poison line %d stored although refused", i)
		case !poison[i] && stored[i] == 0:
			t.Errorf("line %d lost", i)
		}
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	for i := range written {
		if ids := proxy.ids[i]; len(ids) != 1 {
			t.Errorf("line %d was sent with %d _ids (%v), want one on every attempt", i, len(ids), ids)
		}
	}
	dups := 0
	for _, c := range stored {
		dups += c - 1
	}
	t.Logf("%d lines (%d poison), %d bulk requests, %d resent lines stored twice or more", written, len(poison), proxy.requests, dups)
}

// deadLetteredLines reads the numbered lines of the dead-letter files under
// data.
func deadLetteredLines(t *testing.T, data string) map[int]bool {
	out := map[int]bool{}
	files, _ := filepath.Glob(filepath.Join(data, "*", "dead_letter.ndjson*"))
	more, _ := filepath.Glob(filepath.Join(data, "dead_letter.ndjson*"))
	for _, name := range append(files, more...) {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		for _, l := range bytes.Split(b, []byte("\n")) {
			var e struct {
				Event struct {
					Message string `json:"message"`
				} `json:"event"`
			}
			if json.Unmarshal(l, &e) != nil {
				continue
			}
			if m := lineNo.FindStringSubmatch(e.Event.Message); m != nil {
				n, _ := strconv.Atoi(m[1])
				out[n] = true
			}
		}
	}
	return out
}
