package setup

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/dashboards"
	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/shipper/config"

	_ "github.com/shipper-project/shipper/inputs/all"
	_ "github.com/shipper-project/shipper/outputs/all"
	_ "github.com/shipper-project/shipper/processors/all"
)

// load builds a configuration with the given setup/output text.
func load(t *testing.T, yml string) *config.Config {
	t.Helper()
	base := "shipper.inputs:\n  - type: squid\n    id: s\n    paths: [/tmp/none.log]\npath.data: " + t.TempDir() + "\n"
	cfg, err := config.LoadBytes([]byte(base+yml), "shipper.yml", nil)
	if err != nil {
		t.Fatalf("load:\n%s\n%v", yml, err)
	}
	return cfg
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestSetupBothByDefault(t *testing.T) {
	es := estest.NewAdmin(t)
	kb := newFakeKibana(t, "8.8.0")
	kb.user, kb.password = "elastic", "changeme"
	cfg := load(t, fmt.Sprintf(`
output.elasticsearch:
  hosts: [%q]
setup.kibana:
  host: %q
  username: elastic
  password: changeme
`, es.URL, kb.URL))
	var out bytes.Buffer
	if err := Run(context.Background(), cfg, Options{}, &out, quiet()); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	t.Log(out.String())

	// Elasticsearch: ILM policy first, then the template.
	var got []string
	for _, r := range es.Requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	want := []string{"GET /_ilm/policy/shipper", "PUT /_ilm/policy/shipper", "PUT /_index_template/shipper",
		"GET /shipper-*/_mapping/field/destination.geo.location,destination.geo.location.lat,source.geo.location,source.geo.location.lat"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Elasticsearch requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range es.Requests() {
		if r.Method == "PUT" && r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s Content-Type %q", r.Method, r.Path, r.Header.Get("Content-Type"))
		}
	}

	// Kibana: status, then the import.
	reqs := kb.recorded()
	if len(reqs) != 2 || reqs[0].Path != "/api/status" {
		t.Fatalf("Kibana requests %+v, want status then import", reqs)
	}
	imp := reqs[1]
	if imp.Method != "POST" || imp.Path != "/api/saved_objects/_import" || imp.Query != "overwrite=true" {
		t.Errorf("import request %s %s?%s, want POST /api/saved_objects/_import?overwrite=true", imp.Method, imp.Path, imp.Query)
	}
	if imp.Header.Get("kbn-xsrf") == "" {
		t.Error("import without kbn-xsrf header")
	}
	if u, p, ok := basicAuth(imp.Header.Get("Authorization")); !ok || u != "elastic" || p != "changeme" {
		t.Errorf("Authorization %q, want basic elastic:changeme", imp.Header.Get("Authorization"))
	}
	if strings.Join(imp.FormFields, ",") != "file" || !strings.HasSuffix(imp.FileName, ".ndjson") {
		t.Errorf("multipart fields %v file name %q, want one field file named *.ndjson", imp.FormFields, imp.FileName)
	}
	nd, _ := dashboards.NDJSON()
	if !bytes.Equal(imp.File, nd) {
		t.Errorf("uploaded file (%d bytes) is not dashboards.NDJSON() (%d bytes)", len(imp.File), len(nd))
	}
	if !strings.Contains(out.String(), "14 saved objects imported into space default") &&
		!strings.Contains(out.String(), "saved objects imported into space default") {
		t.Errorf("output does not report the import:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "/app/dashboards#/view/shipper-overview") {
		t.Errorf("output does not show where to look:\n%s", out.String())
	}
}

func basicAuth(h string) (string, string, bool) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
	if err != nil || !strings.HasPrefix(h, "Basic ") {
		return "", "", false
	}
	u, p, ok := strings.Cut(string(b), ":")
	return u, p, ok
}

func TestIndexManagementBodies(t *testing.T) {
	es := estest.NewAdmin(t)
	cfg := load(t, fmt.Sprintf("output.elasticsearch.hosts: [%q]\nsetup.ilm.delete_after: 7d\nsetup.ilm.rollover.max_age: 1d\nsetup.ilm.rollover.max_primary_shard_size: 512MiB\n", es.URL))
	var out bytes.Buffer
	if err := Run(context.Background(), cfg, Options{IndexManagement: true}, &out, quiet()); err != nil {
		t.Fatal(err)
	}
	for _, r := range es.Requests() {
		if strings.Contains(r.Path, "saved_objects") {
			t.Errorf("--index-management talked to Kibana: %s", r.Path)
		}
	}
	pol, ok := es.Policy("shipper")
	if !ok {
		t.Fatal("no ILM policy stored")
	}
	var p struct {
		Policy struct {
			Phases struct {
				Hot struct {
					Actions struct {
						Rollover map[string]string `json:"rollover"`
					} `json:"actions"`
				} `json:"hot"`
				Delete struct {
					MinAge  string         `json:"min_age"`
					Actions map[string]any `json:"actions"`
				} `json:"delete"`
			} `json:"phases"`
		} `json:"policy"`
	}
	if err := json.Unmarshal([]byte(pol), &p); err != nil {
		t.Fatal(err)
	}
	if r := p.Policy.Phases.Hot.Actions.Rollover; r["max_age"] != "1d" || r["max_primary_shard_size"] != "512mb" {
		t.Errorf("rollover %v, want max_age 1d, max_primary_shard_size 512mb", r)
	}
	if d := p.Policy.Phases.Delete; d.MinAge != "7d" || d.Actions["delete"] == nil {
		t.Errorf("delete phase %+v, want min_age 7d and a delete action", d)
	}

	tb, ok := es.Template("shipper")
	if !ok {
		t.Fatal("no index template stored")
	}
	var tmpl struct {
		IndexPatterns []string       `json:"index_patterns"`
		Priority      int            `json:"priority"`
		DataStream    map[string]any `json:"data_stream"`
		Template      struct {
			Settings struct {
				Index struct {
					Shards    int `json:"number_of_shards"`
					Replicas  int `json:"number_of_replicas"`
					Lifecycle struct {
						Name string `json:"name"`
					} `json:"lifecycle"`
				} `json:"index"`
			} `json:"settings"`
			Mappings struct {
				Properties map[string]any `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal([]byte(tb), &tmpl); err != nil {
		t.Fatal(err)
	}
	if strings.Join(tmpl.IndexPatterns, ",") != "shipper-*" || tmpl.Priority <= 100 || tmpl.DataStream == nil {
		t.Errorf("template patterns %v priority %d data_stream %v", tmpl.IndexPatterns, tmpl.Priority, tmpl.DataStream)
	}
	ix := tmpl.Template.Settings.Index
	if ix.Shards != 1 || ix.Replicas != 0 || ix.Lifecycle.Name != "shipper" {
		t.Errorf("index settings %+v, want 1 shard, 0 replicas, lifecycle shipper", ix)
	}
	for field, want := range map[string]string{
		"destination.geo.location": "geo_point", "source.geo.location": "geo_point",
		"source.ip": "ip", "@timestamp": "date", "http.response.bytes": "long",
	} {
		if got := mappedType(tmpl.Template.Mappings.Properties, field); got != want {
			t.Errorf("template maps %s as %q, want %s", field, got, want)
		}
	}
}

func mappedType(props map[string]any, dotted string) string {
	parts := strings.Split(dotted, ".")
	for i, p := range parts {
		m, _ := props[p].(map[string]any)
		if m == nil {
			return ""
		}
		if i == len(parts)-1 {
			s, _ := m["type"].(string)
			return s
		}
		props, _ = m["properties"].(map[string]any)
	}
	return ""
}

func TestExistingPolicyIsLeftAloneUnlessOverwrite(t *testing.T) {
	es := estest.NewAdmin(t)
	es.SetPolicy("shipper", `{"policy":{"phases":{"delete":{"min_age":"90d","actions":{"delete":{}}}}}}`)
	cfg := load(t, fmt.Sprintf("output.elasticsearch.hosts: [%q]\n", es.URL))
	var out bytes.Buffer
	if err := Run(context.Background(), cfg, Options{IndexManagement: true}, &out, quiet()); err != nil {
		t.Fatal(err)
	}
	if p, _ := es.Policy("shipper"); !strings.Contains(p, "90d") {
		t.Errorf("existing policy replaced: %s", p)
	}
	if !strings.Contains(out.String(), "exists; left as it is") {
		t.Errorf("output does not say the policy was kept:\n%s", out.String())
	}
	cfg = load(t, fmt.Sprintf("output.elasticsearch.hosts: [%q]\nsetup.ilm.overwrite: true\n", es.URL))
	if err := Run(context.Background(), cfg, Options{IndexManagement: true}, &out, quiet()); err != nil {
		t.Fatal(err)
	}
	if p, _ := es.Policy("shipper"); strings.Contains(p, "90d") {
		t.Errorf("setup.ilm.overwrite: true kept the old policy: %s", p)
	}
}

func TestIndexManagementErrors(t *testing.T) {
	f := func(name string, prep func(*estest.Admin) string, want ...string) {
		t.Run(name, func(t *testing.T) {
			es := estest.NewAdmin(t)
			extra := prep(es)
			cfg := load(t, fmt.Sprintf("output.elasticsearch.hosts: [%q]\n%s", es.URL, extra))
			err := Run(context.Background(), cfg, Options{IndexManagement: true}, &bytes.Buffer{}, quiet())
			if err == nil {
				t.Fatal("Run = nil, want an error")
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
	f("forbidden template", func(es *estest.Admin) string {
		es.Fail["PUT /_index_template/shipper"] = 403
		return ""
	}, "PUT _index_template/shipper", "HTTP 403", "security_exception", "manage_index_templates")
	f("bad credentials", func(es *estest.Admin) string {
		es.User, es.Password = "shipper", "right"
		return "output.elasticsearch.username: shipper\noutput.elasticsearch.password: s3cret\n"
	}, "HTTP 401", "refused the credentials")
	f("mapping refused", func(es *estest.Admin) string {
		es.Fail["PUT /_index_template/shipper"] = 400
		return ""
	}, "mapper_parsing_exception")
	f("unreachable", func(es *estest.Admin) string {
		es.Close()
		return ""
	}, "unreachable")
}

func TestIndexManagementNeedsElasticsearchOutput(t *testing.T) {
	cfg := load(t, "output.console: {}\n")
	err := Run(context.Background(), cfg, Options{IndexManagement: true}, &bytes.Buffer{}, quiet())
	var ce *config.Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "needs output.elasticsearch") {
		t.Errorf("Run = %v, want a config error naming output.elasticsearch", err)
	}
}

func TestGeoMappingWarning(t *testing.T) {
	es := estest.NewAdmin(t)
	es.FieldMappings = `{
 ".ds-shipper-squid.access-2026.01.01-000001":{"mappings":{
   "destination.geo.location.lat":{"full_name":"destination.geo.location.lat","mapping":{"lat":{"type":"float"}}}}},
 ".ds-shipper-snort.alert-2026.01.01-000001":{"mappings":{
   "source.geo.location":{"full_name":"source.geo.location","mapping":{"location":{"type":"geo_point"}}}}}
}`
	cfg := load(t, fmt.Sprintf("output.elasticsearch.hosts: [%q]\n", es.URL))
	var out bytes.Buffer
	if err := Run(context.Background(), cfg, Options{IndexManagement: true}, &out, quiet()); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "warning: .ds-shipper-squid.access-2026.01.01-000001 maps destination.geo.location as an object of numbers") ||
		!strings.Contains(s, "POST shipper-squid.access/_rollover") {
		t.Errorf("no rollover advice for the squid data stream:\n%s", s)
	}
	if strings.Contains(s, "snort") {
		t.Errorf("warned about a good geo_point mapping:\n%s", s)
	}
}

func TestKibanaSpaceBasePathAndAPIKey(t *testing.T) {
	kb := newFakeKibana(t, "8.15.2")
	kb.apiKey = base64.StdEncoding.EncodeToString([]byte("id1:key1"))
	cfg := load(t, fmt.Sprintf(`
output.console: {}
setup.kibana:
  host: %q
  api_key: "id1:key1"
  space.id: ops
  headers: {X-Team: net}
`, kb.URL))
	var out bytes.Buffer
	if err := Run(context.Background(), cfg, Options{Dashboards: true}, &out, quiet()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	reqs := kb.recorded()
	imp := reqs[len(reqs)-1]
	if imp.Path != "/s/ops/api/saved_objects/_import" {
		t.Errorf("import path %s, want /s/ops/api/saved_objects/_import", imp.Path)
	}
	if imp.Header.Get("X-Team") != "net" {
		t.Errorf("custom header missing: %v", imp.Header)
	}
	if !strings.Contains(out.String(), "/s/ops/app/dashboards#/view/shipper-overview") {
		t.Errorf("output does not link into the space:\n%s", out.String())
	}
}

func TestKibanaErrors(t *testing.T) {
	f := func(name string, prep func(*fakeKibana) string, is error, want ...string) {
		t.Run(name, func(t *testing.T) {
			kb := newFakeKibana(t, "8.8.0")
			extra := prep(kb)
			cfg := load(t, fmt.Sprintf("output.console: {}\nsetup.kibana.host: %q\n%s", kb.URL, extra))
			err := Run(context.Background(), cfg, Options{Dashboards: true}, &bytes.Buffer{}, quiet())
			if err == nil {
				t.Fatal("Run = nil, want an error")
			}
			if is != nil && !errors.Is(err, is) {
				t.Errorf("error %v is not %v", err, is)
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
	f("unreachable", func(k *fakeKibana) string { k.Close(); return "" }, ErrUnreachable, "unreachable", "setup.kibana.host")
	f("too old", func(k *fakeKibana) string { k.version = "8.5.3"; return "" }, ErrTooOld, "Kibana 8.5.3", "8.8.0 or newer")
	f("seven", func(k *fakeKibana) string { k.version = "7.17.9"; return "" }, ErrTooOld, "7.17.9")
	f("auth refused", func(k *fakeKibana) string {
		k.user, k.password = "elastic", "right"
		return "setup.kibana.username: elastic\nsetup.kibana.password: s3cret\n"
	}, nil, "HTTP 401", "unable to authenticate user [elastic]", "refused the credentials")
	f("not ready", func(k *fakeKibana) string { k.status = 503; return "" }, nil, "HTTP 503", "not ready")
	f("too large", func(k *fakeKibana) string { k.status = 413; return "" }, nil, "HTTP 413", "maxImportPayloadBytes")
	f("objects refused", func(k *fakeKibana) string {
		k.importBody = `{"successCount":12,"success":false,"warnings":[],"errors":[` +
			`{"id":"shipper-squid","type":"dashboard","title":"[shipper] Squid proxy","meta":{"title":"[shipper] Squid proxy","icon":"dashboardApp"},"error":{"type":"missing_references","references":[{"type":"index-pattern","id":"shipper-squid.access"}]}},` +
			`{"id":"shipper-all","type":"index-pattern","meta":{"title":"shipper-*","icon":"indexPatternApp"},"error":{"type":"unknown","message":"Document \"shipper-all\" has property \"index-pattern\" which belongs to a more recent version of Kibana [8.9.0]. The last known version is [8.8.0]","statusCode":400}}]}`
		return ""
	}, nil, "2 object(s) failed, 12 imported",
		"dashboard shipper-squid ([shipper] Squid proxy): missing_references: missing index-pattern shipper-squid.access",
		"index-pattern shipper-all (shipper-*): unknown: Document")
}

func TestConfigErrors(t *testing.T) {
	f := func(yml string, want ...string) {
		t.Helper()
		cfg := load(t, "output.console: {}\n"+yml)
		err := Run(context.Background(), cfg, Options{Dashboards: true}, &bytes.Buffer{}, quiet())
		if err == nil {
			t.Fatalf("Run(%q) = nil, want a config error", yml)
		}
		var ce *config.Error
		if !errors.As(err, &ce) {
			t.Errorf("Run(%q) = %v, want a *config.Error", yml, err)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Run(%q) error %q does not contain %q", yml, err, w)
			}
		}
	}
	f("setup.kibana.hots: x\n", "shipper.yml:", "setup.kibana", `"hots"`)
	f("setup.kibana.host: ftp://k\n", "setup.kibana.host", "scheme")
	f("setup.ilm.delete_after: forever\n", "setup.ilm.delete_after")
	f("setup.template.priority: 100\n", "setup.template.priority")
	f("setup.kibana:\n  api_key: a:b\n  username: u\n", "setup.kibana.api_key")
	f("setup.kibana.ssl.verification_mode: maybe\n", "setup.kibana.ssl.verification_mode")
}

func TestPasswordNotPrinted(t *testing.T) {
	c := DefaultConfig()
	c.Kibana.Password = "s3cret"
	if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, "s3cret") {
		t.Errorf("config printed with the password: %s", s)
	}
}

func TestCompareVersions(t *testing.T) {
	f := func(a, b string, want int) {
		t.Helper()
		if got := compareVersions(a, b); got != want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", a, b, got, want)
		}
	}
	f("8.8.0", "8.8.0", 0)
	f("8.10.0", "8.8.0", 1)
	f("8.7.1", "8.8.0", -1)
	f("9.0.0-SNAPSHOT", "8.8.0", 1)
	f("7.17.9", "8.8.0", -1)
}
