package pidstat

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
)

// The README's configuration blocks decode, validate, and show the real
// defaults (STYLE.md §7.2).
func TestREADMEConfig(t *testing.T) {
	secs := sysstattest.READMEInputs(t, "README.md")
	if len(secs) != 2 {
		t.Fatalf("%d input blocks in README.md, want 2 (command, paths)", len(secs))
	}
	for i, sec := range secs {
		got := DefaultConfig()
		if err := sysstat.Decode(sec, &got); err != nil {
			t.Fatalf("block %d: %v", i+1, err)
		}
		if got.Loc != time.Local {
			t.Errorf("block %d: zone %v, want the system zone", i+1, got.Loc)
		}
		got.Loc = nil // *time.Location is opaque to cmp
		want := DefaultConfig()
		if i == 0 {
			want.Command.Command = []string{"pidstat", "-h", "-u", "-r", "-d", "1", "1"}
		} else {
			want.File.Paths = []string{"/var/log/sysstat/pidstat*.txt"}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("block %d differs from the defaults (-want +got):\n%s", i+1, d)
		}
	}
}

// Without paths or command the error says one of them is required and
// suggests a pidstat command, not an mpstat one (issue 19).
func TestMissingModeSuggestsPidstat(t *testing.T) {
	cfg := DefaultConfig()
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error without paths or command")
	}
	if msg := err.Error(); !strings.Contains(msg, "[pidstat,") || strings.Contains(msg, "mpstat") || !strings.Contains(msg, "required") {
		t.Errorf("error = %q, want one that says paths or command is required with a pidstat example", msg)
	}
}
