package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckPermsFindsEverySecretSpelling: a file others may read is refused
// when it holds a literal secret, however the secret is written, and the
// error names the file, the line and the key; the value never appears.
func TestCheckPermsFindsEverySecretSpelling(t *testing.T) {
	f := func(name, yml, wantLoc string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "shipper.yml")
		if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, 0o644) // whatever the umask
		err := CheckPerms(path)
		if err == nil {
			t.Errorf("%s: CheckPerms = nil, want a refusal naming %q", name, wantLoc)
			return
		}
		msg := err.Error()
		if !strings.Contains(msg, path+":"+wantLoc) {
			t.Errorf("%s: CheckPerms = %q, want it to name %q", name, msg, path+":"+wantLoc)
		}
		if strings.Contains(msg, "s3cret") {
			t.Errorf("%s: CheckPerms = %q: the secret is in the message", name, msg)
		}
	}
	f("nested", "output.elasticsearch:\n  hosts: [x]\n  password: s3cret\n", "3: output.elasticsearch.password")
	f("dotted", "output.elasticsearch.hosts: [x]\noutput.elasticsearch.password: s3cret\n", "2: output.elasticsearch.password")
	f("dotted inside nested", "output:\n  elasticsearch.password: \"s3cret\"\n", "2: output.elasticsearch.password")
	f("flow mapping", "output.elasticsearch: {hosts: [x], api_key: 's3cret'}\n", "1: output.elasticsearch.api_key")
	f("upper case key", "output.elasticsearch:\n  Password: s3cret\n", "2: output.elasticsearch.Password")
	f("url in hosts", "output.elasticsearch:\n  hosts:\n    - https://es:9200\n    - https://elastic:s3cret@es2:9200\n", "4: output.elasticsearch.hosts[1]")
	f("url without scheme", "output.elasticsearch.hosts: [\"elastic:s3cret@es:9200\"]\n", "1: output.elasticsearch.hosts[0]")
	f("proxy url", "output.elasticsearch:\n  proxy_url: http://user:s3cret@proxy:3128\n", "2: output.elasticsearch.proxy_url")
	f("token in a url query", "setup.kibana.host: \"https://kb:5601/?api_key=s3cret\"\n", "1: setup.kibana.host")
	f("authorization header", "output.elasticsearch:\n  headers:\n    Authorization: Basic czNjcmV0\n", "3: output.elasticsearch.headers.Authorization")
	f("dotted header", "output.elasticsearch.headers.X-Api-Key: s3cret\n", "1: output.elasticsearch.headers.X-Api-Key")
	f("ssl key passphrase", "output.elasticsearch.ssl:\n  key_passphrase: s3cret\n", "2: output.elasticsearch.ssl.key_passphrase")
	f("inline private key", "output.elasticsearch.ssl.key: |\n  -----BEGIN PRIVATE KEY-----\n  czNjcmV0\n  -----END PRIVATE KEY-----\n", "1: output.elasticsearch.ssl.key")
	f("kibana password", "setup.kibana:\n  host: kb:5601\n  password: s3cret\n", "3: setup.kibana.password")
	f("snmp v2c community", "shipper.inputs:\n  - type: snmp\n    id: sw\n    hosts: [10.0.0.1]\n    community: s3cret\n", "5: shipper.inputs[0].community")
	f("snmp v3", "shipper.inputs:\n  - {type: snmp, id: sw, hosts: [10.0.0.1]}\n  - type: snmp\n    id: r\n    auth_password: s3cret\n", "5: shipper.inputs[1].auth_password")
	f("snmp v3 priv", "shipper.inputs:\n  - type: snmp\n    priv_password: s3cret\n", "3: shipper.inputs[0].priv_password")
	f("yaml alias", "x: &pw s3cret\noutput.elasticsearch.password: *pw\n", "2: output.elasticsearch.password")
	f("literal next to a reference", "output.elasticsearch.password: \"s3cret${SUFFIX}\"\n", "1: output.elasticsearch.password")
	f("literal default of a reference", "output.elasticsearch.password: \"${ES_PW:s3cret}\"\n", "1: output.elasticsearch.password")

	// every secret is named, not only the first
	path := filepath.Join(t.TempDir(), "shipper.yml")
	os.WriteFile(path, []byte("output.elasticsearch.password: a\nsetup.kibana.api_key: b\n"), 0o644)
	os.Chmod(path, 0o644)
	err := CheckPerms(path)
	if err == nil || !strings.Contains(err.Error(), ":1: output.elasticsearch.password") || !strings.Contains(err.Error(), ":2: setup.kibana.api_key") {
		t.Errorf("two secrets: CheckPerms = %v, want both named", err)
	}
}

// TestCheckPermsAcceptsReferencesAndPrivateFiles: ${NAME} references are not
// secrets in the file; a file only its owner (and group) may read may hold
// secrets; writable by others is refused whatever it holds.
func TestCheckPermsAcceptsReferencesAndPrivateFiles(t *testing.T) {
	f := func(name, yml string, mode os.FileMode, wantErr string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "shipper.yml")
		os.WriteFile(path, []byte(yml), mode)
		os.Chmod(path, mode)
		err := CheckPerms(path)
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: CheckPerms = %v, want nil", name, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%s: CheckPerms = %v, want an error containing %q", name, err, wantErr)
		}
	}
	refs := "output.elasticsearch:\n  hosts: [\"https://${ES_USER}:${ES_PW}@es:9200\", \"https://es2:9200\"]\n" +
		"  password: ${ES_PW}\n  api_key: \"${ES_API_KEY}\"\n  headers: {Authorization: \"${ES_AUTH}\", X-Opaque-Id: shipper}\n" +
		"  ssl.key: /etc/shipper/client.key\n  ssl.key_passphrase: '${KEY_PASS:}'\n  username: elastic\n" +
		"setup.kibana: {host: \"https://kb:5601\", password: \"\"}\n" +
		"shipper.inputs:\n  - {type: snmp, id: sw, hosts: [\"udp://10.0.0.1:161\"], community: \"${SNMP_COMMUNITY}\"}\n" +
		"processors:\n  - add_fields: {fields: {contact: ops@example.org, link: \"https://example.org/a@b\"}}\n"
	f("references only", refs, 0o644, "")
	f("secret, owner only", "output.elasticsearch.password: s3cret\n", 0o600, "")
	f("secret, owner and group", "output.elasticsearch.password: s3cret\n", 0o640, "")
	f("group writable", "output.console: {}\n", 0o664, "writable by group or others")
	f("not yaml", "output.elasticsearch.password: [s3cret\n", 0o644, "")
}

// TestCheckOverrides: -E values are on the command line, which every local
// user can read (ps, /proc/PID/cmdline).
func TestCheckOverrides(t *testing.T) {
	err := CheckOverrides([]string{"shipper.shutdown_timeout=1s", "output.elasticsearch.password=s3cret", "output.elasticsearch.api_key=${K}",
		"output.elasticsearch.hosts=[\"https://u:s3cret@es:9200\"]"})
	if err == nil {
		t.Fatal("CheckOverrides = nil, want the password and the host named")
	}
	msg := err.Error()
	for _, want := range []string{"-E output.elasticsearch.password:", "-E output.elasticsearch.hosts[0]:", "command line"} {
		if !strings.Contains(msg, want) {
			t.Errorf("CheckOverrides = %q, want %q in it", msg, want)
		}
	}
	if strings.Contains(msg, "s3cret") || strings.Contains(msg, "api_key") || strings.Contains(msg, "shutdown") {
		t.Errorf("CheckOverrides = %q: names a value or a key that is no secret", msg)
	}
	if err := CheckOverrides([]string{"output.elasticsearch.password=${ES_PW}", "path.data=/tmp/x"}); err != nil {
		t.Errorf("references only: CheckOverrides = %v", err)
	}
}
