//go:build integration

package mpstat

import (
	"context"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
)

// TestRealMpstat runs Debian's mpstat through the command mode in the C
// locale (24-hour), en_US.UTF-8 (12-hour AM/PM, 4-digit year) and
// de_DE.UTF-8 (decimal comma, "Durchschn.:") and checks the events.
func TestRealMpstat(t *testing.T) {
	sysstattest.RequireProgram(t, "mpstat", "sysstat")
	for _, tc := range []struct{ locale, marker string }{
		{"C", ""},
		{"en_US.UTF-8", "M "}, // "08:27:31 AM  all"
		{"de_DE.UTF-8", ","},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			if tc.locale != "C" {
				sysstattest.RequireLocale(t, tc.locale)
			}
			env := []string{"LC_ALL=" + tc.locale}
			argv := []string{"mpstat", "-P", "ALL", "1", "1"}
			// The raw text, to be sure the variant under test is the one
			// printed.
			raw, err := sysstat.CommandSource(sysstat.CommandConfig{Command: argv, Period: 10 * time.Second, Env: env})(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(raw), tc.marker) {
				t.Fatalf("LC_ALL=%s mpstat output lacks %q:\n%s", tc.locale, tc.marker, raw)
			}
			cfg := DefaultConfig()
			cfg.Command.Command = argv
			cfg.Command.Env = env
			cfg.Timezone = "Local" // mpstat prints the system zone's time
			start := time.Now().Add(-2 * time.Second)
			evs, m := runOnce(t, cfg)
			if n := m.Counter("input.cpu.run_failures").Load(); n != 0 {
				t.Fatalf("run_failures = %d", n)
			}
			ncpu := onlineCPUs(t)
			if len(evs) != ncpu+1 {
				t.Fatalf("%d events, want all + %d CPUs", len(evs), ncpu)
			}
			sysstattest.CheckCatalog(t, evs, Fields, filestream.Fields)
			for i, e := range evs {
				if e.HasTag(ParseFailureTag) {
					t.Errorf("event %d: parse failure: %v", i, e.Fields)
				}
				if e.Timestamp.Before(start.Truncate(time.Second)) || e.Timestamp.After(time.Now().Add(time.Second)) {
					t.Errorf("event %d: @timestamp %v is not the sample time (now %v)", i, e.Timestamp, time.Now())
				}
				idle := "system.core.idle.pct"
				if i == 0 {
					idle = "system.cpu.idle.norm.pct"
				}
				v, _ := e.Fields.Get(idle)
				if f, ok := v.(float64); !ok || f < 0 || f > 1 {
					t.Errorf("event %d: %s = %v, want a fraction", i, idle, v)
				}
			}
		})
	}
}

func onlineCPUs(t *testing.T) int {
	out, err := exec.Command("getconf", "_NPROCESSORS_ONLN").Output()
	if err != nil {
		return runtime.NumCPU()
	}
	var n int
	for _, c := range strings.TrimSpace(string(out)) {
		n = n*10 + int(c-'0')
	}
	return n
}
