//go:build integration

package runner

// Scenario tests of the file tailing with real processes: the shipper
// binary as a subprocess, killed with SIGKILL; files rotated under it while
// a writer appends at a high rate.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/config"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// shipperBin builds the shipper once per test binary.
func shipperBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shipper-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "shipper")
		out, err := exec.Command("go", "build", "-o", binPath, "../../shipper").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// tailEnv is a directory with logs, a config, path.data and a file output.
type tailEnv struct {
	t   *testing.T
	dir string
	cfg string
	out string

	// The output file is read incrementally: counts holds how often each
	// line number was delivered up to outOff.
	counts map[int]int
	outOff int64
}

func newTailEnv(t *testing.T, glob string, extra string) *tailEnv {
	d := t.TempDir()
	e := &tailEnv{t: t, dir: d, cfg: filepath.Join(d, "shipper.yml"), out: filepath.Join(d, "out")}
	yml := fmt.Sprintf(`shipper.inputs:
  - type: filestream
    id: torture
    paths: [%q]
    prospector.scanner.check_interval: 200ms
    backoff: {init: 10ms, max: 100ms}
output.file: {path: %q, filename: out.ndjson, rotate_every_kb: 10000000}
path.data: %q
logging.level: warning
logging.metrics.enabled: false
%s
`, filepath.Join(d, glob), e.out, filepath.Join(d, "data"), extra)
	if err := os.WriteFile(e.cfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *tailEnv) start() *exec.Cmd {
	e.t.Helper()
	cmd := exec.Command(shipperBin(e.t), "run", "-c", e.cfg)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	// A test that fails while this run is up must not leave it running
	// (its directory is removed after the test: it would spin on it).
	e.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// numbers returns how often each line number was delivered. It reads only
// what the output appended since the last call; the map is shared, callers
// must not modify it.
func (e *tailEnv) numbers() map[int]int {
	e.t.Helper()
	if e.counts == nil {
		e.counts = map[int]int{}
	}
	f, err := os.Open(filepath.Join(e.out, "out.ndjson"))
	if err != nil {
		return e.counts
	}
	defer f.Close()
	if _, err := f.Seek(e.outOff, io.SeekStart); err != nil {
		e.t.Fatal(err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		b, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			e.t.Fatalf("output line longer than 1 MiB at offset %d", e.outOff)
		}
		if err != nil {
			return e.counts // a partial last line is read again next time
		}
		e.outOff += int64(len(b))
		var doc struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &doc) != nil {
			continue // a line torn by SIGKILL mid-write
		}
		n, err := strconv.Atoi(strings.Fields(doc.Message + " x")[0])
		if err == nil {
			e.counts[n]++
		}
	}
}

// waitAll waits until every number below n was delivered. It fails only
// when delivery stopped advancing for stallWindow, naming the first missing
// lines.
func (e *tailEnv) waitAll(n int) map[int]int {
	e.t.Helper()
	var got map[int]int
	waitProgress(e.t, "waiting for every line", func() (bool, int64) {
		got = e.numbers()
		if len(got) < n {
			return false, e.outOff
		}
		for i := range n {
			if got[i] == 0 {
				return false, e.outOff
			}
		}
		return true, e.outOff
	}, func() string {
		var missing []int
		for i := range n {
			if got[i] == 0 {
				missing = append(missing, i)
			}
		}
		return fmt.Sprintf("%d of %d lines never delivered (first: %v)", len(missing), n, missing[:min(len(missing), 10)])
	})
	return got
}

// waitRange waits until every line number in [from, to) was delivered;
// the rotations call it before they delete a generation: logrotate's
// "rotate 3" only promises nothing is lost while the shipper is less than
// three generations behind, and a writer at 200k lines/s rotates every
// 25 ms, faster than the 200 ms scan can even see a copy on a busy machine.
func (e *tailEnv) waitRange(from, to int) {
	e.t.Helper()
	var got map[int]int
	waitProgress(e.t, fmt.Sprintf("lines %d..%d delivered before their file is deleted", from, to-1), func() (bool, int64) {
		got = e.numbers()
		for i := from; i < to; i++ {
			if got[i] == 0 {
				return false, e.outOff
			}
		}
		return true, e.outOff
	}, func() string {
		var missing []int
		for i := from; i < to; i++ {
			if got[i] == 0 {
				missing = append(missing, i)
			}
		}
		return fmt.Sprintf("%d of %d lines never delivered (first: %v)", len(missing), to-from, missing[:min(len(missing), 10)])
	})
}

func line(i int) string { return fmt.Sprintf("%d %s\n", i, strings.Repeat("payload-", 8)) }

// writer appends numbered lines, rotating every `every` lines with rotate.
func writer(t *testing.T, path string, total, every int, rotate func(path string, gen int)) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 4096)
	gen := 0
	for i := range total {
		w.WriteString(line(i))
		if i%200 == 199 {
			w.Flush()
			time.Sleep(time.Millisecond) // ~200k lines/s bursts, with gaps
		}
		if i%every == every-1 {
			w.Flush()
			gen++
			if rotate != nil {
				f.Close()
				rotate(path, gen)
				f, err = os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
				if err != nil {
					t.Fatal(err)
				}
				w.Reset(f)
			}
		}
	}
	w.Flush()
	f.Close()
}

func TestRotationTortureRenameCreate(t *testing.T) {
	e := newTailEnv(t, "access.log*", "")
	cmd := e.start()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	const total, every = 60000, 5000
	log := filepath.Join(e.dir, "access.log")
	writer(t, log, total, every, func(p string, gen int) {
		// logrotate-style: keep only .1 .. .3; older rotations are removed,
		// here .3 holding generation gen-3.
		if gen > 3 {
			e.waitRange((gen-4)*every, (gen-3)*every)
		}
		for k := 3; k >= 1; k-- {
			src := p
			if k > 1 {
				src = p + "." + strconv.Itoa(k-1)
			}
			os.Rename(src, p+"."+strconv.Itoa(k))
		}
	})
	got := e.waitAll(total)
	dups := 0
	for i := range total {
		dups += got[i] - 1
	}
	t.Logf("rename+create: %d lines, rotated every %d, %d duplicates", total, every, dups)
	if dups != 0 {
		t.Errorf("%d duplicates with rename+create rotation, want 0", dups)
	}
}

func TestRotationTortureCopyTruncate(t *testing.T) {
	e := newTailEnv(t, "access.log*", "")
	cmd := e.start()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	const total, every = 60000, 5000
	log := filepath.Join(e.dir, "access.log")
	writer(t, log, total, every, func(p string, gen int) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Error(err)
			return
		}
		if gen > 2 {
			e.waitRange((gen-3)*every, (gen-2)*every) // .2 is replaced
		}
		os.Rename(p+".1", p+".2")
		os.WriteFile(p+".1", b, 0o600)
		os.Truncate(p, 0)
	})
	got := e.waitAll(total)
	dups := 0
	for i := range total {
		dups += got[i] - 1
	}
	t.Logf("copytruncate: %d lines, rotated every %d, %d duplicates", total, every, dups)
	// The test writer does not write between copy and truncate, so nothing
	// may be lost; duplicates are allowed (at least once) but must stay
	// small: at most one rotation's worth.
	if dups > every {
		t.Errorf("%d duplicates after copytruncate, more than one rotation (%d)", dups, every)
	}
}

func TestCrashKill9ResumesWithBoundedDuplicates(t *testing.T) {
	const bulk = 500
	e := newTailEnv(t, "big.log", fmt.Sprintf("shipper.registry.flush: 0s\nqueue.mem.events: %d\n", bulk))
	// bulk_max_size of the file output bounds what one kill can duplicate.
	b, _ := os.ReadFile(e.cfg)
	os.WriteFile(e.cfg, []byte(strings.Replace(string(b), "rotate_every_kb: 10000000}", fmt.Sprintf("rotate_every_kb: 10000000, bulk_max_size: %d}", bulk), 1)), 0o600)
	const total = 1000000
	f, _ := os.Create(filepath.Join(e.dir, "big.log"))
	w := bufio.NewWriter(f)
	for i := range total {
		w.WriteString(line(i))
	}
	w.Flush()
	f.Close()
	kills := 0
	rng := rand.New(rand.NewPCG(1, 2))
	for kills < 15 {
		cmd := e.start()
		// Kill mid-delivery, after a random amount of progress (up to
		// 1 MiB of output, by the file's size: parsing it would lag the
		// shipper), not after a random pause: how much a pause lets
		// through depends on the machine's speed (a quiet machine once
		// finished the file in 2 kills).
		size := func() int64 {
			fi, err := os.Stat(filepath.Join(e.out, "out.ndjson"))
			if err != nil {
				return 0
			}
			return fi.Size()
		}
		before := size()
		step := int64(rng.IntN(1<<20) + 1)
		last := int64(-1)
		waitCond(t, "a run delivering before its SIGKILL", func() bool {
			n := size()
			if n >= before+step {
				return true
			}
			if n == last { // not growing: perhaps everything is delivered
				return len(e.numbers()) >= total
			}
			last = n
			return false
		})
		cmd.Process.Kill()
		cmd.Wait()
		kills++
		if len(e.numbers()) >= total {
			break
		}
	}
	cmd := e.start()
	got := e.waitAll(total)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	dups := 0
	for i := range total {
		dups += got[i] - 1
	}
	// With registry.flush 0 the registry is written inside the
	// acknowledgement, before the queue slots of the batch are freed, and
	// the queue holds one batch: at a kill only the batch written to the
	// output but not yet in the registry comes back.
	t.Logf("kill -9: %d lines, %d kills, %d duplicates (%.1f batches of %d per kill)", total, kills, dups, float64(dups)/float64(bulk*kills), bulk)
	if kills < 10 {
		t.Errorf("only %d kills before the file was done: make the file bigger", kills)
	}
	if dups > bulk*kills {
		t.Errorf("%d duplicates after %d kills, more than one batch of %d per kill", dups, kills, bulk)
	}
}

// At 50k lines/s for 10 s the registry is written about once per
// registry.flush, not once per batch (flash wear).
func TestRegistryWriteBudget(t *testing.T) {
	d := t.TempDir()
	logPath := filepath.Join(d, "fast.log")
	yml := fmt.Sprintf("shipper.inputs:\n  - {type: filestream, id: fast, paths: [%q], backoff: {init: 10ms, max: 50ms}}\noutput.file: {path: %q, fsync: false}\npath.data: %q\nlogging.metrics.enabled: false\n", logPath, d, filepath.Join(d, "data"))
	cfg, err := config.LoadBytes([]byte(yml), "budget.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(cfg, Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	f, _ := os.Create(logPath)
	const rate, seconds = 50000, 10
	start := time.Now()
	n := 0
	for time.Since(start) < seconds*time.Second {
		target := int(time.Since(start).Seconds() * rate)
		var sb strings.Builder
		for ; n < target; n++ {
			sb.WriteString(line(n))
		}
		f.WriteString(sb.String())
		time.Sleep(10 * time.Millisecond)
	}
	f.Close()
	elapsed := time.Since(start)
	waitCount(t, "acknowledgements", int64(n), r.Metrics.Counter("output.events.acked").Load)
	writes := r.Metrics.Counter("registry.writes").Load()
	cancel()
	<-done
	acked := r.Metrics.Counter("output.events.acked").Load()
	t.Logf("%d lines in %.1fs (%.0f lines/s); %d acked; %d registry writes (%d bytes)", n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), acked, writes, r.Metrics.Counter("registry.bytes_written").Load())
	if acked != int64(n) {
		t.Errorf("acked %d of %d lines", acked, n)
	}
	budget := int64(time.Since(start)/time.Second) + 2
	if writes > budget {
		t.Errorf("%d registry writes in %s, budget %d (one per second)", writes, time.Since(start).Round(time.Second), budget)
	}
}

func TestThousandFilesWithHarvesterLimit(t *testing.T) {
	d := t.TempDir()
	const files, per = 1000, 5
	for i := range files {
		var sb strings.Builder
		for j := range per {
			sb.WriteString(line(i*per + j))
		}
		os.WriteFile(filepath.Join(d, fmt.Sprintf("f%04d.log", i)), []byte(sb.String()), 0o600)
	}
	yml := fmt.Sprintf("shipper.inputs:\n  - {type: filestream, id: many, paths: [%q], harvester_limit: 100}\noutput.file: {path: %q}\npath.data: %q\nlogging.metrics.enabled: false\n", filepath.Join(d, "*.log"), filepath.Join(d, "out"), filepath.Join(d, "data"))
	cfg, err := config.LoadBytes([]byte(yml), "many.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(cfg, Options{Once: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var maxOpen int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			if n := r.Metrics.Counter("input.many.files.open").Load(); n > maxOpen {
				maxOpen = n
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	})
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	acked := r.Metrics.Counter("output.events.acked").Load()
	t.Logf("%d files, %d lines acked, at most %d open at once", files, acked, maxOpen)
	if acked != files*per {
		t.Errorf("acked %d lines, want %d", acked, files*per)
	}
	if maxOpen > 100 || maxOpen == 0 {
		t.Errorf("max open files = %d, want 1..100", maxOpen)
	}
}
