package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 15: `export ilm-policy` and `export index-pattern` were missing and
// `export template -o FILE` was refused while `export dashboards -o` worked.
func TestExportIndexManagement(t *testing.T) {
	dir := t.TempDir()
	f := func(verb string, args []string, check func(t *testing.T, doc map[string]any)) {
		t.Run(verb+strings.Join(args, " "), func(t *testing.T) {
			t.Helper()
			code, out, errs := cmd(t, "", append([]string{"export", verb}, args...)...)
			if code != ExitOK {
				t.Fatalf("export %s %v: exit %d: %s", verb, args, code, errs)
			}
			if len(args) > 0 && args[0] == "-o" {
				b, err := os.ReadFile(args[1])
				if err != nil {
					t.Fatal(err)
				}
				if out != "" {
					t.Errorf("export %s -o also wrote to stdout: %q", verb, out)
				}
				out = string(b)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("export %s: not JSON: %v\n%s", verb, err, out)
			}
			check(t, doc)
		})
	}
	dig := func(v any, keys ...string) any {
		for _, k := range keys {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		return v
	}
	f("template", nil, func(t *testing.T, doc map[string]any) {
		if got := dig(doc, "template", "mappings", "properties", "destination", "properties", "geo", "properties", "location", "type"); got != "geo_point" {
			t.Errorf("destination.geo.location mapped %v, want geo_point", got)
		}
		if got := dig(doc, "template", "settings", "index", "lifecycle", "name"); got != "shipper" {
			t.Errorf("lifecycle name %v, want shipper", got)
		}
	})
	tf := filepath.Join(dir, "template.json")
	f("template", []string{"-o", tf}, func(t *testing.T, doc map[string]any) {
		if doc["index_patterns"] == nil {
			t.Errorf("template file has no index_patterns: %v", doc)
		}
	})
	f("ilm-policy", nil, func(t *testing.T, doc map[string]any) {
		r := dig(doc, "policy", "phases", "hot", "actions", "rollover")
		if dig(r, "max_age") != "30d" || dig(r, "max_primary_shard_size") != "50gb" || dig(doc, "policy", "phases", "delete") != nil {
			t.Errorf("policy %v, want Beats' default: rollover 30d/50gb, no delete phase", doc)
		}
	})
	f("index-pattern", []string{"-o", filepath.Join(dir, "dv.ndjson")}, func(t *testing.T, doc map[string]any) {
		if doc["type"] != "index-pattern" || dig(doc, "attributes", "title") != "shipper-*" || dig(doc, "attributes", "timeFieldName") != "@timestamp" {
			t.Errorf("data view %v, want an index-pattern over shipper-* with @timestamp", doc)
		}
	})

	// The configuration's setup.* applies.
	cfgFile := filepath.Join(dir, "shipper.yml")
	os.WriteFile(cfgFile, []byte(`shipper.inputs: [{type: meminfo}]
output.console: {}
setup.ilm: {policy_name: router, delete_after: 90d}
setup.template: {pattern: "router-*", settings.index.codec: best_compression}
`), 0o600)
	f("ilm-policy", []string{"-c", cfgFile}, func(t *testing.T, doc map[string]any) {
		if dig(doc, "policy", "phases", "delete", "min_age") != "90d" {
			t.Errorf("policy %v, want setup.ilm.delete_after 90d", doc)
		}
	})
	f("template", []string{"-c", cfgFile}, func(t *testing.T, doc map[string]any) {
		if p, _ := doc["index_patterns"].([]any); len(p) != 1 || p[0] != "router-*" {
			t.Errorf("index_patterns %v, want [router-*]", doc["index_patterns"])
		}
		if dig(doc, "template", "settings", "index", "codec") != "best_compression" || dig(doc, "template", "settings", "index", "lifecycle", "name") != "router" {
			t.Errorf("index settings %v, want codec and lifecycle router", dig(doc, "template", "settings", "index"))
		}
	})
	f("index-pattern", []string{"-c", cfgFile}, func(t *testing.T, doc map[string]any) {
		if dig(doc, "attributes", "title") != "router-*" {
			t.Errorf("data view title %v, want router-*", dig(doc, "attributes", "title"))
		}
	})

	// A broken setup section is an error with file, line and key.
	os.WriteFile(cfgFile, []byte("shipper.inputs: [{type: meminfo}]\noutput.console: {}\nsetup.ilm.policy_file: /nonexistent.json\n"), 0o600)
	code, _, errs := cmd(t, "", "export", "ilm-policy", "-c", cfgFile)
	if code != ExitUsage || !strings.Contains(errs, "shipper.yml:3") || !strings.Contains(errs, "setup.ilm.policy_file") {
		t.Errorf("export ilm-policy with a missing policy_file: exit %d, stderr %q; want exit %d naming shipper.yml:3 setup.ilm.policy_file", code, errs, ExitUsage)
	}
}
