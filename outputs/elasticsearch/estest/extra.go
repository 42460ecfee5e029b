package estest

import (
	"bufio"
	"compress/gzip"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// NewUnstarted builds a fake that is not listening yet: set its TLS config
// (s.TLS) and call s.StartTLS() or s.Start().
func NewUnstarted(t testing.TB, script Script) *Server {
	s := &Server{script: script, indexed: map[string]int{}, Admin: newAdminState()}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// Auth turns on the fake's security: every request must carry the basic
// credentials or the API key, or it is answered 401 like Elasticsearch.
type Auth struct {
	Username, Password string
	// APIKey is the "id:key" pair; requests send it base64 encoded
	// ("Authorization: ApiKey base64(id:key)").
	APIKey string
	// Denied lists privileges _has_privileges answers false for
	// ("create_doc", "auto_configure", …); every other one is granted.
	Denied []string
}

// SetAuth turns security on (a nil a turns it off). Without security the
// _security endpoints answer 404, as on a server that has none.
func (s *Server) SetAuth(a *Auth) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = a
}

func (s *Server) authConf() *Auth {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auth
}

// authorized answers 401 and returns false when security is on and the
// request's credentials are not the configured ones.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	a := s.authConf()
	if a == nil {
		return true
	}
	if user(a, r) != "" {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="security" charset="UTF-8", ApiKey`)
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprintf(w, `{"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate with provided credentials and anonymous access is not allowed for this request"}],"type":"security_exception","reason":"unable to authenticate with provided credentials and anonymous access is not allowed for this request"},"status":401}`)
	return false
}

// user returns the authenticated principal ("" when refused).
func user(a *Auth, r *http.Request) string {
	h := r.Header.Get("Authorization")
	// The scheme is case-insensitive (the Go client sends "APIKey").
	if len(h) > 7 && strings.EqualFold(h[:7], "ApiKey ") && a.APIKey != "" {
		k := h[7:]
		want := base64.StdEncoding.EncodeToString([]byte(a.APIKey))
		if subtle.ConstantTimeCompare([]byte(k), []byte(want)) == 1 {
			id, _, _ := strings.Cut(a.APIKey, ":")
			return "apikey:" + id
		}
		return ""
	}
	if u, p, ok := r.BasicAuth(); ok && a.Username != "" && u == a.Username &&
		subtle.ConstantTimeCompare([]byte(p), []byte(a.Password)) == 1 {
		return u
	}
	return ""
}

// extra answers the endpoints beyond / and _bulk; false when none matched.
func (s *Server) extra(w http.ResponseWriter, r *http.Request) bool {
	a := s.authConf()
	if a == nil {
		return false // no security: 404 like a server without it
	}
	switch {
	case r.URL.Path == "/_security/_authenticate" && r.Method == http.MethodGet:
		u := user(a, r)
		typ := "realm"
		if strings.HasPrefix(u, "apikey:") {
			typ = "api_key"
		}
		fmt.Fprintf(w, `{"username":%q,"roles":["shipper_writer"],"authentication_realm":{"name":"native1","type":"native"},"authentication_type":%q,"enabled":true}`, u, typ)
		return true
	case strings.HasPrefix(r.URL.Path, "/_security/user/") && strings.HasSuffix(r.URL.Path, "/_has_privileges"):
		var rd io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return true
			}
			rd = zr
		}
		body, _ := io.ReadAll(rd)
		var out strings.Builder
		all := true
		out.WriteString(`{"username":` + fmt.Sprintf("%q", user(a, r)) + `,"index":{`)
		// The request names index patterns and privileges; answer each
		// privilege of each pattern (a light parse is enough here).
		idx, privs := parsePrivRequest(string(body))
		for i, ix := range idx {
			if i > 0 {
				out.WriteString(",")
			}
			fmt.Fprintf(&out, "%q:{", ix)
			for j, p := range privs {
				ok := !contains(a.Denied, p)
				all = all && ok
				if j > 0 {
					out.WriteString(",")
				}
				fmt.Fprintf(&out, "%q:%v", p, ok)
			}
			out.WriteString("}")
		}
		fmt.Fprintf(&out, `},"has_all_requested":%v,"cluster":{},"application":{}}`, all)
		io.WriteString(w, out.String())
		return true
	}
	return false
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// parsePrivRequest pulls the index names and privileges out of
// {"index":[{"names":[…],"privileges":[…]}]}.
func parsePrivRequest(b string) (names, privs []string) {
	list := func(key string) []string {
		i := strings.Index(b, `"`+key+`"`)
		if i < 0 {
			return nil
		}
		j := strings.IndexByte(b[i:], '[')
		k := strings.IndexByte(b[i:], ']')
		if j < 0 || k < j {
			return nil
		}
		var out []string
		for _, f := range strings.Split(b[i+j+1:i+k], ",") {
			if f = strings.Trim(strings.TrimSpace(f), `"`); f != "" {
				out = append(out, f)
			}
		}
		return out
	}
	return list("names"), list("privileges")
}

// hangupMidBody sends the headers and half of body, then drops the
// connection (a reset in the middle of the response).
func hangupMidBody(w http.ResponseWriter, body []byte) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	c, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	bw := bufio.NewWriter(c)
	fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Elastic-Product: Elasticsearch\r\nContent-Length: %d\r\n\r\n", len(body))
	bw.Write(body[:len(body)/2])
	bw.Flush()
	_ = buf
}

// Plan scripts replies per document _id: the n-th time a document is sent it
// gets the n-th status of its list (201 once the list is used up). Use
// Plan.Script as the server's script; Attempts tells how often each _id was
// sent.
type Plan struct {
	mu       sync.Mutex
	statuses map[string][]int
	attempts map[string]int // every send
	judged   map[string]int // sends answered per item
	// Whole, when set, decides a whole-request reply first (request n);
	// a zero Reply falls through to the per-item plan.
	Whole func(n int, docs []Doc) Reply
}

// NewPlan returns a plan; statuses maps _id to the statuses of its
// successive attempts.
func NewPlan(statuses map[string][]int) *Plan {
	return &Plan{statuses: statuses, attempts: map[string]int{}, judged: map[string]int{}}
}

// Script is the plan as a Script.
func (p *Plan) Script(n int, docs []Doc) Reply {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range docs {
		p.attempts[d.ID]++
	}
	if p.Whole != nil {
		r := p.Whole(n, docs)
		if (r.Status != 0 && r.Status != http.StatusOK) || r.Hangup {
			return r // the items are not judged
		}
		if r.Items == nil {
			r.Items = p.items(docs)
		}
		return r
	}
	return Reply{Items: p.items(docs)}
}

func (p *Plan) items(docs []Doc) []int {
	items := make([]int, len(docs))
	for i, d := range docs {
		k := p.judged[d.ID]
		p.judged[d.ID]++
		if l := p.statuses[d.ID]; k < len(l) {
			items[i] = l[k]
		}
	}
	return items
}

// Attempts returns how many times each _id was sent.
func (p *Plan) Attempts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.attempts))
	for k, v := range p.attempts {
		out[k] = v
	}
	return out
}
