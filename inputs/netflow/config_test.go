package netflow

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
)

// The README's configuration block decodes, validates and shows the
// defaults.
func TestREADMEConfig(t *testing.T) {
	secs := sysstattest.READMEInputs(t, "README.md")
	if len(secs) != 1 {
		t.Fatalf("%d input blocks in README.md, want 1", len(secs))
	}
	got := DefaultConfig()
	if err := secs[0].Decode(&got, inputs.CommonKeys...); err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.CustomDefinitions = []string{}
	if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Config{})); d != "" {
		t.Errorf("README differs from the defaults (-want +got):\n%s", d)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "defs.yml")
	os.WriteFile(bad, []byte("0:\n  33000: [x, float128]\nx:\n  1: [y, string]\n"), 0o644)
	c := DefaultConfig()
	c.Host = "2055"
	c.Protocols = []string{"v9", "v8", "v10"}
	c.QueueSize = 0
	c.MaxMessageSize = 70000
	c.InternalNetworks = []string{"10.0.0.0/8", "privat"}
	c.CustomDefinitions = []string{bad}
	c.ExporterStatsPeriod = -time.Second
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"host:", "protocols[1]: v8 is not supported", `protocols[2]: unknown protocol "v10"`, "queue_size:", "max_message_size:", `internal_networks: [1] "privat"`, `unknown type "float128"`, `enterprise number "x"`, "exporter_stats_period: must be >= 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestCustomDefinitions(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "defs.yml")
	os.WriteFile(p, []byte("9:\n  12235: [ciscoAvcApplication, unsigned32]\n0:\n  33000: [ingress_acl_id, octetArray]\n"), 0o644)
	h := newHarness(t, func(c *Config) { c.CustomDefinitions = []string{p} })
	tmpl := []byte{0, 2, 0, 20, 1, 0, 0, 2, 0, 8, 0, 4, 0x80 | 0x2f, 0xcb, 0, 4, 0, 0, 0, 9}
	data := []byte{1, 0, 0, 12, 10, 0, 0, 1, 0, 0, 0, 42}
	h.send("192.0.2.1:4739", ipfixDatagram(0, 1, tmpl, data))
	if len(h.evs) != 1 {
		t.Fatalf("%d events", len(h.evs))
	}
	if v, _ := h.evs[0].Fields.Get("netflow.cisco_avc_application"); v != uint64(42) {
		t.Errorf("custom element = %#v; fields %v", v, h.evs[0].Fields)
	}
}
