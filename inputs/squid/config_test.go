package squid

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
)

// The README's "defaults shown" block decodes, validates, and shows the
// real defaults (it said file_identity: native while the default is
// fingerprint; issue 19).
func TestREADMEConfig(t *testing.T) {
	secs := sysstattest.READMEInputs(t, "README.md")
	if len(secs) != 1 {
		t.Fatalf("%d input blocks in README.md, want 1", len(secs))
	}
	got := DefaultConfig()
	if err := secs[0].Decode(&got, inputs.CommonKeys...); err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Paths = []string{"/var/log/squid/access.log"}
	if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Config{}), cmpopts.EquateEmpty()); d != "" {
		t.Errorf("README block differs from the defaults (-want +got):\n%s", d)
	}
}
