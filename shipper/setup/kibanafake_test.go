package setup

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeKibana answers /api/status and the saved objects import like Kibana
// 8 does, checks what a real one checks (kbn-xsrf, multipart field file
// with an .ndjson name, credentials) and records every request.
type fakeKibana struct {
	*httptest.Server
	t        *testing.T
	version  string
	user     string // basic auth required when set
	password string
	apiKey   string // "ApiKey <this>" required when set
	// importBody, when set, is answered to a valid import instead of a
	// success listing every object.
	importBody string
	status     int // whole-request status for every call (503, 413…)

	mu       sync.Mutex
	requests []kibanaRequest
}

type kibanaRequest struct {
	Method, Path string
	Query        string
	Header       http.Header
	FileName     string // multipart file name
	File         []byte // multipart file content
	FormFields   []string
}

func newFakeKibana(t *testing.T, version string) *fakeKibana {
	k := &fakeKibana{t: t, version: version}
	k.Server = httptest.NewServer(http.HandlerFunc(k.handle))
	t.Cleanup(k.Close)
	return k
}

func (k *fakeKibana) recorded() []kibanaRequest {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]kibanaRequest(nil), k.requests...)
}

func kbnError(w http.ResponseWriter, status int, errName, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"statusCode": status, "error": errName, "message": msg})
	w.Write(b)
}

func (k *fakeKibana) handle(w http.ResponseWriter, r *http.Request) {
	rec := kibanaRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone()}
	defer func() {
		k.mu.Lock()
		k.requests = append(k.requests, rec)
		k.mu.Unlock()
	}()
	if k.status == http.StatusServiceUnavailable {
		kbnError(w, 503, "Service Unavailable", "Kibana server is not ready yet")
		return
	}
	if k.user != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != k.user || p != k.password {
			kbnError(w, 401, "Unauthorized", "[security_exception\n\tRoot causes:\n\t\tsecurity_exception: unable to authenticate user ["+u+"] for REST request [/_security/_authenticate]]: unable to authenticate user ["+u+"] for REST request [/_security/_authenticate]")
			return
		}
	}
	if k.apiKey != "" && r.Header.Get("Authorization") != "ApiKey "+k.apiKey {
		kbnError(w, 401, "Unauthorized", "[security_exception\n\tRoot causes:\n\t\tsecurity_exception: unable to authenticate with provided credentials and anonymous access is not allowed for this request]")
		return
	}
	switch {
	case r.URL.Path == "/api/status" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprintf(w, `{"name":"kibana","uuid":"5b2de169-2785-441b-ae8c-186a1936b17d","version":{"number":%q,"build_hash":"e3a1aed8b6f4bd7d8d6d4e8c7a7b8f1fbcdaf123","build_number":63420,"build_snapshot":false},"status":{"overall":{"level":"available","summary":"All services are available"}}}`, k.version)
	case strings.HasSuffix(r.URL.Path, "/api/saved_objects/_import") && r.Method == http.MethodPost:
		k.importReq(w, r, &rec)
	default:
		kbnError(w, 404, "Not Found", "Not Found")
	}
}

func (k *fakeKibana) importReq(w http.ResponseWriter, r *http.Request, rec *kibanaRequest) {
	if r.Header.Get("kbn-xsrf") == "" {
		kbnError(w, 400, "Bad Request", "Request must contain a kbn-xsrf header.")
		return
	}
	if k.status == http.StatusRequestEntityTooLarge {
		kbnError(w, 413, "Request Entity Too Large", "Payload content length greater than maximum allowed: 26214400")
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		kbnError(w, 415, "Unsupported Media Type", "Unsupported Media Type")
		return
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			kbnError(w, 400, "Bad Request", err.Error())
			return
		}
		rec.FormFields = append(rec.FormFields, p.FormName())
		if p.FormName() == "file" {
			rec.FileName = p.FileName()
			rec.File, _ = io.ReadAll(p)
		}
	}
	if rec.File == nil {
		kbnError(w, 400, "Bad Request", "[request body.file]: expected value of type [Stream] but got [undefined]")
		return
	}
	if !strings.HasSuffix(rec.FileName, ".ndjson") {
		kbnError(w, 400, "Bad Request", "Invalid file extension .json")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if k.importBody != "" {
		io.WriteString(w, k.importBody)
		return
	}
	var results []string
	for _, line := range strings.Split(strings.TrimSpace(string(rec.File)), "\n") {
		var o struct {
			ID, Type string
		}
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			kbnError(w, 400, "Bad Request", "Unexpected token in JSON")
			return
		}
		results = append(results, fmt.Sprintf(`{"type":%q,"id":%q,"meta":{"title":"x","icon":"dashboardApp"},"overwrite":true}`, o.Type, o.ID))
	}
	fmt.Fprintf(w, `{"successCount":%d,"success":true,"warnings":[],"successResults":[%s]}`, len(results), strings.Join(results, ","))
}
