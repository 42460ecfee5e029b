package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testConfig runs `shipper test config` with args on a file holding yml and
// returns the exit code and what it printed.
func testConfig(t *testing.T, yml string, args ...string) (int, string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "filebeat.yml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(append([]string{"test", "config", "-c", path}, args...), nil, &out, &errb)
	return code, path, out.String() + errb.String()
}

// Issue 19: a file with 4 errors showed 1. Every problem is reported, the
// loader's and the plugins', each with file:line: key.
func TestTestConfigReportsEveryError(t *testing.T) {
	yml := `filebeat.inputs:
  - type: squid
    id: a
    paths: [x]
    close.inactiv: 5m
  - type: log
    id: b
queue.mem.events: lots
output.elasticsearch:
  hosts: [x]
  workers: 2
`
	code, path, got := testConfig(t, yml)
	want := []string{
		path + ":8: queue.mem.events: cannot unmarshal !!str `lots` into int",
		path + `:11: output.elasticsearch.workers: unknown key "workers" (did you mean "worker"?)`,
		path + `:5: filebeat.inputs[0].close.inactiv: unknown key "inactiv"`,
		path + `:6: filebeat.inputs[1].type: unknown input type "log": Filebeat has it; deprecated in Filebeat 7.16; use type: filestream (same paths)`,
	}
	if code != ExitUsage || strings.Count(got, "\n") != len(want) {
		t.Errorf("exit %d, %d lines; want exit 2 and %d lines:\n%s", code, strings.Count(got, "\n"), len(want), got)
	}
	for _, w := range want {
		if !strings.Contains(got, w+"\n") && !strings.Contains(got, w+" (known:") {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
}

// Issue 19: a bad indent on line 4 was reported on line 1 (yaml.v3 names the
// line where the enclosing block starts).
func TestTestConfigYAMLErrorLine(t *testing.T) {
	f := func(yml, want string) {
		t.Helper()
		code, path, got := testConfig(t, yml)
		if code != ExitUsage || got != path+want+"\n" {
			t.Errorf("test config on %q: exit %d, output %q; want exit 2, %q", yml, code, got, path+want)
		}
	}
	f("shipper.inputs:\n  - type: squid\n    id: a\n   paths: [x]\noutput.console: {}\n",
		":4: invalid YAML: did not find expected '-' indicator")
	f("shipper.inputs:\n  - type: squid\n    id: a\n    paths: [x]\n  output.console: {}\n",
		":5: invalid YAML: did not find expected '-' indicator")
	f("output.console: {}\nlogging:\n\tlevel: debug\n",
		":3: invalid YAML: found character that cannot start any token")
	// A flow list over several lines is not mistaken for the error.
	f("shipper.inputs: [\n  {type: squid, id: a, paths: [x]}\n]\noutput.console: {\n",
		":4: invalid YAML: did not find expected node content")
}

// Issue 19: a -E typo was blamed on the config file.
func TestTestConfigBlamesOverrides(t *testing.T) {
	yml := "filebeat.inputs:\n  - {type: squid, id: a, paths: [x]}\noutput.console: {}\n"
	code, _, got := testConfig(t, yml, "-E", "output.console.prety=true", "-E", "queue.mem.events=-4", "-E", "filebeat.inputs=[{type: nope}]")
	want := []string{
		`-E output.console.prety=true: output.console.prety: unknown key "prety" (did you mean "pretty"?)`,
		"-E queue.mem.events=-4: queue.mem.events: must be > 0, got -4",
		`-E filebeat.inputs=[{type: nope}]: filebeat.inputs[0].type: unknown input type "nope": not a Filebeat name either (known: `,
	}
	if code != ExitUsage || strings.Count(got, "\n") != len(want) {
		t.Errorf("exit %d; want 2 and %d lines:\n%s", code, len(want), got)
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
	code, _, got = testConfig(t, yml, "-E", "novalue")
	if code != ExitUsage || got != "-E novalue: want -E key=value\n" {
		t.Errorf("-E novalue: exit %d, output %q", code, got)
	}
}
