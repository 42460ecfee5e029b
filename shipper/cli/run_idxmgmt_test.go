package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

// runOnceES runs `run --once` over the squid sample into the fake es with
// the extra configuration lines; it returns the exit code and stderr.
func runOnceES(t *testing.T, es *estest.Server, extra string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	sample, err := filepath.Abs("../../testdata/squid-access.log")
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "shipper.yml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`path.data: %q
shipper.inputs:
  - {type: squid, id: squid-sample, paths: [%q]}
output.elasticsearch: {hosts: [%q], backoff.init: 10ms, backoff.max: 50ms}
logging.metrics.enabled: false
%s`, filepath.Join(dir, "data"), sample, es.URL, extra)), 0o600)
	code, _, errs := cmd(t, "", "run", "--once", "-c", cfgFile)
	return code, errs
}

// Issue 15: `run` never installed the index template or the ILM policy
// (Beats does on connect): the first squid documents created their data
// stream with dynamic mappings, destination.geo.location was two floats
// and the map stayed empty. Now both are in place before the first _bulk.
func TestRunInstallsIndexManagementBeforeTheFirstBulk(t *testing.T) {
	var mu sync.Mutex
	var early int // bulk requests that arrived before the template
	var es *estest.Server
	es = estest.New(t, func(n int, docs []estest.Doc) estest.Reply {
		if _, ok := es.Admin.Template("shipper"); !ok {
			mu.Lock()
			early++
			mu.Unlock()
		}
		return estest.Reply{}
	})
	// The first two template installs fail: the shipper retries them
	// (with backoff) and sends nothing meanwhile.
	es.Admin.SetFail("PUT /_index_template/shipper", 503)
	var once sync.Once
	putTries := func() int {
		n := 0
		for _, r := range es.Admin.Requests() {
			if r.Method == "PUT" && r.Path == "/_index_template/shipper" {
				n++
			}
		}
		return n
	}
	done := make(chan struct{})
	defer close(done)
	go func() { // clears the fault once the shipper retried it (polls)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for putTries() < 2 && es.Requests() == 0 {
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
		once.Do(func() { es.Admin.SetFail("PUT /_index_template/shipper", 0) })
	}()
	code, errs := runOnceES(t, es, "")
	if code != ExitOK {
		t.Fatalf("run --once: exit %d\n%s", code, errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if early > 0 {
		t.Errorf("%d bulk requests arrived before the index template was installed", early)
	}
	if n := putTries(); n < 3 {
		t.Errorf("template PUT tried %d times, want the 2 refusals retried (3+)", n)
	}
	tmpl, ok := es.Admin.Template("shipper")
	if !ok {
		t.Fatal("run --once did not install the index template")
	}
	if !strings.Contains(tmpl, `"geo_point"`) || !strings.Contains(tmpl, `"lifecycle":{"name":"shipper"}`) {
		t.Errorf("template lacks the geo_point mapping or the lifecycle setting: %.300s", tmpl)
	}
	pol, ok := es.Admin.Policy("shipper")
	if !ok {
		t.Fatal("run --once did not install the ILM policy")
	}
	if !strings.Contains(pol, `"max_primary_shard_size":"50gb"`) || !strings.Contains(pol, `"max_age":"30d"`) || strings.Contains(pol, `"delete":`) {
		t.Errorf("policy is not Beats' default (rollover 50gb/30d, no delete): %s", pol)
	}
	if len(es.Docs()) == 0 {
		t.Error("no document indexed")
	}
	if !strings.Contains(errs, "503") {
		t.Errorf("the refused install is not reported:\n%s", errs)
	}
}

// An existing template is left alone unless setup.template.overwrite is
// true; setup.template.enabled and setup.ilm.enabled false install nothing.
func TestRunIndexManagementSettings(t *testing.T) {
	f := func(name, extra string, wantTemplatePuts, wantPolicyPuts int) {
		t.Run(name, func(t *testing.T) {
			es := estest.New(t, nil)
			// Installed once by a previous run.
			if code, errs := runOnceES(t, es, ""); code != ExitOK {
				t.Fatalf("first run: exit %d\n%s", code, errs)
			}
			before := es.Admin.Requests()
			if code, errs := runOnceES(t, es, extra); code != ExitOK {
				t.Fatalf("run with %q: exit %d\n%s", extra, code, errs)
			}
			var tp, pp int
			for _, r := range es.Admin.Requests()[len(before):] {
				switch {
				case r.Method == "PUT" && strings.HasPrefix(r.Path, "/_index_template/"):
					tp++
				case r.Method == "PUT" && strings.HasPrefix(r.Path, "/_ilm/policy/"):
					pp++
				}
			}
			if tp != wantTemplatePuts || pp != wantPolicyPuts {
				t.Errorf("second run with %q: %d template PUTs, %d policy PUTs; want %d, %d", extra, tp, pp, wantTemplatePuts, wantPolicyPuts)
			}
		})
	}
	f("idempotent", "", 0, 0)
	f("template overwrite", "setup.template.overwrite: true\n", 1, 0)
	f("ilm overwrite", "setup.ilm.overwrite: true\n", 0, 1)
	f("both disabled", "setup.template.enabled: false\nsetup.ilm.enabled: false\n", 0, 0)
}

// Issue 15: `test config` did not check setup.* (a typo or a bad value was
// found only by `shipper setup`, or never). Every problem is reported, with
// file, line and key, whatever the output.
func TestTestConfigChecksSetup(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "shipper.yml")
	os.WriteFile(cfgFile, []byte(`shipper.inputs: [{type: meminfo}]
output.console: {}
setup.template.overwrit: true
setup.ilm.delete_after: forever
`), 0o600)
	code, _, errs := cmd(t, "", "test", "config", "-c", cfgFile)
	if code != ExitUsage {
		t.Errorf("test config: exit %d, want %d\n%s", code, ExitUsage, errs)
	}
	for _, want := range []string{"shipper.yml:3", `setup.template.overwrit: unknown key "overwrit" (did you mean "overwrite"?)`} {
		if !strings.Contains(errs, want) {
			t.Errorf("test config stderr lacks %q:\n%s", want, errs)
		}
	}
	os.WriteFile(cfgFile, []byte(`shipper.inputs: [{type: meminfo}]
output.console: {}
setup.ilm.delete_after: forever
setup.template.priority: 100
`), 0o600)
	_, _, errs = cmd(t, "", "test", "config", "-c", cfgFile)
	for _, want := range []string{"shipper.yml:3: setup.ilm.delete_after", "shipper.yml:4: setup.template.priority"} {
		if !strings.Contains(errs, want) {
			t.Errorf("test config stderr lacks %q:\n%s", want, errs)
		}
	}
}

// Issue 15: an input's `pipeline` (Beats: the ingest pipeline of that
// input's events) was accepted and ignored. Each event carries it in its
// bulk action line, over output.elasticsearch.pipeline, lower-cased as
// Beats does; inputs without one keep the output's.
func TestInputPipelineInTheActionLine(t *testing.T) {
	es := estest.New(t, nil)
	dir := t.TempDir()
	sample, _ := filepath.Abs("../../testdata/squid-access.log")
	other := filepath.Join(dir, "other.log")
	b, _ := os.ReadFile(sample)
	os.WriteFile(other, b, 0o600)
	cfgFile := filepath.Join(dir, "shipper.yml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`path.data: %q
shipper.inputs:
  - {type: squid, id: with-pipeline, paths: [%q], pipeline: Squid-Enrich}
  - {type: squid, id: without, paths: [%q]}
output.elasticsearch: {hosts: [%q], pipeline: output-default}
logging.metrics.enabled: false
`, filepath.Join(dir, "data"), sample, other, es.URL)), 0o600)
	if code, _, errs := cmd(t, "", "run", "--once", "-c", cfgFile); code != ExitOK {
		t.Fatalf("run --once: exit %d\n%s", code, errs)
	}
	got := map[string]int{}
	for _, d := range es.Docs() {
		got[d.Pipeline]++
	}
	n := len(es.Docs()) / 2
	if n == 0 || got["squid-enrich"] != n || got["output-default"] != n {
		t.Errorf("documents per action pipeline %v, want %d with squid-enrich and %d with output-default", got, n, n)
	}
}
