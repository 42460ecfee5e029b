package snmp

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gosnmp/gosnmp"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/shipper/config"
)

// readmeInputs returns the input sections of the README's ```yaml blocks.
func readmeInputs(t *testing.T) []config.Section {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []config.Section
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		root, err := config.Parse([]byte(m[1]), "README.md", nil)
		if err != nil {
			t.Fatal(err)
		}
		list := config.Section{Node: root}.Lookup("shipper.inputs")
		if list == nil {
			t.Fatalf("README block without shipper.inputs:\n%s", m[1])
		}
		for _, n := range list.Content {
			out = append(out, config.Section{Node: n, File: "README.md", Path: "shipper.inputs[0]"})
		}
	}
	return out
}

// The README's blocks decode, validate, and the first shows the defaults.
func TestREADMEConfig(t *testing.T) {
	t.Setenv("SNMP_AUTH_PASS", "auth-pass-1")
	t.Setenv("SNMP_PRIV_PASS", "priv-pass-1")
	secs := readmeInputs(t)
	if len(secs) != 2 {
		t.Fatalf("%d input blocks in README.md, want 2", len(secs))
	}
	got := defaultConfig()
	if err := secs[0].Decode(&got, inputs.CommonKeys...); err != nil {
		t.Fatal(err)
	}
	want := defaultConfig()
	want.Hosts = []string{"udp://192.0.2.1:161"}
	want.Interfaces = interfacesConfig{Include: []string{}, Exclude: []string{}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(conf{}, interfacesConfig{})); d != "" {
		t.Errorf("README block 1 differs from defaultConfig (-want +got):\n%s", d)
	}
	got = defaultConfig()
	if err := secs[1].Decode(&got, inputs.CommonKeys...); err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	if got.Version != version3 || got.level() != authPriv || got.AuthProtocol.gosnmp() != gosnmp.SHA256 || got.PrivProtocol.gosnmp() != gosnmp.AES256 ||
		got.AuthPassword.Reveal() != "auth-pass-1" || got.Period != 30*time.Second {
		t.Errorf("README block 2 decoded to %+v", got)
	}
	if _, err := New(secs[1], inputs.Env{ID: "x"}); err != nil {
		t.Errorf("New(README block 2): %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	f := func(y string, wantErrs ...string) {
		t.Helper()
		root, err := config.Parse([]byte(y), "test.yml", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = New(config.Section{Node: root, File: "test.yml", Path: "shipper.inputs[0]"}, inputs.Env{ID: "x"})
		if err == nil {
			t.Fatalf("New(%q) = nil error, want %q", y, wantErrs)
		}
		for _, w := range wantErrs {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("New(%q) error:\n%v\nwant it to contain %q", y, err, w)
			}
		}
		if strings.Contains(err.Error(), "secret-pass") {
			t.Errorf("error leaks a password: %v", err)
		}
	}
	f("type: snmp\n", "test.yml:1: shipper.inputs[0].hosts: at least one host is required")
	f("type: snmp\nhosts: [a]\nversion: 4\n", `test.yml:3`, `unknown version "4"`)
	f("type: snmp\nhosts: ['http://a']\n", "scheme must be udp:// or tcp://")
	f("type: snmp\nhosts: ['a:0', 'a:99999']\n", "port must be 1..65535")
	f("type: snmp\nhosts: [a, 'udp://a:161']\n", "listed twice")
	f("type: snmp\nhosts: [a]\nversion: 3\n", "username: required with version 3")
	f("type: snmp\nhosts: [a]\nversion: 3\nusername: u\nsecurity_level: authPriv\nauth_password: secret-pass\n", "priv_password: required")
	f("type: snmp\nhosts: [a]\nversion: 3\nusername: u\nauth_password: short\n", "at least 8 characters")
	f("type: snmp\nhosts: [a]\nauth_protocol: SHA-1024\n", "unknown auth_protocol")
	f("type: snmp\nhosts: [a]\npriv_protocol: 3DES\n", "unknown priv_protocol")
	f("type: snmp\nhosts: [a]\nsecurity_level: high\n", "unknown security_level")
	f("type: snmp\nhosts: [a]\nperiod: 0s\nretries: -1\nrate_margin: 0.5\nmax_repetitions: 0\nmax_concurrent_polls: 0\n",
		"period: must be > 0", "retries: must be >= 0", "rate_margin: must be >= 1", "max_repetitions: must be 1..255", "max_concurrent_polls: must be >= 1")
	f("type: snmp\nhosts: [a]\ninterfaces: {include: ['[']}\n", "bad glob")
	f("type: snmp\nhosts: [a]\ninterface: {include: [eth0]}\n", `interface`)
}

func TestParseHost(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		got, err := parseHost(in)
		if err != nil {
			t.Fatalf("parseHost(%q): %v", in, err)
		}
		if got.String() != want {
			t.Errorf("parseHost(%q) = %s, want %s", in, got, want)
		}
	}
	f("router1", "udp://router1:161")
	f("192.0.2.1:1161", "udp://192.0.2.1:1161")
	f("udp://192.0.2.1", "udp://192.0.2.1:161")
	f("tcp://192.0.2.1:1161", "tcp://192.0.2.1:1161")
	f("2001:db8::1", "udp://[2001:db8::1]:161")
	f("[2001:db8::1]:162", "udp://[2001:db8::1]:162")
	f("udp://[2001:db8::1]:162", "udp://[2001:db8::1]:162")
}

func TestProtocolNames(t *testing.T) {
	for _, p := range authProtocols {
		for _, spelling := range []string{p.name, strings.ToLower(p.name), strings.ReplaceAll(p.name, "-", "")} {
			if got := authProtocol(spelling).gosnmp(); got != p.p {
				t.Errorf("auth_protocol %q = %v, want %v", spelling, got, p.p)
			}
		}
	}
	for _, p := range privProtocols {
		if got := privProtocol(strings.ToLower(p.name)).gosnmp(); got != p.p {
			t.Errorf("priv_protocol %q = %v, want %v", p.name, got, p.p)
		}
	}
}

func TestSecretsNotPrinted(t *testing.T) {
	c := defaultConfig()
	c.Community, c.AuthPassword, c.PrivPassword = "secret-pass", "secret-pass", "secret-pass"
	for _, s := range []string{strings.Join([]string{c.Community.String(), c.AuthPassword.String()}, " ")} {
		if strings.Contains(s, "secret-pass") {
			t.Errorf("secret printed: %s", s)
		}
	}
}
