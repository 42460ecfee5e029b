package estest

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Admin is a fake Elasticsearch for the index-management calls of
// `shipper setup`: ILM policies (GET/PUT _ilm/policy/<name>), composable
// index templates (PUT/GET _index_template/<name>) and field mappings
// (GET <pattern>/_mapping/field/<fields>). It records every request and
// answers like Elasticsearch 8, including its error bodies; Fail scripts a
// refusal for a "METHOD /path" key.
type Admin struct {
	*httptest.Server
	mu        sync.Mutex
	requests  []Request
	policies  map[string]string // name → body
	templates map[string]string
	// FieldMappings is the body answered to GET …/_mapping/field/…
	// (default "{}": no index matches).
	FieldMappings string
	// Fail maps "PUT /_index_template/shipper" (method and path) to a
	// status whose realistic Elasticsearch error body is sent instead.
	Fail map[string]int
	// User and Password, when set, are required (basic auth): anything
	// else gets 401 with Elasticsearch's security_exception.
	User, Password string
}

// Request is one recorded request.
type Request struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// NewAdmin starts the fake.
func NewAdmin(t testing.TB) *Admin {
	a := newAdminState()
	a.Server = httptest.NewServer(http.HandlerFunc(a.handle))
	t.Cleanup(a.Close)
	return a
}

// newAdminState is the state without a server of its own: the bulk fake
// (Server) answers the same index-management calls through it, as
// Elasticsearch does on one port.
func newAdminState() *Admin {
	return &Admin{policies: map[string]string{}, templates: map[string]string{}, FieldMappings: "{}", Fail: map[string]int{}}
}

// SetFail scripts (status > 0) or clears (0) a refusal of "METHOD /path"
// while requests may be under way.
func (a *Admin) SetFail(key string, status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if status == 0 {
		delete(a.Fail, key)
		return
	}
	a.Fail[key] = status
}

// pathParts splits a request's path into its unescaped segments, as
// Elasticsearch does: "router%2Flogs" is one name.
func pathParts(r *http.Request) []string {
	parts := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return parts
}

// isAdminPath reports whether serve answers r.
func isAdminPath(r *http.Request) bool {
	parts := pathParts(r)
	return len(parts) == 3 && parts[0] == "_ilm" && parts[1] == "policy" ||
		len(parts) == 2 && parts[0] == "_index_template" ||
		len(parts) >= 3 && parts[1] == "_mapping" && parts[2] == "field"
}

// Requests returns the recorded requests, GET / excluded.
func (a *Admin) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Request(nil), a.requests...)
}

// Policy returns the stored body of an ILM policy.
func (a *Admin) Policy(name string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.policies[name]
	return b, ok
}

// SetPolicy stores a policy as if it existed already.
func (a *Admin) SetPolicy(name, body string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.policies[name] = body
}

// Template returns the stored body of an index template.
func (a *Admin) Template(name string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.templates[name]
	return b, ok
}

func (a *Admin) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/" {
		fmt.Fprint(w, `{"name":"fake","cluster_name":"estest","version":{"number":"8.15.0","build_flavor":"default"},"tagline":"You Know, for Search"}`)
		return
	}
	a.serve(w, r)
}

// serve answers one index-management request.
func (a *Admin) serve(w http.ResponseWriter, r *http.Request) {
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rd = zr
	}
	body, _ := io.ReadAll(rd)
	a.mu.Lock()
	a.requests = append(a.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)})
	fail := a.Fail[r.Method+" "+r.URL.Path]
	a.mu.Unlock()
	if a.User != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != a.User || p != a.Password {
			fail = http.StatusUnauthorized
		}
	}
	if fail != 0 {
		writeESError(w, fail, r.URL.Path)
		return
	}
	parts := pathParts(r)
	switch {
	case len(parts) == 3 && parts[0] == "_ilm" && parts[1] == "policy":
		a.mu.Lock()
		defer a.mu.Unlock()
		name := parts[2]
		switch r.Method {
		case http.MethodGet:
			b, ok := a.policies[name]
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprintf(w, `{"error":{"root_cause":[{"type":"resource_not_found_exception","reason":"Lifecycle policy not found: %s"}],"type":"resource_not_found_exception","reason":"Lifecycle policy not found: %s"},"status":404}`, name, name)
				return
			}
			fmt.Fprintf(w, `{%q:{"version":1,"modified_date":"2026-01-01T00:00:00.000Z","policy":%s}}`, name, policyOf(b))
		case http.MethodPut:
			a.policies[name] = string(body)
			fmt.Fprint(w, `{"acknowledged":true}`)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	case len(parts) == 2 && parts[0] == "_index_template":
		a.mu.Lock()
		defer a.mu.Unlock()
		name := parts[1]
		switch r.Method {
		case http.MethodPut:
			if !strings.Contains(string(body), `"index_patterns"`) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":{"root_cause":[{"type":"action_request_validation_exception","reason":"Validation Failed: 1: index patterns are missing;"}],"type":"action_request_validation_exception","reason":"Validation Failed: 1: index patterns are missing;"},"status":400}`)
				return
			}
			a.templates[name] = string(body)
			fmt.Fprint(w, `{"acknowledged":true}`)
		case http.MethodGet:
			b, ok := a.templates[name]
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprintf(w, `{"error":{"root_cause":[{"type":"resource_not_found_exception","reason":"index template matching [%s] not found"}],"type":"resource_not_found_exception","reason":"index template matching [%s] not found"},"status":404}`, name, name)
				return
			}
			fmt.Fprintf(w, `{"index_templates":[{"name":%q,"index_template":%s}]}`, name, b)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	case len(parts) >= 3 && parts[1] == "_mapping" && parts[2] == "field" && r.Method == http.MethodGet:
		a.mu.Lock()
		defer a.mu.Unlock()
		fmt.Fprint(w, a.FieldMappings)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":"no handler found for uri [%s] and method [%s]"}`, r.URL.Path, r.Method)
	}
}

// policyOf extracts the "policy" object of a PUT body.
func policyOf(body string) string {
	i := strings.Index(body, `"policy":`)
	if i < 0 {
		return "{}"
	}
	s := strings.TrimSpace(body[i+len(`"policy":`):])
	return strings.TrimSuffix(s, "}")
}

func writeESError(w http.ResponseWriter, status int, path string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="security" charset="UTF-8"`)
	}
	w.WriteHeader(status)
	switch status {
	case http.StatusUnauthorized:
		fmt.Fprintf(w, `{"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate user [shipper] for REST request [%s]","header":{"WWW-Authenticate":["Basic realm=\"security\" charset=\"UTF-8\"","ApiKey"]}}],"type":"security_exception","reason":"unable to authenticate user [shipper] for REST request [%s]","header":{"WWW-Authenticate":["Basic realm=\"security\" charset=\"UTF-8\"","ApiKey"]}},"status":401}`, path, path)
	case http.StatusForbidden:
		fmt.Fprint(w, `{"error":{"root_cause":[{"type":"security_exception","reason":"action [indices:admin/index_template/put] is unauthorized for user [shipper] with effective roles [shipper_writer], this action is granted by the cluster privileges [manage_index_templates,manage,all]"}],"type":"security_exception","reason":"action [indices:admin/index_template/put] is unauthorized for user [shipper] with effective roles [shipper_writer], this action is granted by the cluster privileges [manage_index_templates,manage,all]"},"status":403}`)
	case http.StatusBadRequest:
		fmt.Fprint(w, `{"error":{"root_cause":[{"type":"mapper_parsing_exception","reason":"Failed to parse mapping: unknown parameter [scaling_factor] on mapper [x] of type [float]"}],"type":"mapper_parsing_exception","reason":"Failed to parse mapping: unknown parameter [scaling_factor] on mapper [x] of type [float]"},"status":400}`)
	default:
		fmt.Fprintf(w, `{"error":{"root_cause":[{"type":"scripted","reason":"scripted status %d"}],"type":"scripted","reason":"scripted status %d"},"status":%d}`, status, status, status)
	}
}
