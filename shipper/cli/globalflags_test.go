package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitGlobals(t *testing.T) {
	f := func(args, wantGlobals, wantRest []string) {
		t.Helper()
		g, r := splitGlobals(args)
		if d := cmp.Diff(wantGlobals, g); d != "" {
			t.Errorf("splitGlobals(%q) globals (-want +got):\n%s", args, d)
		}
		if d := cmp.Diff(wantRest, r); d != "" {
			t.Errorf("splitGlobals(%q) rest (-want +got):\n%s", args, d)
		}
	}
	f([]string{"-e", "test", "config"}, []string{"-e"}, []string{"test", "config"})
	f([]string{"test", "config", "-e", "-c", "x.yml"}, []string{"-e", "-c", "x.yml"}, []string{"test", "config"})
	f([]string{"-c", "x.yml", "run", "--once", "-E", "a=b", "--path.config=/etc/s", "--strict.perms=false"},
		[]string{"-c", "x.yml", "-E", "a=b", "--path.config=/etc/s", "--strict.perms=false"}, []string{"run", "--once"})
	f([]string{"test-pattern", "--pattern", "X", "-", "--", "-e"}, nil, []string{"test-pattern", "--pattern", "X", "-", "--", "-e"})
	f([]string{"run", "-c"}, nil, []string{"run", "-c"}) // the command reports the missing value
}

// Issue 15: flags before the verb failed (`shipper -e test config`).
func TestGlobalFlagsInAnyPosition(t *testing.T) {
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	os.Mkdir(etc, 0o700)
	yml := "filebeat.inputs:\n  - {type: filestream, id: a, paths: [/nonexistent/x.log]}\noutput.console: {}\n"
	if err := os.WriteFile(filepath.Join(etc, "filebeat.yml"), []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(etc, "filebeat.yml")
	for _, args := range [][]string{
		{"-e", "test", "config", "-c", abs},
		{"test", "config", "-e", "-c", abs},
		{"-c", abs, "test", "config"},
		{"test", "-c", abs, "config", "-d", "*"},
		{"--path.config", etc, "test", "config", "-c", "filebeat.yml"},
		{"-c", "filebeat.yml", "test", "config", "--path.config=" + etc},
		{"--path.home", etc, "test", "config", "-c", "filebeat.yml"},
		{"-E", "output.console.pretty=true", "-e", "test", "config", "-c", abs, "--strict.perms=false"},
	} {
		code, out, errs := cmd(t, "", args...)
		if code != ExitOK || !strings.Contains(out, "Config OK") {
			t.Errorf("shipper %s: exit %d, stdout %q, stderr %q; want Config OK", strings.Join(args, " "), code, out, errs)
		}
	}
	if code, _, errs := cmd(t, "", "-E", "output.console.prety=true", "test", "config", "-c", abs); code != ExitUsage || !strings.Contains(errs, `-E output.console.prety=true: output.console.prety: unknown key "prety"`) {
		t.Errorf("-E typo before the verb: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := cmd(t, "", "-e", "version"); code != ExitOK {
		t.Errorf("shipper -e version: exit %d, stderr %q", code, errs)
	}
}

// Issue 15: `export config` prints the configuration as loaded, secrets
// masked.
func TestExportConfig(t *testing.T) {
	t.Setenv("SHIPPER_TEST_ES_PW", "s3cret-from-env")
	path := filepath.Join(t.TempDir(), "filebeat.yml")
	os.WriteFile(path, []byte(`filebeat.inputs:
  - type: filestream
    id: a
    paths: [/var/log/a.log]
output.elasticsearch.hosts: ["https://elastic:pw-in-url@es:9200"]
output.elasticsearch.password: ${SHIPPER_TEST_ES_PW}
output.elasticsearch.headers: {Authorization: "ApiKey abc", X-Team: net}
output.console.enabled: false
`), 0o600)
	code, out, errs := cmd(t, "", "export", "config", "-c", path, "-E", "output.elasticsearch.worker=2")
	if code != ExitOK {
		t.Fatalf("export config: exit %d, stderr %q", code, errs)
	}
	want := `filebeat:
  inputs:
    - type: filestream
      id: a
      paths: [/var/log/a.log]
output:
  elasticsearch:
    hosts: ["https://elastic:[redacted]@es:9200"]
    password: '[redacted]'
    headers: {Authorization: '[redacted]', X-Team: net}
    worker: 2
`
	if d := cmp.Diff(want, out); d != "" {
		t.Errorf("export config (-want +got):\n%s", d)
	}
	for _, secret := range []string{"s3cret", "pw-in-url", "abc"} {
		if strings.Contains(out+errs, secret) {
			t.Errorf("export config printed the secret %q", secret)
		}
	}
}

// logging.to_files writes under path.logs (--path.logs), rotated by size;
// -e keeps the log on stderr.
func TestLogToFiles(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	in := filepath.Join(dir, "in.log")
	os.WriteFile(in, []byte("one\ntwo\n"), 0o600)
	path := filepath.Join(dir, "filebeat.yml")
	os.WriteFile(path, []byte(fmt.Sprintf(`filebeat.inputs:
  - {type: filestream, id: a, paths: [%q]}
output.file: {path: %q}
path.data: %q
logging.to_files: true
logging.files.rotateeverybytes: 300
logging.files.keepfiles: 2
logging.metrics.enabled: false
`, in, filepath.Join(dir, "out"), filepath.Join(dir, "data"))), 0o600)
	code, _, errs := cmd(t, "", "--path.logs", logs, "run", "--once", "-c", path)
	if code != ExitOK {
		t.Fatalf("run --once: exit %d, stderr %q", code, errs)
	}
	if strings.Contains(errs, "shipper started") {
		t.Errorf("the log went to stderr with logging.to_files:\n%s", errs)
	}
	cur, err := os.ReadFile(filepath.Join(logs, "shipper"))
	if err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(filepath.Join(logs, "shipper.1"))
	all := string(old) + string(cur)
	if !strings.Contains(all, "shipper started") || !strings.Contains(all, "shipper stopped") {
		t.Errorf("log files lack the start and stop lines:\n%s", all)
	}
	if _, err := os.Stat(filepath.Join(logs, "shipper.2")); err == nil {
		t.Errorf("keepfiles: 2 kept a third file")
	}
	if st, err := os.Stat(filepath.Join(logs, "shipper")); err == nil && st.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v, want 0600", st.Mode().Perm())
	}
	os.RemoveAll(filepath.Join(dir, "data"))
	code, _, errs = cmd(t, "", "-e", "--path.logs", logs+"2", "run", "--once", "-c", path)
	if code != ExitOK || !strings.Contains(errs, "shipper started") {
		t.Errorf("-e: exit %d, the log is not on stderr: %q", code, errs)
	}
}
