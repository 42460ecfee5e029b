package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// TestKeystoreCreateWarnsWithoutPassword: without a password the keystore
// only obfuscates; create says so, and says how to get a real one.
func TestKeystoreCreateWarnsWithoutPassword(t *testing.T) {
	data := t.TempDir()
	t.Setenv(keystore.PasswordEnv, "")
	t.Setenv(keystore.CredentialsEnv, "")
	code, _, errs := cmd(t, "", "keystore", "create", "--path.data", data)
	if code != 0 || !strings.Contains(errs, "not encrypted") || !strings.Contains(errs, keystore.PasswordEnv) || !strings.Contains(errs, "keystore_password") {
		t.Errorf("create without a password: exit %d, stderr %q; want a warning that it is not encrypted, naming %s and the keystore_password credential", code, errs, keystore.PasswordEnv)
	}
	t.Setenv(keystore.PasswordEnv, "pw")
	code, _, errs = cmd(t, "", "keystore", "create", "--force", "--path.data", data)
	if code != 0 || errs != "" {
		t.Errorf("create with a password: exit %d, stderr %q; want no warning", code, errs)
	}
}

// TestKeystoreUsesSystemdCredentials: under systemd with LoadCredential=,
// the keystore password is $CREDENTIALS_DIRECTORY/keystore_password, and
// ${NAME} also resolves from $CREDENTIALS_DIRECTORY/NAME.
func TestKeystoreUsesSystemdCredentials(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	creds := filepath.Join(dir, "creds")
	os.Mkdir(creds, 0o700)
	os.WriteFile(filepath.Join(creds, "keystore_password"), []byte("cred-pass\n"), 0o400)
	os.WriteFile(filepath.Join(creds, "ES_API_KEY"), []byte("id:from-credential\n"), 0o400)
	t.Setenv(keystore.PasswordEnv, "")
	t.Setenv(keystore.CredentialsEnv, creds)
	t.Setenv("ES_API_KEY", "from-env-loses")

	if code, _, errs := cmd(t, "", "keystore", "create", "--path.data", data); code != 0 || strings.Contains(errs, "not encrypted") {
		t.Fatalf("create: exit %d, stderr %q; want no warning (the credential is the password)", code, errs)
	}
	if code, _, errs := cmd(t, "pw-in-keystore\n", "keystore", "add", "ES_PW", "--stdin", "--path.data", data); code != 0 {
		t.Fatalf("add: exit %d, stderr %q", code, errs)
	}
	s, err := keystore.Open(keystore.Path(data), "cred-pass")
	if err != nil {
		t.Fatalf("the keystore is not encrypted with the credential's password: %v", err)
	}
	if v, _ := s.Get("ES_PW"); v != "pw-in-keystore" {
		t.Errorf("ES_PW = %q", v)
	}

	cfgFile := filepath.Join(dir, "shipper.yml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`path.data: %q
shipper.inputs:
  - {type: squid, id: sq, paths: [/nonexistent/access.log]}
output.elasticsearch:
  hosts: ["http://127.0.0.1:9"]
  username: shipper
  password: ${ES_PW}
  api_key: ${ES_API_KEY}
`, data)), 0o600)
	cfg, err := (&common{configFile: cfgFile, strictPerms: true}).load()
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	var es struct {
		Password string `yaml:"password"`
		APIKey   string `yaml:"api_key"`
	}
	cfg.Output["elasticsearch"].Node.Decode(&es)
	if es.Password != "pw-in-keystore" || es.APIKey != "id:from-credential" {
		t.Errorf("password %q api_key %q; want pw-in-keystore (keystore) and id:from-credential (credential, before the environment)", es.Password, es.APIKey)
	}
}

// TestKeystoreCreatedByRootBelongsToTheDataDirOwner: `sudo shipper keystore
// add` on the service's path.data must leave a keystore the service user
// can open.
func TestKeystoreCreatedByRootBelongsToTheDataDirOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CI runs the tests as root)")
	}
	data := t.TempDir()
	const uid, gid = 4242, 4343
	if err := os.Chown(data, uid, gid); err != nil {
		t.Fatal(err)
	}
	t.Setenv(keystore.PasswordEnv, "pw")
	code, out, errs := cmd(t, "v\n", "keystore", "add", "K", "--stdin", "--path.data", data)
	if code != 0 {
		t.Fatalf("add: exit %d, stderr %q", code, errs)
	}
	fi, err := os.Stat(keystore.Path(data))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != uid || st.Gid != gid || fi.Mode().Perm() != 0o600 {
		t.Errorf("keystore made by root in a directory of %d:%d: owner %d:%d mode %v; want the directory's owner, 0600", uid, gid, st.Uid, st.Gid, fi.Mode())
	}
	if !strings.Contains(out, "4242") {
		t.Errorf("add: stdout %q; want it to say the keystore was given to uid 4242", out)
	}
	// Saving again (remove) keeps the owner.
	if code, _, errs := cmd(t, "", "keystore", "remove", "K", "--path.data", data); code != 0 {
		t.Fatalf("remove: exit %d, stderr %q", code, errs)
	}
	fi, _ = os.Stat(keystore.Path(data))
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid {
		t.Errorf("after remove the keystore is owned by %d", st.Uid)
	}
}
