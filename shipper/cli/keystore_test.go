package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/shipper/keystore"
)

// cmd runs the command line with stdin text; it returns the exit code and
// the outputs.
func cmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestKeystoreCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfgFile := filepath.Join(dir, "shipper.yml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf("path.data: %q\n", data)), 0o600)
	t.Setenv(keystore.PasswordEnv, "ks-pass")

	if code, out, errs := cmd(t, "", "keystore", "create", "-c", cfgFile); code != 0 || !strings.Contains(out, data) {
		t.Fatalf("create: %d %q %q", code, out, errs)
	}
	if code, _, errs := cmd(t, "", "keystore", "create", "-c", cfgFile); code == 0 || !strings.Contains(errs, "--force") {
		t.Errorf("create twice: %d %q, want a refusal naming --force", code, errs)
	}
	if code, out, errs := cmd(t, "s3cr3t-value\n", "keystore", "add", "ES_PW", "--stdin", "-c", cfgFile); code != 0 || strings.Contains(out, "s3cr3t") {
		t.Fatalf("add: %d %q %q", code, out, errs)
	}
	if code, _, errs := cmd(t, "other\n", "keystore", "add", "ES_PW", "--stdin", "-c", cfgFile); code == 0 || !strings.Contains(errs, "already exists") {
		t.Errorf("add existing: %d %q", code, errs)
	}
	// prompt form
	if code, out, errs := cmd(t, "key-value\n", "keystore", "add", "--path.data", data, "ES_KEY"); code != 0 || !strings.Contains(out, "Enter value for ES_KEY") || strings.Contains(out, "key-value") {
		t.Fatalf("add with prompt: %d %q %q", code, out, errs)
	}
	code, out, _ := cmd(t, "", "keystore", "list", "-c", cfgFile)
	if code != 0 || out != "ES_KEY\nES_PW\n" {
		t.Errorf("list = %d %q, want the two keys and no value", code, out)
	}
	fi, err := os.Stat(keystore.Path(data))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("keystore file: %v mode %v", err, fi.Mode())
	}
	raw, _ := os.ReadFile(keystore.Path(data))
	if strings.Contains(string(raw), "s3cr3t") {
		t.Error("value in clear in the keystore file")
	}

	// ${ES_PW} in the configuration resolves from the keystore.
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`path.data: %q
shipper.inputs:
  - {type: squid, id: sq, paths: [/nonexistent/access.log]}
output.elasticsearch:
  hosts: ["http://127.0.0.1:9"]
  username: shipper
  password: ${ES_PW}
`, data)), 0o600)
	c := &common{configFile: cfgFile, strictPerms: true}
	cfg, err := c.load()
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	var es struct {
		Password string `yaml:"password"`
	}
	cfg.Output["elasticsearch"].Node.Decode(&es)
	if es.Password != "s3cr3t-value" {
		t.Errorf("password from keystore = %q", es.Password)
	}
	// A wrong keystore password is an error, not a silent fallback.
	t.Setenv(keystore.PasswordEnv, "wrong")
	if _, err := c.load(); err == nil || !strings.Contains(err.Error(), "wrong") {
		t.Errorf("load with a wrong keystore password: %v", err)
	}
	t.Setenv(keystore.PasswordEnv, "ks-pass")

	if code, _, _ := cmd(t, "", "keystore", "remove", "ES_PW", "-c", cfgFile); code != 0 {
		t.Errorf("remove: %d", code)
	}
	if code, _, errs := cmd(t, "", "keystore", "remove", "ES_PW", "-c", cfgFile); code == 0 || !strings.Contains(errs, "not in the keystore") {
		t.Errorf("remove again: %d %q", code, errs)
	}
	if _, out, _ := cmd(t, "", "keystore", "list", "-c", cfgFile); out != "ES_KEY\n" {
		t.Errorf("list after remove = %q", out)
	}
}
