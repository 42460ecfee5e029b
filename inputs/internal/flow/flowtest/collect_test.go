package flowtest

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// DaemonCPU reads the clock ticks /proc accounts to a process: after this
// process has used at least 50 ms of CPU (by its own rusage), it reports
// at least 3 ticks of 10 ms (USER_HZ is 100 on Linux).
func TestDaemonCPU(t *testing.T) {
	used := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	x := 0
	for used() < 50*time.Millisecond {
		for i := range 1 << 16 {
			x += i
		}
	}
	if got := DaemonCPU(os.Getpid())(); got < 3 {
		t.Fatalf("DaemonCPU of this process after %v of CPU: %d ticks, want at least 3 (x=%d)", used(), got, x)
	}
	if got := DaemonCPU(1 << 30)(); got != 0 {
		t.Fatalf("DaemonCPU of a process that does not exist: %d ticks, want 0", got)
	}
}
