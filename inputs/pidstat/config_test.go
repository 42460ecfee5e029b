package pidstat

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
)

// The README's configuration blocks decode, validate, and show the real
// defaults (STYLE.md §7.2).
func TestREADMEConfig(t *testing.T) {
	sysstattest.CheckREADMEConfig(t, "README.md", DefaultConfig,
		[]string{"pidstat", "-h", "-u", "-r", "-d", "1", "1"}, []string{"/var/log/sysstat/pidstat*.txt"})
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
