//go:build integration

package runner

// One seed of the fault harness (faults_integration_test.go): the shipper
// process, the numbered-line writer, the faults and the final check.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	faultESTimeout  = 2 * time.Second        // output.elasticsearch.timeout; slow answers go up to twice this
	faultSyncEvery  = 100 * time.Millisecond // queue.disk.sync_interval: how often the queue's ack position is persisted
	faultQueueBytes = 512 << 10              // queue.disk.max_size
	faultMemEvents  = 1024                   // queue.mem.events
	faultTmpfsBytes = 64 << 20               // path.data on tmpfs, when it can be mounted
)

// lineOrigin says where and when a line was written, for the report.
type lineOrigin struct {
	step int
	file string
}

type faultRun struct {
	t    *testing.T
	bin  string
	seed uint64
	rng  *rand.Rand
	disk bool

	dir, logs, data, cfg, logFile string
	tmpfs                         string // mount point of path.data, "" when not mounted
	tmpfsWhy                      string // why not
	es                            *faultES

	cmd    *exec.Cmd
	exited chan struct{}
	bulk   int
	worker int

	next    int      // next line number
	f       *os.File // access.log, O_APPEND
	gen     int
	tiny    int
	origin  []lineOrigin
	poison  map[int]bool
	stepNo  int
	poisonN int // lines of the next write that are poison

	faultLog []string
	faults   map[string]int
	dupBound int // see check
}

func newFaultRun(t *testing.T, bin string, seed uint64, disk bool) *faultRun {
	d := t.TempDir()
	h := &faultRun{t: t, bin: bin, seed: seed, disk: disk, rng: rand.New(rand.NewPCG(seed, 0xfa17)),
		dir: d, logs: filepath.Join(d, "logs"), data: filepath.Join(d, "data"), cfg: filepath.Join(d, "shipper.yml"),
		logFile: filepath.Join(d, "shipper.log"), bulk: 200, worker: 1, poison: map[int]bool{}, faults: map[string]int{}}
	h.es = newFaultES(t, seed, faultESTimeout)
	os.MkdirAll(h.logs, 0o700)
	os.MkdirAll(h.data, 0o700)
	h.mountTmpfs()
	t.Cleanup(h.kill) // before the unmount and TempDir's removal (cleanups run last first)
	f, err := os.OpenFile(filepath.Join(h.logs, "access.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	h.f = f
	t.Cleanup(func() { h.f.Close() })
	h.writeConfig()
	return h
}

// mountTmpfs puts path.data on a small tmpfs so that "disk-full" can fill
// it; only root may mount, and a container may forbid it: then that fault
// is left out and the reason printed.
func (h *faultRun) mountTmpfs() {
	if os.Geteuid() != 0 {
		h.tmpfsWhy = "not root"
		return
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", faultTmpfsBytes), "tmpfs", h.data).CombinedOutput()
	if err != nil {
		h.tmpfsWhy = fmt.Sprintf("mount -t tmpfs: %v: %s", err, strings.TrimSpace(string(out)))
		h.t.Logf("disk-full fault skipped: %s", h.tmpfsWhy)
		return
	}
	h.tmpfs = h.data
	h.t.Cleanup(func() {
		if out, err := exec.Command("umount", h.data).CombinedOutput(); err != nil {
			h.t.Errorf("umount %s: %v: %s", h.data, err, out)
			exec.Command("umount", "-l", h.data).Run()
		}
	})
}

func (h *faultRun) queueName() string {
	if h.disk {
		return fmt.Sprintf("disk (max_size %d KiB, sync_interval %s)", faultQueueBytes>>10, faultSyncEvery)
	}
	return fmt.Sprintf("memory (%d events)", faultMemEvents)
}

func (h *faultRun) dataFS() string {
	if h.tmpfs != "" {
		return fmt.Sprintf("a %d MiB tmpfs", faultTmpfsBytes>>20)
	}
	return "the test's temp dir (" + h.tmpfsWhy + ")"
}

func (h *faultRun) writeConfig() {
	queue := fmt.Sprintf("queue.mem.events: %d\n", faultMemEvents)
	if h.disk {
		queue = fmt.Sprintf("queue.disk: {max_size: %d, segment_size: %d, sync_interval: %s}\n", faultQueueBytes, faultQueueBytes/8, faultSyncEvery)
	}
	yml := fmt.Sprintf(`shipper.inputs:
  - type: filestream
    id: faults
    paths: [%q, %q]
    prospector.scanner.check_interval: 200ms
    backoff: {init: 10ms, max: 100ms}
output.elasticsearch:
  hosts: [%q]
  bulk_max_size: %d
  worker: %d
  timeout: %s
  backoff: {init: 50ms, max: 1s}
%spath.data: %q
shipper.registry.flush: 0s
shipper.shutdown_timeout: 2s
logging.level: info
logging.metrics.enabled: false
`, filepath.Join(h.logs, "access.log*"), filepath.Join(h.logs, "tiny-*.log"), h.es.srv.URL, h.bulk, h.worker, faultESTimeout, queue, h.data)
	// Replaced atomically, as an operator's config management does: a
	// shipper starting under load may read the file at any moment, and a
	// truncated file is a configuration error (exit 2), not a fault of
	// this harness's schedule (seed 835127 read it empty).
	if err := os.WriteFile(h.cfg+".tmp", []byte(yml), 0o600); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Rename(h.cfg+".tmp", h.cfg); err != nil {
		h.t.Fatal(err)
	}
}

// start runs the shipper; its log is appended to shipper.log.
func (h *faultRun) start() {
	h.t.Helper()
	lf, err := os.OpenFile(h.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		h.t.Fatal(err)
	}
	fmt.Fprintf(lf, "=== harness: start at step %d\n", h.stepNo)
	cmd := exec.Command(h.bin, "run", "-c", h.cfg)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		h.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); lf.Close(); close(exited) }()
	h.cmd, h.exited = cmd, exited
}

func (h *faultRun) running() bool {
	if h.cmd == nil {
		return false
	}
	select {
	case <-h.exited:
		return false
	default:
		return true
	}
}

// kill stops the shipper with SIGKILL (cleanup and the sigkill fault).
func (h *faultRun) kill() {
	if h.running() {
		h.cmd.Process.Kill()
		<-h.exited
	}
}

// stop sends SIGTERM and waits for the exit; a shipper that does not exit
// within the stall window is a finding (issue 18 item 14).
func (h *faultRun) stop() {
	h.t.Helper()
	if !h.running() {
		h.t.Fatalf("seed %d step %d: the shipper exited by itself (%v); log:\n%s", h.seed, h.stepNo, h.cmd.ProcessState, h.logTail(40))
	}
	h.cmd.Process.Signal(syscall.SIGTERM)
	waitProgress(h.t, "shipper exiting after SIGTERM", func() (bool, int64) { return !h.running(), 0 }, h.stallReport)
}

// logCount counts the shipper log lines that contain s.
func (h *faultRun) logCount(s string) int {
	b, _ := os.ReadFile(h.logFile)
	return strings.Count(string(b), s)
}

func (h *faultRun) logTail(n int) string {
	b, _ := os.ReadFile(h.logFile)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// line is the text of line n: "<8 digits> <ok|POISON> payload".
func faultLine(n int, poison bool) string {
	tag := "ok"
	if poison {
		tag = "POISON"
	}
	return fmt.Sprintf("%08d %s %s\n", n, tag, strings.Repeat("payload-", 6))
}

// write appends n lines to access.log, 50 at a time with a short pause (a
// realistic stream, ~10k lines/s at most, not a wait for the shipper).
func (h *faultRun) write(n int) {
	name := filepath.Base(h.f.Name())
	var b strings.Builder
	for i := range n {
		p := h.poisonN > 0 && h.rng.IntN(4) == 0
		if p {
			h.poisonN--
			h.poison[h.next] = true
		}
		b.WriteString(faultLine(h.next, p))
		h.origin = append(h.origin, lineOrigin{h.stepNo, name})
		h.next++
		if i%50 == 49 || i == n-1 {
			if _, err := h.f.WriteString(b.String()); err != nil {
				h.t.Fatal(err)
			}
			b.Reset()
			time.Sleep(5 * time.Millisecond) // pacing the writer
		}
	}
}

func (h *faultRun) logFault(s string) {
	h.faultLog = append(h.faultLog, fmt.Sprintf("%d:%s", h.stepNo, s))
}

// do runs one step of the schedule.
func (h *faultRun) do(s step) {
	h.t.Helper()
	h.requireRunning()
	if s.kind == "write" {
		h.write(s.n)
		h.logFault(s.String())
		return
	}
	h.faults[s.kind]++
	switch s.kind {
	case "sigkill":
		h.killsBound()
		h.kill()
		down := 10 + s.n%300
		h.write(down) // written while the shipper is down
		h.start()
		h.logFault(fmt.Sprintf("sigkill(+w%d)", down))
	case "sigterm":
		h.killsBound() // a batch in flight when shutdown_timeout ends
		h.stop()
		h.start()
		h.logFault("sigterm")
	case "sighup":
		h.killsBound() // the old pipeline's batches in flight
		h.bulk = []int{50, 200, 500}[s.n%3]
		h.worker = 1 + s.n/3%2
		h.writeConfig()
		if ok, _ := faultEnabled("sighup-at-start"); !ok {
			waitCond(h.t, "the shipper started before SIGHUP", func() bool {
				h.requireRunning()
				// since this process was started (its marker line)
				b, _ := os.ReadFile(h.logFile)
				i := strings.LastIndex(string(b), "=== harness: start")
				return i >= 0 && strings.Contains(string(b[i:]), `msg="shipper started"`)
			})
		}
		h.requireRunning()
		h.cmd.Process.Signal(syscall.SIGHUP)
		h.logFault(fmt.Sprintf("sighup(bulk=%d,worker=%d)", h.bulk, h.worker))
	case "rotate-rename":
		h.gen++
		old := h.f.Name()
		h.f.Close()
		if err := os.Rename(old, fmt.Sprintf("%s.%d", old, h.gen)); err != nil {
			h.t.Fatal(err)
		}
		f, err := os.OpenFile(old, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			h.t.Fatal(err)
		}
		h.f = f
		for i := range h.origin {
			if h.origin[i].file == "access.log" {
				h.origin[i].file = fmt.Sprintf("access.log.%d (renamed)", h.gen)
			}
		}
		h.logFault(fmt.Sprintf("rename(.%d)", h.gen))
	case "rotate-copytruncate":
		// Nothing is written between the copy and the truncate: the one
		// window copytruncate itself loses is not what this checks.
		h.gen++
		b, err := os.ReadFile(h.f.Name())
		if err != nil {
			h.t.Fatal(err)
		}
		copyName := fmt.Sprintf("%s.%d", h.f.Name(), h.gen)
		if err := os.WriteFile(copyName, b, 0o600); err != nil { // as logrotate does: the copy grows in place
			h.t.Fatal(err)
		}
		if err := h.f.Truncate(0); err != nil {
			h.t.Fatal(err)
		}
		// The lines are now in the copy (as far as the report goes).
		for i := range h.origin {
			if h.origin[i].file == "access.log" {
				h.origin[i].file = filepath.Base(copyName) + " (copy)"
			}
		}
		// The copy resumes at the acknowledged cursor, so what the reader
		// of the truncated file had read ahead is read again: at most a
		// memory queue, or with queue.disk the lines read between two
		// syncs (~1,000 at this writer's pace).
		h.dupBound += faultMemEvents
		h.logFault(fmt.Sprintf("copytruncate(.%d)", h.gen))
	case "tiny-file":
		h.tiny++
		name := filepath.Join(h.logs, fmt.Sprintf("tiny-%d.log", h.tiny))
		k := 1 + s.n%2 // < 256 bytes: shorter than the fingerprint
		var b strings.Builder
		for range k {
			b.WriteString(faultLine(h.next, false))
			h.origin = append(h.origin, lineOrigin{h.stepNo, filepath.Base(name)})
			h.next++
		}
		if err := os.WriteFile(name, []byte(b.String()), 0o600); err != nil {
			h.t.Fatal(err)
		}
		h.logFault(fmt.Sprintf("tiny(%d lines)", k))
	case "poison":
		h.poisonN = 1 + s.n%3 // among the next lines written
		h.logFault(fmt.Sprintf("poison(%d)", h.poisonN))
	case "queue-full":
		// Elasticsearch down while three queues' worth of lines arrive: the
		// queue fills and the input must pause, never drop.
		h.es.setMode(esDown503)
		n := 3 * faultMemEvents
		if h.disk {
			n = 3 * faultQueueBytes / 150
		}
		h.write(n)
		n += h.holdMode(3)
		h.es.setMode(esHealthy)
		h.logFault(fmt.Sprintf("queue-full(w%d)", n))
	case "disk-full":
		h.fillDisk(s)
	case "es-healthy":
		n := h.holdMode(2)
		h.es.setMode(esHealthy)
		h.logFault(fmt.Sprintf("es-ok(+w%d)", n))
	default:
		m := esMode(strings.TrimPrefix(s.kind, "es-"))
		h.es.setMode(m)
		h.logFault(s.kind)
	}
}

// holdMode keeps Elasticsearch's failure mode until it answered k requests
// (a mode that ends before the shipper sent anything tested nothing),
// writing a few lines meanwhile so that there is something to send. It
// returns the lines written; a shipper that stops sending fails the test
// after the stall window.
func (h *faultRun) holdMode(k int) int {
	h.t.Helper()
	n := 0
	waitProgress(h.t, "requests in the Elasticsearch fault mode", func() (bool, int64) {
		h.requireRunning()
		r := h.es.modeRequests()
		if r >= k {
			return true, 0
		}
		h.write(10)
		n += 10
		return false, int64(r)
	}, h.stallReport)
	return n
}

// requireRunning fails the test when the shipper exited on its own (a
// crash, or a signal it did not handle), with how it ended.
func (h *faultRun) requireRunning() {
	h.t.Helper()
	if !h.running() {
		h.t.Fatalf("seed %d step %d: the shipper exited by itself (%v); %s", h.seed, h.stepNo, h.cmd.ProcessState, h.keepLog())
	}
}

// stallReport describes a stall: the shipper is asked for its goroutines
// (SIGQUIT makes the Go runtime print them and exit), and its whole log is
// kept.
func (h *faultRun) stallReport() string {
	if h.running() {
		h.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-h.exited:
		case <-time.After(10 * time.Second): // only how long to wait for a dump, not a test outcome
		}
	}
	return fmt.Sprintf("seed %d step %d; the shipper's goroutines are at the end of its log: %s", h.seed, h.stepNo, h.keepLog())
}

// keepLog copies the shipper's whole log out of the test's directory and
// returns where it is, with its tail.
func (h *faultRun) keepLog() string {
	keep := filepath.Join(os.TempDir(), fmt.Sprintf("shipper-faults-seed%d.log", h.seed))
	b, err := os.ReadFile(h.logFile)
	if err == nil {
		err = os.WriteFile(keep, b, 0o600)
	}
	return fmt.Sprintf("whole log in %s (%v); its tail:\n%s", keep, err, h.logTail(30))
}

// killsBound adds what one restart (SIGKILL, SIGTERM, reload) may send
// twice: the batches in flight (worker × bulk_max_size) and, with
// queue.disk, the documents indexed since the queue last persisted its
// acknowledged position, counted as those of the last second (sync_interval
// is 100 ms, but 2 × sync_interval was exceeded once: seed 905995, 1288
// 409s for a bound of 1207, with four SIGTERMs and a full disk). With the
// memory queue the registry is written inside the acknowledgement
// (shipper.registry.flush: 0s), so nothing more.
func (h *faultRun) killsBound() {
	h.dupBound += h.worker * h.bulk
	if h.disk {
		h.dupBound += h.es.storedSince(time.Now().Add(-time.Second))
	}
}

// fillDisk fills path.data's tmpfs, writes lines while it is full, lets
// the shipper run into ENOSPC, then frees the space.
func (h *faultRun) fillDisk(s step) {
	filler := filepath.Join(h.data, "filler")
	f, err := os.Create(filler)
	if err != nil {
		h.t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				h.t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	before := h.logCount("no space left on device")
	n := 200 + s.n%800
	h.write(n)
	time.Sleep(500 * time.Millisecond) // how long the disk stays full
	os.Remove(filler)
	// Whether the shipper ran into it (it says so in its log), so that the
	// report shows the fault bit.
	h.logFault(fmt.Sprintf("disk-full(w%d,enospc=%d)", n, h.logCount("no space left on device")-before))
}

// delivered counts the lines stored or dead-lettered: the settle phase's
// progress.
func (h *faultRun) delivered() (stored map[int][]string, dead map[int]dlqLine) {
	h.es.mu.Lock()
	stored = make(map[int][]string, len(h.es.byLine))
	for k, v := range h.es.byLine {
		stored[k] = v
	}
	h.es.mu.Unlock()
	return stored, readDeadLetters(filepath.Join(h.data, "dead_letter"))
}

// settle makes Elasticsearch healthy, restarts the shipper if it is down,
// and waits until every line is stored or dead-lettered; it fails when
// that stops advancing for the stall window.
func (h *faultRun) settle() {
	h.t.Helper()
	h.stepNo = -1
	h.es.setMode(esHealthy)
	if !h.running() {
		h.t.Errorf("seed %d: the shipper exited by itself before the end (%v); log:\n%s", h.seed, h.cmd.ProcessState, h.logTail(40))
		h.start()
	}
	done := func() (bool, int64) {
		stored, dead := h.delivered()
		for n := range h.next {
			if len(stored[n]) == 0 && dead[n].reason == "" {
				return false, int64(len(stored) + len(dead))
			}
		}
		return true, 0
	}
	stalled := false
	waitProgressOr(h.t, done, func() { stalled = true })
	if stalled {
		h.t.Errorf("seed %d: delivery stalled for %s before every line was stored or dead-lettered; %s", h.seed, stallWindow, h.stallReport())
		return
	}
	h.stop()
}

// waitProgressOr is waitProgress that calls onStall instead of failing, so
// the check can say which lines are missing.
func waitProgressOr(t *testing.T, poll func() (bool, int64), onStall func()) {
	last, lastChange := int64(-1), time.Now()
	for {
		done, p := poll()
		if done {
			return
		}
		if p != last {
			last, lastChange = p, time.Now()
		} else if time.Since(lastChange) > stallWindow {
			onStall()
			return
		}
		time.Sleep(pollEvery)
	}
}

// dlqLine is what the harness reads back from the dead-letter file.
type dlqLine struct {
	status int
	reason string
}

// readDeadLetters reads dead_letter.ndjson and its .1 (see
// pipeline.DeadLetterFile), keyed by line number; a torn last line is
// ignored (it is being written).
func readDeadLetters(dir string) map[int]dlqLine {
	out := map[int]dlqLine{}
	for _, name := range []string{"dead_letter.ndjson.1", "dead_letter.ndjson"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		r := bufio.NewReader(f)
		for {
			b, err := r.ReadBytes('\n')
			if err != nil {
				break
			}
			var e struct {
				Status int    `json:"status"`
				Reason string `json:"reason"`
				Event  struct {
					Message string `json:"message"`
				} `json:"event"`
			}
			if json.Unmarshal(b, &e) != nil {
				continue
			}
			if n, _ := parseNumbered(e.Event.Message); n >= 0 {
				out[n] = dlqLine{e.Status, e.Reason}
			}
		}
		f.Close()
	}
	return out
}

// check verifies the invariant and reports every violation with the line
// numbers, where they were written and the faults around them.
func (h *faultRun) check() faultResult {
	h.t.Helper()
	stored, dead := h.delivered()
	res := faultResult{seed: h.seed, disk: h.disk, lines: h.next, faults: h.faults}
	var lost, twice, poisonStored, poisonNotDead, both, noReason []int
	for n := range h.next {
		c, d := len(stored[n]), dead[n]
		inDLQ := d.reason != "" || d.status != 0
		switch {
		case h.poison[n] && c > 0:
			poisonStored = append(poisonStored, n)
		case h.poison[n] && !inDLQ:
			poisonNotDead = append(poisonNotDead, n)
		case c == 0 && !inDLQ:
			lost = append(lost, n)
		case c > 1:
			twice = append(twice, n)
		case c == 1 && inDLQ:
			both = append(both, n)
		}
		if inDLQ && d.reason == "" {
			noReason = append(noReason, n)
		}
		if c > 0 {
			res.stored++
		}
		if inDLQ {
			res.deadLetter++
		}
	}
	res.lost, res.dupLines = len(lost), len(twice)
	h.es.mu.Lock()
	res.conflicts = h.es.conflicts
	unconfirmed := h.es.unconfirmed
	h.es.mu.Unlock()
	// The bound on 409s: every document stored in a request whose answer
	// never reached the shipper (reset after storing, an answer slower than
	// timeout) comes back once; each SIGKILL, SIGTERM and reload may send
	// its batches in flight again (worker × bulk_max_size, and with
	// queue.disk what was indexed since the ack position was last
	// persisted: killsBound); each copytruncate what was read ahead of the
	// cursor (queue.mem.events); plus one batch of slack.
	res.bound = unconfirmed + h.dupBound + h.worker*h.bulk
	report := func(what string, ns []int) {
		if len(ns) > 0 {
			h.t.Errorf("seed %d: %d lines %s: %s", h.seed, len(ns), what, h.describe(ns))
		}
	}
	report("lost (neither stored nor dead-lettered)", lost)
	report("stored under two or more _ids", twice)
	report("poison but stored", poisonStored)
	report("poison but not in the dead-letter file", poisonNotDead)
	report("both stored and dead-lettered", both)
	report("dead-lettered without a reason", noReason)
	if res.conflicts > res.bound {
		h.t.Errorf("seed %d: %d duplicates (409) sent, bound %d (%d unconfirmed + %d for kills/stops/reloads/copytruncates + %d)", h.seed, res.conflicts, res.bound, unconfirmed, h.dupBound, h.worker*h.bulk)
	}
	if h.t.Failed() {
		h.t.Logf("seed %d: replay with SHIPPER_FAULTS_SEED=%d (and the same SHIPPER_FAULTS_ENABLE: the pending faults change the draw); %s", h.seed, h.seed, h.keepLog())
	}
	return res
}

// describe compacts line numbers into ranges, each with the step and file
// it was written to and the faults around that step.
func (h *faultRun) describe(ns []int) string {
	sort.Ints(ns)
	var b strings.Builder
	shown := 0
	for i := 0; i < len(ns) && shown < 8; shown++ {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 && h.origin[ns[j+1]] == h.origin[ns[i]] {
			j++
		}
		o := h.origin[ns[i]]
		fmt.Fprintf(&b, "\n  %d-%d (%d) written at step %d to %s; around: %s", ns[i], ns[j], j-i+1, o.step, o.file, h.around(o.step))
		i = j + 1
	}
	if shown == 8 {
		b.WriteString("\n  …")
	}
	return b.String()
}

// around lists the fault log entries from three steps before s to three after.
func (h *faultRun) around(s int) string {
	var out []string
	for _, e := range h.faultLog {
		var k int
		fmt.Sscanf(e, "%d:", &k)
		if k >= s-3 && k <= s+3 {
			out = append(out, e)
		}
	}
	return strings.Join(out, " ")
}
