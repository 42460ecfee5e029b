package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/dashboards"
	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

func TestExportDashboards(t *testing.T) {
	want, err := dashboards.NDJSON()
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := ExportDashboards(nil, &out, &errb); code != ExitOK {
		t.Fatalf("export dashboards = %d: %s", code, errb.String())
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("stdout is not dashboards.NDJSON()")
	}
	file := filepath.Join(t.TempDir(), "d.ndjson")
	if code := ExportDashboards([]string{"-o", file}, &out, &errb); code != ExitOK {
		t.Fatalf("export dashboards -o = %d: %s", code, errb.String())
	}
	if got, _ := os.ReadFile(file); !bytes.Equal(got, want) {
		t.Errorf("-o %s does not hold dashboards.NDJSON()", file)
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "shipper.yml")
	cfg := fmt.Sprintf("shipper.inputs:\n  - type: squid\n    id: s\n    paths: [%q]\npath.data: %q\n%s",
		filepath.Join(dir, "access.log"), filepath.Join(dir, "data"), body)
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSetupCommand(t *testing.T) {
	es := estest.NewAdmin(t)
	cfg := writeConfig(t, fmt.Sprintf("output.elasticsearch.hosts: [%q]\nsetup.kibana.host: \"127.0.0.1:1\"\n", es.URL))
	var out, errb bytes.Buffer
	if code := Setup([]string{"-c", cfg, "--index-management"}, &out, &errb); code != ExitOK {
		t.Fatalf("setup --index-management = %d: %s", code, errb.String())
	}
	if _, ok := es.Template("shipper"); !ok {
		t.Error("no index template installed")
	}
	out.Reset()
	errb.Reset()
	// Kibana on a closed port: a runtime error naming the problem.
	if code := Setup([]string{"-c", cfg, "--dashboards"}, &out, &errb); code != ExitRuntime {
		t.Errorf("setup --dashboards against nothing = %d, want %d", code, ExitRuntime)
	}
	if !strings.Contains(errb.String(), "kibana is unreachable at http://127.0.0.1:1") {
		t.Errorf("stderr %q does not say Kibana is unreachable", errb.String())
	}
	// A configuration error is a usage error with file:line.
	bad := writeConfig(t, fmt.Sprintf("output.elasticsearch.hosts: [%q]\nsetup.kibana.hots: x\n", es.URL))
	errb.Reset()
	if code := Setup([]string{"-c", bad}, &out, &errb); code != ExitUsage {
		t.Errorf("setup with a bad key = %d, want %d: %s", code, ExitUsage, errb.String())
	}
	if !strings.Contains(errb.String(), "shipper.yml:") || !strings.Contains(errb.String(), "hots") {
		t.Errorf("stderr %q does not locate the bad key", errb.String())
	}
	if code := Setup([]string{"-c", cfg, "extra"}, &out, &errb); code != ExitUsage {
		t.Errorf("setup with an argument = %d, want %d", code, ExitUsage)
	}
}
