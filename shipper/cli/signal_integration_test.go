//go:build integration

package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

// Issue 18 #14: one SIGINT was seen ignored (the shipper ran on for ~10
// minutes; a second signal stopped it). These tests send SIGINT at the
// moments where a signal could fall into a gap — during start-up before
// any input runs, during a SIGHUP reload, during the drain of a stop — to
// the real binary, and wait for it to exit.

var (
	sigBinOnce sync.Once
	sigBin     string
	sigBinErr  error
)

func shipperBinary(t *testing.T) string {
	t.Helper()
	sigBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shipper-cli-bin")
		if err != nil {
			sigBinErr = err
			return
		}
		sigBin = filepath.Join(dir, "shipper")
		if out, err := exec.Command("go", "build", "-o", sigBin, "../../shipper").CombinedOutput(); err != nil {
			sigBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if sigBinErr != nil {
		t.Fatal(sigBinErr)
	}
	return sigBin
}

// proc is a running shipper and its stderr.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{}
	err  error // cmd.Wait's, once done is closed
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.Write(b)
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// startShipper runs the binary with args. ignoreINT starts it with SIGINT
// ignored, as a non-interactive shell starts a background job (`shipper
// run &` in a script): Go keeps an inherited SIG_IGN until signal.Notify
// asks for the signal.
func startShipper(t *testing.T, ignoreINT bool, args ...string) *proc {
	t.Helper()
	bin := shipperBinary(t)
	p := &proc{t: t, done: make(chan struct{})}
	if ignoreINT {
		p.cmd = exec.Command("sh", append([]string{"-c", `trap "" INT; exec "$0" "$@"`, bin}, args...)...)
	} else {
		p.cmd = exec.Command(bin, args...)
	}
	p.cmd.Stderr = p
	p.cmd.Stdout = p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) signal(s os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(s); err != nil {
		p.t.Fatalf("signal %v: %v", s, err)
	}
}

// waitFor waits until cond holds. It gives up when the shipper wrote
// nothing for a minute: on a loaded machine a slow shipper is waited for,
// a silent one is stuck. (Each step here logs a line: start-up, the
// stop, the end.) Five minutes in all is a hang, whatever it logs.
func (p *proc) waitFor(what string, cond func() bool) {
	p.t.Helper()
	const idle, hang = time.Minute, 5 * time.Minute
	lastLen := -1
	start, deadline := time.Now(), time.Now().Add(idle)
	for !cond() {
		if now := time.Now(); now.After(deadline) || now.Sub(start) > hang {
			p.t.Fatalf("%s: not after %s (no output for %s); the shipper's output:\n%s", what, now.Sub(start).Round(time.Second), idle, p.log())
		}
		if n := len(p.log()); n != lastLen {
			lastLen = n
			deadline = time.Now().Add(idle)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) logged(s string) func() bool {
	return func() bool { return strings.Contains(p.log(), s) || p.exited() }
}

// waitExit waits for the process to end and checks that it exited by
// itself (not killed by the signal) with code want.
func (p *proc) waitExit(want int) {
	p.t.Helper()
	p.waitFor("exit", p.exited)
	var ee *exec.ExitError
	code := 0
	if errors.As(p.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.t.Fatalf("killed by %v instead of stopping by itself; output:\n%s", ws.Signal(), p.log())
		}
		code = ee.ExitCode()
	} else if p.err != nil {
		p.t.Fatal(p.err)
	}
	if code != want {
		p.t.Errorf("exit code %d, want %d; output:\n%s", code, want, p.log())
	}
}

// openFIFO opens a FIFO for writing: it returns once the shipper opened it
// for reading, that is, when the shipper is reading its configuration.
func openFIFO(t *testing.T, p *proc, path string) *os.File {
	t.Helper()
	type res struct {
		f   *os.File
		err error
	}
	c := make(chan res, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		c <- res{f, err}
	}()
	var r res
	p.waitFor("the shipper opening "+path, func() bool {
		select {
		case r = <-c:
			return true
		default:
			return p.exited()
		}
	})
	if r.f == nil {
		t.Fatalf("open %s: %v (exited: %v)\n%s", path, r.err, p.exited(), p.log())
	}
	t.Cleanup(func() { r.f.Close() })
	return r.f
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// During start-up: the configuration is a FIFO, so the shipper sits in its
// start-up (reading it) until the test writes; the SIGINT arrives there.
// Before the fix, signal handling was installed only after start-up: the
// signal killed the process outright, or — started with SIGINT ignored, as
// a script's background job is — was dropped, and the shipper then ran
// until a second signal.
func TestSIGINTDuringStartup(t *testing.T) {
	for _, ignored := range []bool{false, true} {
		t.Run(fmt.Sprintf("inherited_ignore=%v", ignored), func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "shipper.yml")
			mkfifo(t, cfg)
			p := startShipper(t, ignored, "run", "--strict.perms=false", "-c", cfg)
			openFIFO(t, p, cfg) // the shipper is now reading its configuration
			p.signal(syscall.SIGINT)
			p.waitExit(ExitOK)
			if !strings.Contains(p.log(), "during start-up") {
				t.Errorf("no word of the signal during start-up:\n%s", p.log())
			}
		})
	}
}

// writeRunConfig writes a configuration with one filestream input (a few
// lines) and the given output section.
func writeRunConfig(t *testing.T, dir, output string) string {
	t.Helper()
	logf := filepath.Join(dir, "a.log")
	var lines strings.Builder // more than the 256-byte fingerprint
	for i := range 50 {
		fmt.Fprintf(&lines, "line %d of the signal test\n", i)
	}
	os.WriteFile(logf, []byte(lines.String()), 0o600)
	cfg := filepath.Join(dir, "shipper.yml")
	yml := fmt.Sprintf(`path.data: %q
shipper.inputs:
  - {type: filestream, id: a, paths: [%q], prospector.scanner.check_interval: 100ms}
%s
logging.metrics.enabled: false
`, filepath.Join(dir, "data"), logf, output)
	if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// During a SIGHUP reload: the new configuration is a FIFO, so the reload
// sits in reading it when the SIGINT arrives. Before the fix the reload
// read synchronously and the signal waited for it (forever, here).
func TestSIGINTDuringReload(t *testing.T) {
	dir := t.TempDir()
	cfg := writeRunConfig(t, dir, fmt.Sprintf("output.file: {path: %q, filename: out.ndjson}", filepath.Join(dir, "out")))
	p := startShipper(t, false, "run", "--strict.perms=false", "-c", cfg)
	p.waitFor("start", p.logged("shipper started"))
	fifo := filepath.Join(dir, "next.yml")
	mkfifo(t, fifo)
	if err := os.Rename(fifo, cfg); err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGHUP)
	openFIFO(t, p, cfg) // the reload is reading the new configuration
	p.signal(syscall.SIGINT)
	p.waitExit(ExitOK)
}

// During the drain: Elasticsearch answers 503 to everything and
// shutdown_timeout is 10 minutes, so the first SIGINT starts a drain that
// cannot finish; a second SIGINT must end it at once, not be swallowed.
func TestSecondSIGINTDuringDrain(t *testing.T) {
	es := estest.New(t, func(int, []estest.Doc) estest.Reply { return estest.Reply{Status: 503} })
	dir := t.TempDir()
	cfg := writeRunConfig(t, dir, fmt.Sprintf("output.elasticsearch: {hosts: [%q], backoff: {init: 10m, max: 10m}}\nshipper.shutdown_timeout: 10m", es.URL))
	p := startShipper(t, false, "run", "--strict.perms=false", "-c", cfg)
	p.waitFor("a failed request", p.logged("retrying"))
	p.signal(syscall.SIGINT)
	p.waitFor("the stop to begin", p.logged("stopping"))
	if p.exited() {
		t.Fatalf("exited on the first SIGINT with the drain pending:\n%s", p.log())
	}
	p.signal(syscall.SIGINT)
	p.waitExit(ExitRuntime)
	if !strings.Contains(p.log(), "at once") {
		t.Errorf("no word of the forced exit:\n%s", p.log())
	}
}
