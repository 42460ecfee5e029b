package sdnotify

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// listen opens a unixgram socket standing in for systemd's.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 4096)
	n, err := c.Read(b)
	if err != nil {
		t.Fatalf("read notify socket: %v", err)
	}
	return string(b[:n])
}

func TestNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	c := listen(t, sock)
	t.Setenv("NOTIFY_SOCKET", sock)
	for _, state := range []string{Ready, Status("shipping 3 inputs"), Reloading, Stopping, Ready + "\n" + Status("x")} {
		sent, err := Notify(state)
		if !sent || err != nil {
			t.Fatalf("Notify(%q) = %v, %v", state, sent, err)
		}
		if got := recv(t, c); got != state {
			t.Errorf("socket got %q, want %q", got, state)
		}
	}
}

func TestNotifyAbstractSocket(t *testing.T) {
	name := "@shipper-test-" + strconv.Itoa(os.Getpid())
	c := listen(t, name)
	t.Setenv("NOTIFY_SOCKET", name)
	if _, err := Notify(Ready); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c); got != Ready {
		t.Errorf("abstract socket got %q", got)
	}
}

func TestNotifyOutsideSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Notify(Ready); sent || err != nil {
		t.Errorf("Notify without NOTIFY_SOCKET = %v, %v; want false, nil", sent, err)
	}
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	if _, err := Notify(Ready); err == nil {
		t.Error("Notify to a missing socket: no error")
	}
}

func TestWatchdogInterval(t *testing.T) {
	f := func(usec, pid string, want time.Duration, wantOK bool) {
		t.Helper()
		t.Setenv("WATCHDOG_USEC", usec)
		t.Setenv("WATCHDOG_PID", pid)
		d, ok := WatchdogInterval()
		if d != want || ok != wantOK {
			t.Errorf("WatchdogInterval(usec=%q pid=%q) = %v, %v; want %v, %v", usec, pid, d, ok, want, wantOK)
		}
	}
	me := strconv.Itoa(os.Getpid())
	f("", "", 0, false)
	f("30000000", "", 30*time.Second, true)
	f("30000000", me, 30*time.Second, true)
	f("30000000", "1", 0, false) // meant for another process
	f("abc", "", 0, false)
	f("0", "", 0, false)
}

func TestRunWatchdog(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	c := listen(t, sock)
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "2000000")
	t.Setenv("WATCHDOG_PID", "")
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var healthy atomic.Bool
		var pings atomic.Int32
		healthy.Store(true)
		done := make(chan error)
		go func() {
			done <- RunWatchdog(ctx, func() bool {
				if healthy.Load() {
					pings.Add(1)
					return true
				}
				return false
			})
		}()
		time.Sleep(3500 * time.Millisecond) // pings at 1 s, 2 s, 3 s
		synctest.Wait()
		healthy.Store(false)
		time.Sleep(2 * time.Second) // 4 s, 5 s: skipped
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunWatchdog = %v", err)
		}
		if pings.Load() != 3 {
			t.Errorf("pings = %d, want 3 (every WATCHDOG_USEC/2 while healthy)", pings.Load())
		}
	})
	var got []string
	for range 3 {
		got = append(got, recv(t, c))
	}
	if strings.Join(got, ",") != "WATCHDOG=1,WATCHDOG=1,WATCHDOG=1" {
		t.Errorf("socket got %q", got)
	}
}

func TestRunWatchdogWithoutWatchdog(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "")
	if err := RunWatchdog(context.Background(), nil); err != nil {
		t.Error(err)
	}
}
