package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/dashboards"
	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/pipeline"

	_ "github.com/shipper-project/shipper/inputs/all"
	_ "github.com/shipper-project/shipper/outputs/all"
	_ "github.com/shipper-project/shipper/processors/all"
)

// fakeStack is an Elasticsearch and a Kibana in one httptest server, each
// answering the calls doctor makes the way the real ones do (the
// X-Elastic-Product header, error bodies, 404 for a missing template).
type fakeStack struct {
	*httptest.Server
	user, pass string
	template   bool // _index_template/shipper exists
	privileged bool
	dashboards map[string]bool // ids present in Kibana
	// privAnswer, when set, is the _has_privileges answer (fault injection).
	privAnswer string
	// privNames are the index names the last _has_privileges asked about.
	mu        sync.Mutex
	privNames []string
}

func (f *fakeStack) askedPrivileges() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.privNames
}

func newFakeStack(t *testing.T) *fakeStack {
	f := &fakeStack{user: "shipper", pass: "s3cret", template: true, privileged: true, dashboards: map[string]bool{}}
	src, err := dashboards.Source()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range src {
		if s.Object["type"] == "dashboard" {
			f.dashboards[s.Object["id"].(string)] = true
		}
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.handle))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeStack) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if strings.HasPrefix(r.URL.Path, "/api/") { // Kibana
		if u, p, ok := r.BasicAuth(); !ok || u != f.user || p != f.pass {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"statusCode":401,"error":"Unauthorized","message":"Unauthorized"}`)
			return
		}
		switch {
		case r.URL.Path == "/api/status":
			fmt.Fprint(w, `{"name":"kibana","version":{"number":"8.15.0"},"status":{"overall":{"level":"available"}}}`)
		case strings.HasPrefix(r.URL.Path, "/api/saved_objects/dashboard/"):
			id := strings.TrimPrefix(r.URL.Path, "/api/saved_objects/dashboard/")
			if !f.dashboards[id] {
				w.WriteHeader(404)
				fmt.Fprintf(w, `{"statusCode":404,"error":"Not Found","message":"Saved object [dashboard/%s] not found"}`, id)
				return
			}
			fmt.Fprintf(w, `{"id":%q,"type":"dashboard"}`, id)
		default:
			w.WriteHeader(404)
		}
		return
	}
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	if u, p, ok := r.BasicAuth(); !ok || u != f.user || p != f.pass {
		w.WriteHeader(401)
		fmt.Fprint(w, `{"error":{"type":"security_exception","reason":"unable to authenticate user [shipper]"},"status":401}`)
		return
	}
	switch {
	case r.URL.Path == "/":
		fmt.Fprint(w, `{"name":"fake","cluster_name":"router-lab","version":{"number":"8.15.0","build_flavor":"default"},"tagline":"You Know, for Search"}`)
	case r.URL.Path == "/_security/user/_has_privileges":
		var req struct {
			Index []struct {
				Names []string `json:"names"`
			} `json:"index"`
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				w.WriteHeader(400)
				return
			}
			body = zr
		}
		json.NewDecoder(body).Decode(&req)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.privNames = nil
		for _, ix := range req.Index {
			f.privNames = append(f.privNames, ix.Names...)
		}
		if f.privAnswer != "" {
			fmt.Fprint(w, f.privAnswer)
			return
		}
		idx := map[string]map[string]bool{}
		for _, n := range f.privNames {
			idx[n] = map[string]bool{"create_doc": f.privileged, "auto_configure": true}
		}
		b, _ := json.Marshal(map[string]any{"username": "shipper", "has_all_requested": f.privileged, "cluster": map[string]any{}, "index": idx, "application": map[string]any{}})
		w.Write(b)
	case r.URL.Path == "/_index_template/shipper":
		if !f.template {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"type":"resource_not_found_exception","reason":"index template matching [shipper] not found"},"status":404}`)
			return
		}
		fmt.Fprint(w, `{"index_templates":[{"name":"shipper","index_template":{"index_patterns":["shipper-*"]}}]}`)
	default:
		w.WriteHeader(404)
		fmt.Fprintf(w, `{"error":"no handler found for uri [%s]"}`, r.URL.Path)
	}
}

type doctorEnv struct {
	t    *testing.T
	dir  string
	es   *fakeStack
	now  time.Time
	ntp  string // "" means unknown
	user string
}

func newDoctorEnv(t *testing.T) *doctorEnv {
	d := t.TempDir()
	if err := os.WriteFile(filepath.Join(d, "access.log"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(d, "data"), 0o750); err != nil {
		t.Fatal(err)
	}
	return &doctorEnv{t: t, dir: d, es: newFakeStack(t), now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), ntp: "yes"}
}

// config writes shipper.yml: a squid input on access.log, the fake ES and
// Kibana; extra is appended.
func (e *doctorEnv) config(extra string) string {
	yml := fmt.Sprintf(`
shipper.inputs:
  - type: squid
    id: squid-access
    paths: [%s/access.log]
output.elasticsearch:
  hosts: [%q]
  username: shipper
  password: %q
path.data: %s/data
setup.kibana.host: %q
%s`, e.dir, e.es.URL, e.es.pass, e.dir, e.es.URL, extra)
	p := filepath.Join(e.dir, "shipper.yml")
	if err := os.WriteFile(p, []byte(yml), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *doctorEnv) run(cfgFile string) (int, string) {
	var out bytes.Buffer
	d := &doctor{w: &out, timeout: 5 * time.Second, now: func() time.Time { return e.now },
		ntp: func(context.Context) (string, error) {
			if e.ntp == "" {
				return "", errors.New("timedatectl: not found")
			}
			return e.ntp, nil
		}}
	code := d.run(&common{configFile: cfgFile, strictPerms: true}, e.user, "", nil)
	return code, out.String()
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("doctor output has no %q:\n%s", l, out)
		}
	}
}

func TestDoctorAllGood(t *testing.T) {
	e := newDoctorEnv(t)
	code, out := e.run(e.config(""))
	if code != ExitOK {
		t.Errorf("doctor = %d, want 0:\n%s", code, out)
	}
	wantLines(t, out,
		"[ OK ] config: valid (1 inputs, output.elasticsearch)",
		"[ OK ] input squid-access files: "+e.dir+"/access.log: readable by",
		"[ OK ] registry: "+e.dir+"/data writable by",
		"[ OK ] clock: 2025-06-01T00:00:00Z",
		"[ OK ] clock sync: NTP synchronized",
		"[ OK ] elasticsearch: "+e.es.URL+" reachable, credentials accepted",
		"[ OK ] elasticsearch version: 8.15.0 (cluster router-lab)",
		"[ OK ] elasticsearch privileges: user shipper may create_doc and auto_configure on shipper-*",
		"[ OK ] index template: shipper installed",
		"[ OK ] kibana: "+e.es.URL+" reachable, version 8.15.0, status available",
		fmt.Sprintf("[ OK ] kibana dashboards: all %d present", numDashboards(t)),
		"0 failed, 0 warnings")
	if strings.Contains(out, e.es.pass) {
		t.Errorf("doctor printed the password:\n%s", out)
	}
}

func TestDoctorFailures(t *testing.T) {
	e := newDoctorEnv(t)
	e.es.template = false
	e.es.privileged = false
	for id := range e.es.dashboards {
		if strings.Contains(id, "squid") {
			delete(e.es.dashboards, id)
		}
	}
	e.now = time.Date(1970, 1, 1, 0, 5, 0, 0, time.UTC)
	e.ntp = "no"
	code, out := e.run(e.config(""))
	if code != ExitRuntime {
		t.Errorf("doctor = %d, want %d:\n%s", code, ExitRuntime, out)
	}
	wantLines(t, out,
		"[FAIL] clock: system time is 1970-01-01T00:05:00Z: not set (no RTC?)",
		"[WARN] clock sync: NTP not synchronized",
		"[FAIL] elasticsearch privileges: user shipper lacks create_doc on shipper-*",
		"[FAIL] index template: shipper is not installed: shipper run installs it when it connects, or run shipper setup --index-management",
		fmt.Sprintf("[FAIL] kibana dashboards: 1 of %d missing", numDashboards(t)),
		"4 failed, 1 warnings")
}

func TestDoctorBadCredentials(t *testing.T) {
	e := newDoctorEnv(t)
	cfg := e.config("") // with the right password…
	e.es.pass = "other" // …which the server no longer takes
	e.ntp = ""
	code, out := e.run(cfg)
	if code != ExitRuntime {
		t.Errorf("doctor = %d, want %d", code, ExitRuntime)
	}
	wantLines(t, out,
		"[FAIL] elasticsearch auth: "+e.es.URL+" refused the credentials (401)",
		"[FAIL] kibana: "+e.es.URL+" refused the credentials (401)",
		"[INFO] clock sync: unknown (timedatectl: not found)")
}

func TestDoctorUnreachable(t *testing.T) {
	e := newDoctorEnv(t)
	cfg := e.config("")
	e.es.Close()
	code, out := e.run(cfg)
	if code != ExitRuntime {
		t.Errorf("doctor = %d, want %d", code, ExitRuntime)
	}
	wantLines(t, out, "[FAIL] elasticsearch: "+e.es.URL+" unreachable", "[FAIL] kibana: "+e.es.URL+" unreachable")
}

func TestDoctorConfigErrors(t *testing.T) {
	e := newDoctorEnv(t)
	p := filepath.Join(e.dir, "bad.yml")
	os.WriteFile(p, []byte("shipper.inputs: [{type: squid, id: a, paths: [x], bogus: 1}]\noutput.console: {}\n"), 0o600)
	code, out := e.run(p)
	if code != ExitRuntime {
		t.Errorf("doctor on an invalid plugin config = %d, want %d:\n%s", code, ExitRuntime, out)
	}
	wantLines(t, out, "[FAIL] config: ")

	os.WriteFile(p, []byte("shipper.inputs: [\n"), 0o600)
	if code, out := e.run(p); code != ExitUsage || !strings.Contains(out, "[FAIL] config:") {
		t.Errorf("doctor on unparsable YAML = %d, want %d:\n%s", code, ExitUsage, out)
	}
	os.Chmod(p, 0o666)
	if code, out := e.run(p); code != ExitUsage || !strings.Contains(out, "writable by group or others") {
		t.Errorf("doctor on a world-writable config = %d:\n%s", code, out)
	}
}

func TestDoctorFilesAndRegistry(t *testing.T) {
	e := newDoctorEnv(t)
	// Missing files.
	yml := fmt.Sprintf(`
shipper.inputs:
  - type: squid
    id: sq
    paths: [%s/nothere/*.log]
output.console: {}
path.data: %s/data
`, e.dir, e.dir)
	p := filepath.Join(e.dir, "f.yml")
	os.WriteFile(p, []byte(yml), 0o600)
	code, out := e.run(p)
	wantLines(t, out,
		"[WARN] input sq files: "+e.dir+"/nothere/*.log: no file matches (yet)",
		"[FAIL] input sq files: "+e.dir+"/nothere: directory not readable",
		"[INFO] kibana: setup.kibana.host not set: not checked")
	if code != ExitRuntime {
		t.Errorf("doctor = %d, want %d", code, ExitRuntime)
	}
}

// TestServiceUserAccess checks the computed access of a user other than
// the one running the test (doctor runs as root, the service as shipper).
func TestServiceUserAccess(t *testing.T) {
	// Not t.TempDir(): its parent is 0700, which would hide everything
	// from the other users below.
	d, err := os.MkdirTemp("", "doctor-access-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(d, 0o755); os.RemoveAll(d) })
	os.Chmod(d, 0o755)
	f := filepath.Join(d, "access.log")
	os.WriteFile(f, nil, 0o640)
	st, _ := os.Stat(f)
	uid, gid := fileOwner(st)
	f2 := func(name string, u serviceUser, mode os.FileMode, dirMode os.FileMode, wantOK bool) {
		t.Helper()
		os.Chmod(f, mode)
		os.Chmod(d, dirMode)
		err := u.access(f, 4)
		if (err == nil) != wantOK {
			t.Errorf("%s: access(%s %#o in dir %#o) = %v, want ok=%v", name, f, mode, dirMode, err, wantOK)
		}
		if err != nil && !errors.Is(err, os.ErrPermission) {
			t.Errorf("%s: error %v is not a permission error", name, err)
		}
	}
	owner := serviceUser{name: "o", uid: uid}
	member := serviceUser{name: "m", uid: 54321, gids: []int{gid}}
	other := serviceUser{name: "x", uid: 54321, gids: []int{54321}}
	f2("owner 0600", owner, 0o600, 0o755, true)
	f2("group member 0640", member, 0o640, 0o755, true)
	f2("group member 0600", member, 0o600, 0o755, false)
	f2("other 0640", other, 0o640, 0o755, false)
	f2("other 0644", other, 0o644, 0o755, true)
	f2("other 0644 in a 0750 dir", other, 0o644, 0o750, false)
	f2("group member in a 0750 dir", member, 0o640, 0o750, true)
	f2("root", serviceUser{name: "root", uid: 0}, 0o000, 0o700, true)
	os.Chmod(d, 0o755)
}

func TestDoctorGeoIP(t *testing.T) {
	e := newDoctorEnv(t)
	fresh := filepath.Join(e.dir, "city.mmdb")
	old := filepath.Join(e.dir, "old-asn.mmdb")
	if err := geoiptest.WriteCityDB(fresh, geoiptest.Cities()...); err != nil {
		t.Fatal(err)
	}
	if err := geoiptest.WriteASNDBWith(old, geoiptest.Options{BuildTime: time.Now().Add(-100 * 24 * time.Hour)}, geoiptest.ASNs()...); err != nil {
		t.Fatal(err)
	}
	cfg := e.config(fmt.Sprintf(`processors:
  - geoip: {field: destination.ip, database: %s, asn_database: %s}
  - geoip: {field: source.ip, database: %s/missing.mmdb}
`, fresh, old, e.dir))
	code, out := e.run(cfg)
	if code != ExitRuntime {
		t.Errorf("doctor = %d, want %d (a database is missing)", code, ExitRuntime)
	}
	wantLines(t, out,
		"[ OK ] geoip (global processors): "+fresh+" (GeoLite2-City) built",
		"[WARN] geoip (global processors): "+old+" (GeoLite2-ASN) built",
		"older than max_age",
		"[FAIL] geoip (global processors): "+e.dir+"/missing.mmdb: ")
}

// probeInput stands in for the snmp input: a Prober with one answering
// and one silent agent.
type probeInput struct{}

func (probeInput) Run(ctx context.Context, out pipeline.Client) error { return nil }
func (probeInput) Probe(ctx context.Context, report func(source, detail string, err error)) {
	report("udp://127.0.0.1:161", "sysUpTime 3h2m", nil)
	report("udp://127.0.0.2:161", "", errors.New("no answer within timeout 2s × 3 tries"))
}

func init() {
	inputs.Register(inputs.Plugin{Name: "doctor-probe-test", Factory: func(config.Section, inputs.Env) (inputs.Input, error) {
		return probeInput{}, nil
	}})
}

func TestDoctorProbesInputs(t *testing.T) {
	e := newDoctorEnv(t)
	yml := fmt.Sprintf("shipper.inputs: [{type: doctor-probe-test, id: agents}]\noutput.console: {}\npath.data: %s/data\n", e.dir)
	p := filepath.Join(e.dir, "p.yml")
	os.WriteFile(p, []byte(yml), 0o600)
	code, out := e.run(p)
	if code != ExitRuntime {
		t.Errorf("doctor = %d, want %d", code, ExitRuntime)
	}
	wantLines(t, out,
		"[ OK ] input agents: udp://127.0.0.1:161: sysUpTime 3h2m",
		"[FAIL] input agents: udp://127.0.0.2:161: no answer within timeout")
}

// numDashboards is how many dashboards the shipper ships.
func numDashboards(t *testing.T) int {
	t.Helper()
	ids, err := dashboards.IDs()
	if err != nil {
		t.Fatal(err)
	}
	return len(ids)
}

// TestDoctorPrivilegesUnreadable: a _has_privileges answer without the
// keys doctor reads (a proxy, another product, a changed API) is reported
// as unreadable, naming what is missing, never as "user  lacks  on …".
func TestDoctorPrivilegesUnreadable(t *testing.T) {
	for _, tc := range []struct{ answer, want string }{
		{`{}`, "[WARN] elasticsearch privileges: could not read the _has_privileges answer (missing username, has_all_requested, index.shipper-*)"},
		{`{"username":"shipper","has_all_requested":false,"index":{}}`, "[WARN] elasticsearch privileges: could not read the _has_privileges answer (missing index.shipper-*)"},
		{`{"username":"shipper","has_all_requested":false,"index":{"shipper-*":{}}}`, "[WARN] elasticsearch privileges: could not read the _has_privileges answer (missing index.shipper-*.create_doc, index.shipper-*.auto_configure)"},
		{`<html>oops</html>`, "[WARN] elasticsearch privileges: could not read the _has_privileges answer (not JSON: "},
	} {
		e := newDoctorEnv(t)
		e.es.privAnswer = tc.answer
		_, out := e.run(e.config(""))
		wantLines(t, out, tc.want)
		if strings.Contains(out, "lacks") || strings.Contains(out, "user  ") {
			t.Errorf("answer %s: doctor printed blank names:\n%s", tc.answer, out)
		}
	}
}

// TestDoctorNotElasticsearch: a server that answers but is not
// Elasticsearch is reported as such, with what it answered, not as
// unreachable (which is for dial failures).
func TestDoctorNotElasticsearch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		ctype  string
		want   string
	}{
		{"html 200", 200, "text/html; charset=utf-8", "reachable but not Elasticsearch: GET / answered 200 OK, Content-Type text/html; charset=utf-8, no X-Elastic-Product header"},
		{"404", 404, "text/plain", "reachable but not Elasticsearch: GET / answered 404 Not Found, Content-Type text/plain, no X-Elastic-Product header"},
		{"no content type", 200, "", "reachable but not Elasticsearch: GET / answered 200 OK, no Content-Type, no X-Elastic-Product header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = nil
				if tc.ctype != "" {
					w.Header().Set("Content-Type", tc.ctype)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, "<html><body>It works!</body></html>")
			}))
			defer srv.Close()
			e := newDoctorEnv(t)
			cfg := e.config("")
			os.WriteFile(cfg, []byte(strings.ReplaceAll(readFile(t, cfg), fmt.Sprintf("hosts: [%q]", e.es.URL), fmt.Sprintf("hosts: [%q]", srv.URL))), 0o600)
			code, out := e.run(cfg)
			if code != ExitRuntime {
				t.Errorf("doctor = %d, want %d", code, ExitRuntime)
			}
			wantLines(t, out, "[FAIL] elasticsearch: "+srv.URL+" "+tc.want)
			if strings.Contains(out, "unreachable") && !strings.Contains(out, "kibana") {
				t.Errorf("a server that answers is called unreachable:\n%s", out)
			}
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "[FAIL] elasticsearch") && strings.Contains(l, "unreachable") {
					t.Errorf("a server that answers is called unreachable: %s", l)
				}
			}
		})
	}
}

// TestDoctorPrivilegesIndexPattern: the privileges are checked on the
// indices the configured output.elasticsearch.index writes, not on a
// hard-coded shipper-*.
func TestDoctorPrivilegesIndexPattern(t *testing.T) {
	e := newDoctorEnv(t)
	cfg := e.config("")
	os.WriteFile(cfg, []byte(strings.Replace(readFile(t, cfg), "output.elasticsearch:\n", "output.elasticsearch:\n  index: \"router-%{[event.dataset]}-%{+yyyy.MM.dd}\"\n", 1)), 0o600)
	_, out := e.run(cfg)
	if strings.Join(e.es.askedPrivileges(), ",") != "router-*-*" {
		t.Errorf("_has_privileges asked about %v, want [router-*-*]", e.es.askedPrivileges())
	}
	wantLines(t, out, "[ OK ] elasticsearch privileges: user shipper may create_doc and auto_configure on router-*-*")
	if strings.Contains(out, "on shipper-*") {
		t.Errorf("doctor still names shipper-*:\n%s", out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
