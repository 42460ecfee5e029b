package flowtest

import (
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
// waits for it to exit (it does at the end of the file).
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
	cmd := exec.Command("pmacctd", "-f", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(logf.Name())
		t.Fatalf("pmacctd: %v\n%s", err, out)
	}
}
