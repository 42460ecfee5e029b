package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
)

func TestTestConfig(t *testing.T) {
	f := func(name, yml string, wantCode int, wantOut string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "shipper.yml")
		if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		code := run([]string{"test", "config", "-c", path}, nil, &out, &errb)
		got := out.String() + errb.String()
		if code != wantCode || !strings.Contains(got, wantOut) {
			t.Errorf("%s: exit %d, output %q; want exit %d containing %q", name, code, got, wantCode, wantOut)
		}
	}
	f("ok", "shipper.inputs:\n  - {type: squid, id: a, paths: [/var/log/squid/access.log]}\noutput.console: {}\n", 0, "Config OK")
	f("plugin key typo", "shipper.inputs:\n  - type: squid\n    id: a\n    paths: [x]\n    close.on_state_change.inactiv: 5m\noutput.console: {}\n", 2,
		`shipper.yml:5: shipper.inputs[0].close.on_state_change.inactiv: unknown key "inactiv" (did you mean "inactive"?)`)
	f("unknown input", "shipper.inputs:\n  - {type: nope, id: a}\noutput.console: {}\n", 2, `shipper.yml:2: shipper.inputs[0].type: unknown input type "nope"`)
	f("output key", "shipper.inputs:\n  - {type: squid, id: a, paths: [x]}\noutput.elasticsearch: {hosts: [x], workers: 2}\n", 2,
		`output.elasticsearch.workers: unknown key "workers" (did you mean "worker"?)`)
}

func TestStrictPermsRefusesWorldReadableSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shipper.yml")
	os.WriteFile(path, []byte("shipper.inputs:\n  - {type: squid, id: a, paths: [x]}\noutput.elasticsearch: {hosts: [x], password: s3cret}\n"), 0o644)
	var out, errb bytes.Buffer
	code := run([]string{"test", "config", "-c", path}, nil, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), path+":3: output.elasticsearch.password: a literal password, and the file is readable by others") || strings.Contains(errb.String(), "s3cret") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	// -E is on the command line, which every local user can read.
	os.Chmod(path, 0o600)
	errb.Reset()
	code = run([]string{"test", "config", "-c", path, "-E", "output.elasticsearch.api_key=s3cret"}, nil, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "-E output.elasticsearch.api_key: a literal api_key on the command line") || strings.Contains(errb.String(), "s3cret") {
		t.Errorf("-E api_key=…: exit %d, stderr %q", code, errb.String())
	}
	code = run([]string{"test", "config", "--strict.perms=false", "-c", path}, nil, &out, &errb)
	if code != 0 {
		t.Errorf("--strict.perms=false: exit %d, stderr %q", code, errb.String())
	}
}

func TestTestConfigReportsAnOldGeoIPDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "city.mmdb")
	if err := geoiptest.WriteCityDBWith(db, geoiptest.Options{BuildTime: time.Now().AddDate(0, -4, 0)}, geoiptest.Cities()...); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "shipper.yml")
	os.WriteFile(path, []byte("shipper.inputs:\n  - {type: squid, id: a, paths: [x], geoip.database: "+db+"}\noutput.console: {}\n"), 0o600)
	var out, errb bytes.Buffer
	code := run([]string{"test", "config", "-c", path}, nil, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "Config OK") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), db) || !strings.Contains(strings.ToLower(errb.String()), "old") {
		t.Errorf("test config does not report the 4-month-old database:\n%s", errb.String())
	}
}
