package keystore

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/shipper/config"
)

func TestRoundTripEncryptedAtRest(t *testing.T) {
	for _, pw := range []string{"", "correct horse"} {
		path := Path(filepath.Join(t.TempDir(), "data")) // directory made on create
		s, err := Create(path, pw, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Set("ES_PASSWORD", "hunter2-very-secret"); err != nil {
			t.Fatal(err)
		}
		s.Set("es.api_key", "id:key-material-42")
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %#o, want 0600", fi.Mode().Perm())
		}
		raw, _ := os.ReadFile(path)
		for _, secret := range []string{"hunter2", "key-material", "ES_PASSWORD", "api_key"} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("password %q: %q readable in the file:\n%s", pw, secret, raw)
			}
		}
		s2, err := Open(path, pw)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if v, ok := s2.Get("ES_PASSWORD"); !ok || v != "hunter2-very-secret" {
			t.Errorf("Get = %q, %v", v, ok)
		}
		if got := strings.Join(s2.Keys(), ","); got != "ES_PASSWORD,es.api_key" {
			t.Errorf("Keys = %s", got)
		}
		if !s2.Remove("es.api_key") || s2.Remove("es.api_key") {
			t.Error("Remove: want true then false")
		}
		s2.Save()
		s3, _ := Open(path, pw)
		if s3.Has("es.api_key") || !s3.Has("ES_PASSWORD") {
			t.Errorf("after remove+save keys = %v", s3.Keys())
		}
		// A fresh nonce per save: two saves of the same content differ.
		s3.Save()
		raw2, _ := os.ReadFile(path)
		s3.Save()
		raw3, _ := os.ReadFile(path)
		if bytes.Equal(raw2, raw3) {
			t.Error("two saves wrote the same bytes: nonce reused")
		}
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	path := Path(dir)
	s, err := Create(path, "pw", false)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("A", "b")
	s.Save()

	if _, err := Create(path, "pw", false); !errors.Is(err, ErrExists) {
		t.Errorf("Create over an existing store: %v, want ErrExists", err)
	}
	if _, err := Open(path, "other"); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("Open with a wrong password: %v, want ErrWrongPassword", err)
	}
	if _, err := Open(path, ""); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("Open without the password: %v, want ErrWrongPassword", err)
	}
	// The header is authenticated: lowering the iterations is noticed.
	raw, _ := os.ReadFile(path)
	var f map[string]any
	json.Unmarshal(raw, &f)
	f["iterations"] = 1000
	b, _ := json.Marshal(f)
	tampered := filepath.Join(dir, "tampered.keystore")
	os.WriteFile(tampered, b, 0o600)
	if _, err := Open(tampered, "pw"); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("Open of a tampered header: %v, want ErrWrongPassword", err)
	}
	os.Chmod(path, 0o644)
	if _, err := Open(path, "pw"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("Open of a world-readable store: %v, want a refusal", err)
	}
	if _, err := Open(filepath.Join(dir, "none"), ""); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open of a missing store: %v", err)
	}
	if s, err := OpenIfExists(filepath.Join(dir, "none"), ""); s != nil || err != nil {
		t.Errorf("OpenIfExists of a missing store = %v, %v; want nil, nil", s, err)
	}
	for _, k := range []string{"", "1A", "a b", "${X}", ".a"} {
		if err := s.Set(k, "v"); err == nil {
			t.Errorf("Set(%q) accepted an invalid key", k)
		}
	}
}

// ${NAME} in the configuration resolves from the keystore first, then from
// the environment.
func TestConfigResolvesFromKeystoreThenEnv(t *testing.T) {
	t.Setenv("SHIPPER_KS_TEST_USER", "from-env")
	t.Setenv("SHIPPER_KS_TEST_PW", "env-loses")
	s, err := Create(Path(t.TempDir()), "", false)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("SHIPPER_KS_TEST_PW", "from-keystore")
	yml := `output.elasticsearch:
  hosts: ["http://127.0.0.1:9200"]
  username: ${SHIPPER_KS_TEST_USER}
  password: ${SHIPPER_KS_TEST_PW}
`
	type esOut struct {
		Username string        `yaml:"username"`
		Password config.Secret `yaml:"password"`
	}
	var doc struct {
		Output struct {
			ES esOut `yaml:"elasticsearch"`
		} `yaml:"output"`
	}
	root, err := config.Parse([]byte(yml), "shipper.yml", nil, config.WithResolver(s.Resolver(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	out := doc.Output.ES
	if out.Username != "from-env" || out.Password.Reveal() != "from-keystore" {
		t.Errorf("username %q password %q, want from-env / from-keystore", out.Username, out.Password.Reveal())
	}
	_, err = config.LoadBytes([]byte("path.data: ${SHIPPER_KS_TEST_MISSING}\n"), "shipper.yml", nil, config.WithResolver(s.Resolver(nil)))
	if err == nil || !strings.Contains(err.Error(), "keystore or environment variable SHIPPER_KS_TEST_MISSING is not set") {
		t.Errorf("missing name: %v", err)
	}
	// Without a resolver the environment alone is used (as before).
	root, err = config.Parse([]byte(yml), "shipper.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	root.Decode(&doc)
	if out := doc.Output.ES; out.Password.Reveal() != "env-loses" {
		t.Errorf("without keystore password = %q", out.Password.Reveal())
	}
}

func BenchmarkOpen(b *testing.B) {
	path := Path(b.TempDir())
	s, _ := Create(path, "pw", false)
	s.Set("A", "b")
	s.Save()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(path, "pw"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPasswordSources(t *testing.T) {
	creds := t.TempDir()
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	f := func(name, wantPw, wantSource string) {
		t.Helper()
		pw, src, err := Password(getenv)
		if err != nil || pw != wantPw || src != wantSource {
			t.Errorf("%s: Password() = %q, %q, %v; want %q, %q", name, pw, src, err, wantPw, wantSource)
		}
	}
	f("nothing", "", "")
	env[CredentialsEnv] = creds
	f("empty credentials directory", "", "")
	os.WriteFile(filepath.Join(creds, PasswordCredential), []byte("from-cred\r\n"), 0o400)
	f("credential", "from-cred", "$CREDENTIALS_DIRECTORY/keystore_password")
	env[PasswordEnv] = "from-env"
	f("environment first", "from-env", PasswordEnv)
}

func TestCredentialsResolver(t *testing.T) {
	creds := t.TempDir()
	os.WriteFile(filepath.Join(creds, "ES_PW"), []byte("pw\n"), 0o400)
	os.WriteFile(filepath.Join(creds, "RAW"), []byte("two\nlines\n\n"), 0o400)
	next := func(k string) (string, bool) { return "next:" + k, k != "NONE" }
	r := Credentials(creds, next)
	for _, c := range []struct {
		name, want string
		ok         bool
	}{{"ES_PW", "pw", true}, {"RAW", "two\nlines\n", true}, {"OTHER", "next:OTHER", true}, {"NONE", "next:NONE", false}} {
		if v, ok := r(c.name); v != c.want || ok != c.ok {
			t.Errorf("Credentials(%s) = %q, %v; want %q, %v", c.name, v, ok, c.want, c.ok)
		}
	}
	if v, _ := Credentials("", next)("ES_PW"); v != "next:ES_PW" {
		t.Errorf("without a credentials directory: %q", v)
	}
}
