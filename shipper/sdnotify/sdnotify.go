// Package sdnotify speaks systemd's notify protocol (sd_notify(3)) without
// libsystemd: one datagram per state change to the unix socket named by
// $NOTIFY_SOCKET. The shipper's unit is Type=notify so that
// `systemctl start` returns once the inputs run (not when the process
// merely exists), and WatchdogSec= restarts a shipper whose main loop hangs.
//
// Outside systemd (no $NOTIFY_SOCKET) every call is a no-op.
package sdnotify

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"time"
)

// The states the shipper sends.
const (
	Ready     = "READY=1"
	Stopping  = "STOPPING=1"
	Reloading = "RELOADING=1"
	Watchdog  = "WATCHDOG=1"
)

// Status returns a STATUS= line (shown by `systemctl status`).
func Status(s string) string { return "STATUS=" + s }

// Notify sends state (one or more "KEY=value" lines joined by "\n") to
// $NOTIFY_SOCKET. It returns false, nil when the variable is not set
// (not started by systemd, or not Type=notify).
func Notify(state string) (bool, error) {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return false, nil
	}
	return true, Send(sock, state)
}

// Send writes state to the datagram socket at path. A leading '@' names an
// abstract socket (Go maps it to the leading NUL byte).
func Send(path, state string) error {
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// WatchdogInterval returns systemd's WatchdogSec for this process, from
// $WATCHDOG_USEC (and $WATCHDOG_PID, when set, must be our pid). ok is
// false when no watchdog is asked for.
func WatchdogInterval() (d time.Duration, ok bool) {
	us := os.Getenv("WATCHDOG_USEC")
	if us == "" {
		return 0, false
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0, false
	}
	n, err := strconv.ParseInt(us, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return time.Duration(n) * time.Microsecond, true
}

// RunWatchdog pings the watchdog at half its interval until ctx is done,
// as sd_watchdog_enabled(3) recommends. When healthy is non-nil and
// returns false the ping is skipped, so that systemd restarts the service
// if the condition lasts a whole interval. It returns at once when there
// is no watchdog.
func RunWatchdog(ctx context.Context, healthy func() bool) error {
	d, ok := WatchdogInterval()
	if !ok {
		return nil
	}
	t := time.NewTicker(d / 2)
	defer t.Stop()
	var errs error
	for {
		select {
		case <-ctx.Done():
			return errs
		case <-t.C:
		}
		if healthy != nil && !healthy() {
			continue
		}
		if _, err := Notify(Watchdog); err != nil && errs == nil {
			errs = errors.Join(errs, err) // keep the first; the next ping may work
		}
	}
}
