//go:build linux

package addhostmetadata

import (
	"os"
	"syscall"
	"testing"

	"github.com/shipper-project/shipper/shipper/fields"
)

// TestFromTheBox checks the fields against this machine, read by other
// means (os.Hostname, uname(2), /etc/os-release).
func TestFromTheBox(t *testing.T) {
	e := run(t, build(t, "~"), `{"message": "x"}`)
	host, _ := os.Hostname()
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"host.hostname":     host,
		"host.name":         host,
		"host.architecture": charsToString(u.Machine[:]),
		"host.os.kernel":    charsToString(u.Release[:]),
		"host.os.type":      "linux",
	} {
		if got, _ := e.Fields.GetString(k); got != want || want == "" {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if rel, err := os.ReadFile("/etc/os-release"); err == nil {
		kv := parseOSRelease(rel)
		if got, _ := e.Fields.GetString("host.os.platform"); got != kv["ID"] {
			t.Errorf("host.os.platform = %q, want %q", got, kv["ID"])
		}
		if got, _ := e.Fields.GetString("host.os.name"); got != kv["NAME"] {
			t.Errorf("host.os.name = %q, want %q", got, kv["NAME"])
		}
	}
	// netinfo.enabled defaults to true (Beats 8); the box has an address.
	ips, _ := e.Fields.Get("host.ip")
	if l, ok := ips.([]string); !ok || len(l) == 0 {
		t.Errorf("host.ip = %v", ips)
	}
	if err := fields.Check(e, fieldsYAML); err != nil {
		t.Error(err)
	}
}
