package meminfo

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
)

// The README's configuration blocks decode, validate, and show the real
// defaults.
func TestREADMEConfig(t *testing.T) {
	secs := sysstattest.READMEInputs(t, "README.md")
	if len(secs) != 3 {
		t.Fatalf("%d input blocks in README.md, want 3", len(secs))
	}
	for i, sec := range secs {
		got := DefaultConfig()
		if err := sysstat.Decode(sec, &got); err != nil {
			t.Fatalf("block %d: %v", i+1, err)
		}
		if got.loc != time.Local {
			t.Errorf("block %d: zone %v", i+1, got.loc)
		}
		want := DefaultConfig()
		switch i {
		case 1:
			want.Command.Command = []string{"cat", "/proc/meminfo"}
			want.Command.Env = []string{}
		case 2:
			want.File.Paths = []string{"/var/log/meminfo*.txt"}
		}
		if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Config{})); d != "" {
			t.Errorf("block %d differs from the defaults (-want +got):\n%s", i+1, d)
		}
	}
}
