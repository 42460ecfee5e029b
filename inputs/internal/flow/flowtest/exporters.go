package flowtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Softflowd replays pcap through the real softflowd to dest (host:port) as
// NetFlow version ("5", "9", "10") and waits for it to export and exit.
//
// softflowd 1.1.0 reading a file (-r) blocks in accept() on its control
// socket between reads; each control request lets its loop run once. So we
// poke it with softflowctl until it has read to the end and exited (it
// expires and exports every flow on the way out).
func Softflowd(t testing.TB, pcap, dest, version string, extra ...string) {
	t.Helper()
	Need(t, "softflowd", "softflowd")
	Need(t, "softflowctl", "softflowd")
	dir := TempDir(t)
	ctl := filepath.Join(dir, "softflowd.ctl")
	args := append([]string{"-r", pcap, "-n", dest, "-v", version, "-d", "-p", filepath.Join(dir, "softflowd.pid"), "-c", ctl}, extra...)
	cmd := exec.Command("softflowd", args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("softflowd: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	pokes := 0
	lastPoke := time.Now()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("softflowd %s: %v\n%s", strings.Join(args, " "), err, out.String())
			}
			if !strings.Contains(out.String(), "Flows exported") {
				t.Fatalf("softflowd exported nothing:\n%s", out.String())
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
		// A poke that connects is progress; give up when none has
		// connected for 30 s.
		if exec.Command("softflowctl", "-c", ctl, "statistics").Run() == nil {
			pokes++
			lastPoke = time.Now()
		} else if time.Since(lastPoke) > 30*time.Second {
			cmd.Process.Kill()
			t.Fatalf("softflowd did not finish (%d control requests):\n%s", pokes, out.String())
		}
	}
}

// Pmacctd replays pcap through the real pmacctd with the sfprobe plugin to
// dest (host:port) as sFlow v5, one sample per packet (sampling_rate 1), and
// waits for it to exit (it does at the end of the file). pmacctd's output
// is printed if the test fails.
//
// pmacctd's exit status is not always its outcome: at the end of the
// file its core sleeps 2 s (the plugin exports on its 1 s tick), sends
// SIGINT to the plugin and waits for it; when the core is preempted
// between the two, the plugin's exit reaches the core's SIGCHLD handler
// first, which reaps it and exits 1 ("no more plugins active"). Seen
// once in nine runs on a loaded machine; forced with
// `strace -e inject=kill:delay_exit=200000 pmacctd ...`. The export is
// complete by then, so that exit is accepted (see pmacctdShutdownRace).
func Pmacctd(t testing.TB, pcap, dest string, extra ...string) {
	t.Helper()
	Need(t, "pmacctd", "pmacct")
	dir := TempDir(t)
	conf := filepath.Join(dir, "pmacctd.conf")
	lines := append([]string{
		"daemonize: false",
		"pcap_savefile: " + pcap,
		"plugins: sfprobe",
		"sfprobe_receiver: " + dest,
		"sfprobe_agentip: 127.0.0.1",
		"sampling_rate: 1",
	}, extra...)
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Output to a file, not a pipe: pmacctd's plugin process may outlive
	// the core and hold a pipe open.
	logf, err := os.Create(filepath.Join(dir, "pmacctd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	LogOnFailure(t, "pmacctd", logf.Name())
	cmd := exec.Command("pmacctd", "-f", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	err = cmd.Run()
	out, _ := os.ReadFile(logf.Name())
	switch {
	case err == nil:
	case pmacctdShutdownRace(err, out):
		t.Logf("pmacctd: %v after a complete export (its shutdown race: the plugin's exit reached the SIGCHLD handler first)", err)
	default:
		t.Fatalf("pmacctd: %v\n%s", err, Trim(out))
	}
}

// pmacctdShutdownRace reports whether pmacctd's failure is the race of its
// end-of-file shutdown (see Pmacctd): exit status 1, after the sfprobe
// plugin received its SIGINT and the core found no plugin left.
func pmacctdShutdownRace(err error, log []byte) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == 1 &&
		bytes.Contains(log, []byte("sfprobe ): Shutting down on user request.")) &&
		bytes.Contains(log, []byte("core ): no more plugins active. Shutting down."))
}

// LogOnFailure prints the file at path (a daemon's output) at the end of
// the test if it failed, so that a failure shows what the program said.
func LogOnFailure(t testing.TB, name, path string) {
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(path)
			t.Logf("%s output (%s):\n%s", name, path, Trim(b))
		}
	})
}

// Trim drops pmacct's line listing its build options (2 KB) from its output.
func Trim(out []byte) string {
	var b strings.Builder
	for l := range strings.Lines(string(out)) {
		if !strings.Contains(l, "'--build=") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// UDPBound reports whether a UDP socket is bound to port on this host, from
// /proc/net/udp and /proc/net/udp6. A daemon is listening once it is; unlike
// binding the port to see whether it is taken, reading the table cannot take
// the port from the daemon in the instant it binds.
func UDPBound(t testing.TB, port int) bool {
	t.Helper()
	suffix := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read the UDP socket table: %v", err)
		}
		for l := range strings.Lines(string(b)) {
			// "  sl  local_address rem_address   st ..."
			if fs := strings.Fields(l); len(fs) > 1 && strings.HasSuffix(fs[1], suffix) {
				return true
			}
		}
	}
	return false
}
