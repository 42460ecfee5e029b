//go:build integration

package meminfo

import (
	"testing"
	"time"
)

// TestRealProc reads this machine's /proc/meminfo (hostfs "/"), and the
// same through the command mode (cat).
func TestRealProc(t *testing.T) {
	for _, name := range []string{"proc", "command"} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			if name == "command" {
				cfg.Command.Command = []string{"cat", "/proc/meminfo"}
			}
			m := runOnceReal(t, cfg)
			if len(m) != 1 {
				t.Fatalf("%d events, want 1", len(m))
			}
			e := m[0]
			total, _ := e.Fields.Get("system.memory.total")
			avail, _ := e.Fields.Get("system.memory.actual.free")
			if tt, ok := total.(int64); !ok || tt < 16<<20 {
				t.Errorf("total = %v", total)
			}
			if a, ok := avail.(int64); !ok || a <= 0 || a > total.(int64) {
				t.Errorf("actual.free = %v (total %v)", avail, total)
			}
			if time.Since(e.Timestamp) > time.Minute {
				t.Errorf("@timestamp %v", e.Timestamp)
			}
		})
	}
}
