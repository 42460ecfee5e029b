package idxmgmt

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/shipper/config"
)

func TestDataStreamOf(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := dataStreamOf(in); got != want {
			t.Errorf("dataStreamOf(%q) = %q, want %q", in, got, want)
		}
	}
	f(".ds-shipper-squid.access-2026.01.01-000001", "shipper-squid.access")
	f(".ds-shipper-system.core-2026.11.25-000012", "shipper-system.core")
	f("shipper-old", "shipper-old")
}

// es is the transport the tests use: plain HTTP to a test server.
type es struct{ base string }

func (e es) Perform(r *http.Request) (*http.Response, error) {
	u, _ := url.Parse(e.base)
	r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
	return http.DefaultClient.Do(r)
}

var catalog = map[string]any{
	"index_patterns": []string{"x"},
	"data_stream":    map[string]any{},
	"template": map[string]any{
		"settings": map[string]any{"index": map[string]any{"number_of_shards": 1, "number_of_replicas": 0}},
		"mappings": map[string]any{"properties": map[string]any{"location": map[string]any{"type": "geo_point"}}},
	},
}

func puts(a *estest.Admin) (policy, template int) {
	for _, r := range a.Requests() {
		if r.Method != http.MethodPut {
			continue
		}
		if strings.HasPrefix(r.Path, "/_ilm/") {
			policy++
		} else if strings.HasPrefix(r.Path, "/_index_template/") {
			template++
		}
	}
	return
}

func TestInstallModes(t *testing.T) {
	a := estest.NewAdmin(t)
	c := DefaultConfig()
	ctx := context.Background()
	if _, err := Install(ctx, es{a.URL}, c, catalog, OnConnect); err != nil {
		t.Fatal(err)
	}
	if p, tp := puts(a); p != 1 || tp != 1 {
		t.Fatalf("first connect: %d policy and %d template PUTs, want 1 and 1", p, tp)
	}
	if _, err := Install(ctx, es{a.URL}, c, catalog, OnConnect); err != nil {
		t.Fatal(err)
	}
	if p, tp := puts(a); p != 1 || tp != 1 {
		t.Errorf("second connect wrote again: %d policy and %d template PUTs, want 1 and 1", p, tp)
	}
	if _, err := Install(ctx, es{a.URL}, c, catalog, Force); err != nil {
		t.Fatal(err)
	}
	if p, tp := puts(a); p != 1 || tp != 2 {
		t.Errorf("setup (Force): %d policy and %d template PUTs, want 1 and 2 (template always, policy only when missing)", p, tp)
	}
}

// Beats: check_exists false neither checks nor installs the policy, even
// with overwrite (the user lacks read_ilm); the template still goes in with
// its lifecycle setting.
func TestInstallCheckExistsFalse(t *testing.T) {
	a := estest.NewAdmin(t)
	c := DefaultConfig()
	c.ILM.CheckExists, c.ILM.Overwrite = false, true
	if _, err := Install(context.Background(), es{a.URL}, c, catalog, OnConnect); err != nil {
		t.Fatal(err)
	}
	for _, r := range a.Requests() {
		if strings.HasPrefix(r.Path, "/_ilm/") {
			t.Errorf("check_exists: false, but %s %s was sent", r.Method, r.Path)
		}
	}
	if tmpl, ok := a.Template("shipper"); !ok || !strings.Contains(tmpl, `"lifecycle":{"name":"shipper"}`) {
		t.Errorf("template %q, want it installed with its lifecycle", tmpl)
	}
}

func TestInstallSettingsAndPolicyFile(t *testing.T) {
	a := estest.NewAdmin(t)
	dir := t.TempDir()
	pf := filepath.Join(dir, "policy.json")
	os.WriteFile(pf, []byte(`{"policy":{"phases":{"hot":{"actions":{"rollover":{"max_age":"7d"}}},"delete":{"min_age":"30d","actions":{"delete":{}}}}}}`), 0o600)
	c := DefaultConfig()
	c.ILM.PolicyName = "router logs/1" // escaped in the path
	c.ILM.PolicyFile = pf
	c.Template.Settings.Index = map[string]any{"codec": "best_compression", "number_of_replicas": 1}
	c.Template.Settings.Source = map[string]any{"enabled": false}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(context.Background(), es{a.URL}, c, catalog, OnConnect); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, r := range a.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	if !slices.Contains(paths, "PUT /_ilm/policy/router logs/1") {
		t.Errorf("requests %q: want the policy name as one escaped segment", paths)
	}
	for _, r := range a.Requests() {
		if r.Method == http.MethodPut && strings.HasPrefix(r.Path, "/_ilm/") && !strings.Contains(r.Body, `"30d"`) {
			t.Errorf("policy body is not policy_file's: %s", r.Body)
		}
	}
	tmpl, _ := a.Template("shipper")
	for _, want := range []string{`"codec":"best_compression"`, `"number_of_replicas":1`, `"number_of_shards":1`, `"_source":{"enabled":false}`, `"lifecycle":{"name":"router logs/1"}`, `"geo_point"`} {
		if !strings.Contains(tmpl, want) {
			t.Errorf("template lacks %s: %s", want, tmpl)
		}
	}
	if _, ok := catalog["template"].(map[string]any)["settings"].(map[string]any)["index"].(map[string]any)["codec"]; ok {
		t.Error("IndexTemplate modified the catalog's template")
	}
}

// VictoriaLogs answers 200 {} to GET/PUT _ilm and _index_template and
// 400 text/plain to _mapping; another server may answer 404 text: neither
// is an error (nothing to install there), both are said.
func TestInstallOnServersWithoutTheAPIs(t *testing.T) {
	f := func(name string, h http.HandlerFunc, wantWarn string) {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			r, err := Install(context.Background(), es{srv.URL}, DefaultConfig(), catalog, OnConnect)
			if err != nil {
				t.Fatalf("Install = %v, want nil", err)
			}
			if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, wantWarn) {
				t.Errorf("warnings %q, want %q", w, wantWarn)
			}
		})
	}
	f("victorialogs", func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "_mapping") {
			http.Error(w, "unsupported path requested: "+r.URL.Path, http.StatusBadRequest)
			return
		}
		io.WriteString(w, "{}")
	}, "")
	f("404 text", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found", http.StatusNotFound)
	}, "no index template API")
	// OpenSearch has no _ilm: 400 with a string error, as Elasticsearch
	// answers an unknown endpoint.
	f("opensearch", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_ilm/") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":"no handler found for uri [%s] and method [%s]"}`, r.URL.Path, r.Method)
			return
		}
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/_index_template/") {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"root_cause":[{"type":"resource_not_found_exception","reason":"index template matching [shipper] not found"}],"type":"resource_not_found_exception","reason":"index template matching [shipper] not found"},"status":404}`)
			return
		}
		io.WriteString(w, `{"acknowledged":true}`)
	}, "no ILM API")
}

func TestInstallRefusalIsAnError(t *testing.T) {
	a := estest.NewAdmin(t)
	a.SetFail("PUT /_index_template/shipper", http.StatusForbidden)
	_, err := Install(context.Background(), es{a.URL}, DefaultConfig(), catalog, OnConnect)
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") || !strings.Contains(err.Error(), "manage_index_templates") {
		t.Errorf("Install = %v, want the 403 with the privilege to grant", err)
	}
	a.SetFail("PUT /_index_template/shipper", http.StatusServiceUnavailable)
	if _, err := Install(context.Background(), es{a.URL}, DefaultConfig(), catalog, OnConnect); err == nil {
		t.Error("Install = nil on a 503, want an error (the caller retries)")
	}
}

func TestDecodeErrors(t *testing.T) {
	f := func(yml string, want ...string) {
		t.Helper()
		cfg, err := config.LoadBytes([]byte(yml+"output.console: {}\nshipper.inputs: [{type: meminfo}]\n"), "shipper.yml", nil)
		if err != nil {
			t.Fatalf("LoadBytes(%q): %v", yml, err)
		}
		_, err = Decode(cfg.Setup)
		if err == nil {
			t.Fatalf("Decode(%q) = nil, want an error", yml)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Decode(%q) = %v, want %q in it", yml, err, w)
			}
		}
	}
	f("setup.ilm.policy_file: /nonexistent/p.json\n", "shipper.yml:1", "setup.ilm.policy_file", "no such file")
	f("setup.ilm.delete_after: forever\n", "shipper.yml:1", "setup.ilm.delete_after")
	f("setup.template.settings.index.number_of_shards: 0\n", "setup.template.settings.index.number_of_shards")
	f("setup.template.overwrit: true\n", `unknown key "overwrit"`, `did you mean "overwrite"`)
	f("setup:\n  ilm:\n    rollover.max_age: soon\n  template.priority: 100\n", "shipper.yml:3", "setup.ilm.rollover.max_age", "shipper.yml:4", "setup.template.priority")
}

// A server answering every unknown path with an Elasticsearch-shaped 404
// (the runner's fault-harness fake, some proxies): GET says "missing", PUT
// says 404 too. A PUT creates, so its 404 means "no such API": warned, not
// retried forever (the run stalled on it).
func TestInstallOnAServerAnswering404ToEverything(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"type":"not_found","reason":"no handler"},"status":404}`)
	}))
	defer srv.Close()
	r, err := Install(context.Background(), es{srv.URL}, DefaultConfig(), catalog, OnConnect)
	if err != nil {
		t.Fatalf("Install = %v, want nil", err)
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "no ILM API") || !strings.Contains(w, "no index template API") {
		t.Errorf("warnings %q, want both APIs named", w)
	}
}
