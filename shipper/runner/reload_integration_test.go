//go:build integration

package runner

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// syncBuffer is a goroutine-safe log sink for a subprocess.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSIGHUPReloadAndGracefulStop(t *testing.T) {
	d := t.TempDir()
	cfgPath := filepath.Join(d, "shipper.yml")
	out := filepath.Join(d, "out")
	input := func(id, file string) string {
		return fmt.Sprintf("  - {type: filestream, id: %s, paths: [%q], prospector.scanner.check_interval: 100ms, backoff: {init: 10ms, max: 50ms}}\n", id, filepath.Join(d, file))
	}
	write := func(inputs string) {
		yml := "shipper.inputs:\n" + inputs + fmt.Sprintf("output.file: {path: %q, filename: out.ndjson}\npath.data: %q\nlogging.metrics.enabled: false\n", out, filepath.Join(d, "data"))
		if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	appendLines := func(file string, from, to int) {
		f, _ := os.OpenFile(filepath.Join(d, file), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		for i := from; i < to; i++ {
			f.WriteString(line(i))
		}
		f.Close()
	}
	e := &tailEnv{t: t, dir: d, cfg: cfgPath, out: out}
	appendLines("a.log", 0, 100)
	write(input("a", "a.log"))
	var logs syncBuffer
	cmd := exec.Command(shipperBin(t), "run", "-c", cfgPath)
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	e.waitAll(100)

	// Add an input: the new one is read, the old one is not read again.
	appendLines("b.log", 100, 200)
	write(input("a", "a.log") + input("b", "b.log"))
	cmd.Process.Signal(syscall.SIGHUP)
	got := e.waitAll(200)
	for i := range 200 {
		if got[i] != 1 {
			t.Fatalf("after reload line %d delivered %d times", i, got[i])
		}
	}

	// A broken configuration is refused and the running one goes on.
	os.WriteFile(cfgPath, []byte("shipper.inputs: [{type: nope}]\n"), 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	waitProgress(t, "'reload refused' in the log", func() (bool, int64) {
		return strings.Contains(logs.String(), "reload refused"), 0
	}, logs.String)
	appendLines("b.log", 200, 250)
	e.waitAll(250)

	// Graceful stop: exit 0, cursors at the end of both files.
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
	// A reload says so, and keeps the process-lifetime counters: one start,
	// one stop, and the stop summary counts all 250 lines, not the 150
	// since the last reload (issue 19).
	l := logs.String()
	if n := strings.Count(l, `msg="shipper started"`); n != 1 {
		t.Errorf("%d 'shipper started' lines, want 1 (reloads say 'reloaded'):\n%s", n, l)
	}
	if n := strings.Count(l, `msg="shipper reloaded"`); n != 1 {
		t.Errorf("%d 'shipper reloaded' lines, want 1 (one valid reload):\n%s", n, l)
	}
	if n := strings.Count(l, `msg="shipper stopped"`); n != 1 {
		t.Errorf("%d 'shipper stopped' lines, want 1:\n%s", n, l)
	}
	if !strings.Contains(l, " published=250 ") {
		t.Errorf("the stop summary does not count the 250 lines published over the process' life:\n%s", l)
	}
	env := &env{t: t, data: filepath.Join(d, "data")}
	offs := env.cursorOffsets()
	fa, _ := os.Stat(filepath.Join(d, "a.log"))
	fb, _ := os.Stat(filepath.Join(d, "b.log"))
	want := map[int64]bool{fa.Size(): true, fb.Size(): true}
	if len(offs) != 2 || !want[offs[0]] || !want[offs[1]] || offs[0] == offs[1] {
		t.Errorf("registry offsets after a graceful stop = %v, want the sizes %d and %d", offs, fa.Size(), fb.Size())
	}
}
