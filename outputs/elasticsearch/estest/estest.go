// Package estest is a fake Elasticsearch for tests: an httptest server that
// answers like Elasticsearch 8 (GET / with a version document and the
// X-Elastic-Product header the Go client insists on), records every _bulk
// request, and replies from a script: per-item statuses, whole-request
// statuses, dropped connections. Use it for fault injection; the real
// _bulk server of the integration tests is VictoriaLogs.
package estest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Doc is one document of a bulk request.
type Doc struct {
	Action   string // create, index
	Index    string
	ID       string
	Pipeline string // the action's ingest pipeline
	Source   json.RawMessage
}

// Reply is what the script answers to one bulk request.
type Reply struct {
	// Status of the whole request; 0 means 200 with per-item statuses.
	Status int
	// Items gives each document's status; missing entries are 201.
	Items []int
	// Hangup drops the connection without an answer.
	Hangup bool
	// Body overrides the response body of a whole-request status.
	Body string
	// ContentType overrides the Content-Type of a whole-request status
	// (VictoriaLogs answers errors in text/plain).
	ContentType string
	// Delay holds the answer back this long after the documents were
	// stored (a slow cluster: the client may time out although the
	// documents were indexed).
	Delay time.Duration
	// HangupMidBody stores the documents, sends the headers and half of
	// the per-item body, then drops the connection.
	HangupMidBody bool
	// RetryAfter is sent as the Retry-After header of a whole-request
	// status (e.g. "2" with a 429).
	RetryAfter string
}

// Script decides the reply to the n-th bulk request (n from 0).
type Script func(n int, docs []Doc) Reply

// Server is the fake.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	auth     *Auth
	script   Script
	requests int
	indexed  map[string]int // _id → times stored (201)
	docs     []Doc          // every stored doc, in order
	Headers  []http.Header  // headers of every bulk request
	bodies   [][]byte       // every bulk body as received (decompressed)
	// Admin holds the ILM policies and index templates PUT here (the
	// shipper installs them on connect) and scripts their refusals.
	Admin *Admin
}

// New starts a fake; script may be nil (accept everything).
func New(t testing.TB, script Script) *Server {
	s := &Server{script: script, indexed: map[string]int{}, Admin: newAdminState()}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	if !s.authorized(w, r) {
		return
	}
	switch {
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		fmt.Fprint(w, `{"name":"fake","cluster_name":"estest","version":{"number":"8.15.0","build_flavor":"default"},"tagline":"You Know, for Search"}`)
		return
	case strings.HasSuffix(r.URL.Path, "/_bulk") && r.Method == http.MethodPost:
		s.bulk(w, r)
		return
	}
	if isAdminPath(r) {
		s.Admin.serve(w, r)
		return
	}
	if s.extra(w, r) {
		return
	}
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, `{"error":{"type":"not_found","reason":"no handler for %s %s"},"status":404}`, r.Method, r.URL.Path)
}

func (s *Server) bulk(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.bodies = append(s.bodies, raw)
	s.mu.Unlock()
	docs, err := parseBulk(bytes.NewReader(raw))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"type":"parse_exception","reason":%q},"status":400}`, err.Error())
		return
	}
	s.mu.Lock()
	n := s.requests
	s.requests++
	s.Headers = append(s.Headers, r.Header.Clone())
	var rep Reply
	if s.script != nil {
		rep = s.script(n, docs)
	}
	if len(docs) == 0 && (rep.Status == 0 || rep.Status == http.StatusOK) && !rep.Hangup {
		// As Elasticsearch answers an empty bulk request.
		rep = Reply{Status: http.StatusBadRequest, Body: `{"error":{"root_cause":[{"type":"parse_exception","reason":"request body is required"}],"type":"parse_exception","reason":"request body is required"},"status":400}`}
	}
	if rep.Hangup {
		s.mu.Unlock()
		hj, ok := w.(http.Hijacker)
		if ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
		return
	}
	if rep.Status != 0 && rep.Status != http.StatusOK {
		s.mu.Unlock()
		if rep.ContentType != "" {
			w.Header().Set("Content-Type", rep.ContentType)
		}
		if rep.RetryAfter != "" {
			w.Header().Set("Retry-After", rep.RetryAfter)
		}
		w.WriteHeader(rep.Status)
		b := rep.Body
		if b == "" {
			b = fmt.Sprintf(`{"error":{"type":"scripted","reason":"scripted status %d"},"status":%d}`, rep.Status, rep.Status)
		}
		io.WriteString(w, b)
		return
	}
	var out bytes.Buffer
	out.WriteString(`{"took":1,"errors":`)
	errorsSeen := false
	items := make([]string, len(docs))
	for i, d := range docs {
		st := 201
		if i < len(rep.Items) && rep.Items[i] != 0 {
			st = rep.Items[i]
		}
		if st == 201 && d.ID != "" && s.indexed[d.ID] > 0 && d.Action == "create" {
			st = 409 // like Elasticsearch: the _id exists
		}
		if st == 201 {
			s.indexed[d.ID]++
			s.docs = append(s.docs, d)
		}
		if st >= 300 {
			errorsSeen = true
		}
		items[i] = itemJSON(d, st)
	}
	s.mu.Unlock()
	fmt.Fprintf(&out, "%v,\"items\":[%s]}", errorsSeen, strings.Join(items, ","))
	if rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
		}
	}
	if rep.HangupMidBody {
		hangupMidBody(w, out.Bytes())
		return
	}
	w.Write(out.Bytes())
}

func itemJSON(d Doc, st int) string {
	var errPart string
	switch {
	case st == 409:
		errPart = fmt.Sprintf(`,"error":{"type":"version_conflict_engine_exception","reason":"[%s]: version conflict, document already exists"}`, d.ID)
	case st == 400:
		errPart = `,"error":{"type":"document_parsing_exception","reason":"failed to parse field [http.response.bytes] of type [long]","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"x\""}}`
	case st == 429:
		errPart = `,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution"}`
	case st >= 500:
		errPart = `,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}`
	}
	return fmt.Sprintf(`{%q:{"_index":%q,"_id":%q,"status":%d%s}}`, d.Action, d.Index, d.ID, st, errPart)
}

func parseBulk(r io.Reader) ([]Doc, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var docs []Doc
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var action map[string]struct {
			Index    string `json:"_index"`
			ID       string `json:"_id"`
			Pipeline string `json:"pipeline"`
		}
		if err := json.Unmarshal(line, &action); err != nil || len(action) != 1 {
			return nil, fmt.Errorf("bad action line %q", line)
		}
		var d Doc
		for k, v := range action {
			d.Action, d.Index, d.ID, d.Pipeline = k, v.Index, v.ID, v.Pipeline
		}
		if !sc.Scan() {
			return nil, fmt.Errorf("action without document")
		}
		src := append(json.RawMessage(nil), sc.Bytes()...)
		if !json.Valid(src) {
			return nil, fmt.Errorf("invalid document %q", src)
		}
		d.Source = src
		docs = append(docs, d)
	}
	return docs, sc.Err()
}

// Requests returns the number of bulk requests received.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Bodies returns every bulk request body received (decompressed), in
// order, including those the fake could not parse.
func (s *Server) Bodies() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.bodies...)
}

// Docs returns the stored documents, in order.
func (s *Server) Docs() []Doc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Doc(nil), s.docs...)
}

// Stored returns how many times each _id was stored.
func (s *Server) Stored() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.indexed))
	for k, v := range s.indexed {
		out[k] = v
	}
	return out
}
