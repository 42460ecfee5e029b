package flowtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// Collector is a pipeline.Client that keeps every event.
type Collector struct {
	mu     sync.Mutex
	events []*event.Event
	// Block, when set, makes Publish wait until it is closed (a stalled
	// output).
	Block chan struct{}
}

// Publish records e.
func (c *Collector) Publish(ctx context.Context, e *event.Event) error {
	if c.Block != nil {
		select {
		case <-c.Block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
	return nil
}

// Events returns a copy of the events so far.
func (c *Collector) Events() []*event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*event.Event(nil), c.events...)
}

// Len is the number of events so far.
func (c *Collector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// WaitFor polls cond until it holds. progress returns a number that grows
// while work is being done; the wait fails only when it has not moved for
// stall (so a loaded machine is slow, not failing).
func WaitFor(t testing.TB, what string, stall time.Duration, progress func() int64, cond func() bool) {
	t.Helper()
	last, lastMove := progress(), time.Now()
	for !cond() {
		if p := progress(); p != last {
			last, lastMove = p, time.Now()
		}
		if time.Since(lastMove) > stall {
			t.Fatalf("waiting for %s: no progress for %s (at %d)", what, stall, last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Need fails the test when a program is missing, naming the package.
func Need(t testing.TB, prog, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		t.Fatalf("%s not found: install the Debian package %s (scripts/test.sh does)", prog, pkg)
	}
	return p
}

// Run runs a program to its end and fails the test with its output if it
// fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Get returns e's value of key (nil when absent).
func Get(e *event.Event, key string) any {
	v, _ := e.Fields.Get(key)
	return v
}

// Key renders a flow key as the tests compare it.
func Key(src, dst string, sport, dport any, proto any) string {
	return fmt.Sprintf("%v:%v>%v:%v/%v", src, sport, dst, dport, proto)
}

// TempDir is t.TempDir but readable by other users (pmacctd drops
// privileges).
func TempDir(t testing.TB) string {
	d := t.TempDir()
	os.Chmod(d, 0o755)
	return d
}

// DaemonCPU returns a WaitFor progress function for a daemon the test
// started: the CPU time (clock ticks) of process pid and of every process
// in the process group it leads (its forked plugins). While the daemon
// starts up (zeroing a cache, loading, binding) the number grows, so a
// loaded machine makes the wait longer instead of failing it; a daemon
// stuck without working stops it.
func DaemonCPU(pid int) func() int64 {
	return func() int64 {
		dirs, _ := os.ReadDir("/proc")
		var sum int64
		for _, d := range dirs {
			b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
			if err != nil {
				continue
			}
			// pid (comm) state ppid pgrp session tty tpgid flags minflt
			// cminflt majflt cmajflt utime stime: after the last ')'.
			s := string(b)
			i := strings.LastIndexByte(s, ')')
			if i < 0 {
				continue
			}
			f := strings.Fields(s[i+1:])
			if len(f) < 13 {
				continue
			}
			self := strings.Fields(s[:i])
			if len(self) == 0 {
				continue
			}
			if self[0] != strconv.Itoa(pid) && f[2] != strconv.Itoa(pid) {
				continue
			}
			u, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			sum += u + st
		}
		return sum
	}
}
