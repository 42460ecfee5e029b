// Command queuebench compares, side by side, what the shipper's segment-log
// disk queue and a bbolt-based queue cost on flash at a paced event rate:
// bytes written to storage per 1,000 events and CPU per event. See README.md.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

var allModes = []string{"segq", "bbolt", "bbolt-nfs", "bbolt-tuned", "file"}

var modeDesc = map[string]string{
	"segq":        "(a) shipper/pipeline disk queue via pipeline.New+EnableDiskQueue, no-op output",
	"bbolt":       "(b) bbolt, 1 rw tx per interval (puts + deletes of acked keys), NoFreelistSync=false (default)",
	"bbolt-nfs":   "(b') same, NoFreelistSync=true",
	"bbolt-tuned": "(b'') same, NoFreelistSync=true, map freelist, bucket FillPercent=1.0 (append-only keys)",
	"file":        "(c) floor: one append-only file, length+CRC records, fsync per interval, never read/deleted",
}

// result is what a child prints on stdout (one JSON line).
type result struct {
	Mode       string           `json:"mode"`
	Events     int              `json:"events"`
	Seconds    float64          `json:"seconds"`
	WriteBytes int64            `json:"write_bytes"` // /proc/self/io
	WChar      int64            `json:"wchar"`
	SysCW      int64            `json:"syscw"`
	CPUUser    int64            `json:"cpu_user_us"`
	CPUSys     int64            `json:"cpu_sys_us"`
	Extra      map[string]int64 `json:"extra"`
	Err        string           `json:"error,omitempty"`

	// filled in by the parent
	DevBytes   int64 // sectors written to the loop device × 512 (incl. journal, metadata)
	DevFlushes int64 // flush requests completed by the loop device
}

func main() {
	child := flag.String("child", "", "internal: run one mode in this process and print its result")
	dir := flag.String("dir", "", "directory for the queue files (default: a loop-mounted ext4 image when root, else a temp dir)")
	events := flag.Int("events", 100_000, "events per run")
	rate := flag.Int("rate", 5000, "events per second")
	rounds := flag.Int("rounds", 3, "rounds; each round runs every mode once, in order (A B A B …)")
	modes := flag.String("modes", strings.Join(allModes, ","), "modes to run, in this order within a round")
	syncEvery := flag.Duration("sync", time.Second, "fsync/commit interval (queue.disk.sync_interval default: 1s)")
	loop := flag.Bool("loop", true, "as root, measure on a fresh loop-mounted ext4 image (device sectors written); false: /proc/self/io only")
	fsyncs := flag.Bool("fsyncs", true, "after the measured rounds, run each mode once more under strace -c to count fsync/fdatasync")
	flag.Parse()

	if *child != "" {
		r := runChild(*child, *dir, *events, *rate, *syncEvery)
		json.NewEncoder(os.Stdout).Encode(r)
		if r.Err != "" {
			os.Exit(1)
		}
		return
	}
	if err := parent(*dir, *events, *rate, *rounds, strings.Split(*modes, ","), *syncEvery, *loop, *fsyncs); err != nil {
		fmt.Fprintln(os.Stderr, "queuebench:", err)
		os.Exit(1)
	}
}

func runChild(mode, dir string, n, rate int, syncEvery time.Duration) result {
	r := result{Mode: mode, Events: n}
	io0, err := readProcIO()
	if err != nil {
		r.Err = err.Error()
		return r
	}
	ru0 := rusage()
	t0 := time.Now()
	switch mode {
	case "segq":
		r.Extra, err = runSegq(dir, n, rate, syncEvery)
	case "bbolt":
		r.Extra, err = runBolt(dir, n, rate, syncEvery, false, false)
	case "bbolt-nfs":
		r.Extra, err = runBolt(dir, n, rate, syncEvery, true, false)
	case "bbolt-tuned":
		r.Extra, err = runBolt(dir, n, rate, syncEvery, true, true)
	case "file":
		r.Extra, err = runFile(dir, n, rate, syncEvery)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	r.Seconds = time.Since(t0).Seconds()
	ru1 := rusage()
	io1, ioErr := readProcIO()
	if err == nil {
		err = ioErr
	}
	if err != nil {
		r.Err = err.Error()
	}
	r.WriteBytes = io1["write_bytes"] - io0["write_bytes"]
	r.WChar = io1["wchar"] - io0["wchar"]
	r.SysCW = io1["syscw"] - io0["syscw"]
	r.CPUUser = tvUS(ru1.Utime) - tvUS(ru0.Utime)
	r.CPUSys = tvUS(ru1.Stime) - tvUS(ru0.Stime)
	return r
}

func readProcIO() (map[string]int64, error) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			m[k], _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return m, nil
}

func rusage() syscall.Rusage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru
}

func tvUS(tv syscall.Timeval) int64 { return tv.Sec*1e6 + tv.Usec }

// fsTarget is where the children write, and how to read its device.
type fsTarget struct {
	dir     string
	dev     string // e.g. "loop3"; "" when not on a private loop device
	cleanup func()
}

func setupTarget(dir string, loop bool) (*fsTarget, error) {
	if dir != "" {
		return &fsTarget{dir: dir, cleanup: func() {}}, os.MkdirAll(dir, 0o755)
	}
	tmp, err := os.MkdirTemp("", "queuebench-")
	if err != nil {
		return nil, err
	}
	t := &fsTarget{dir: tmp, cleanup: func() { os.RemoveAll(tmp) }}
	if !loop || os.Geteuid() != 0 {
		return t, nil
	}
	img := filepath.Join(tmp, "fs.img")
	mnt := filepath.Join(tmp, "mnt")
	os.Mkdir(mnt, 0o755)
	steps := [][]string{
		{"truncate", "-s", "512M", img},
		// Initialise inode tables and journal now, so that ext4lazyinit
		// does not write in the background during the runs.
		{"mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", img},
		{"mount", "-o", "loop", img, mnt},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "queuebench: %s: %v %s; falling back to /proc/self/io only\n", strings.Join(s, " "), err, out)
			return t, nil
		}
	}
	out, err := exec.Command("findmnt", "-n", "-o", "SOURCE", mnt).Output()
	if err != nil {
		exec.Command("umount", mnt).Run()
		return t, nil
	}
	t.dir = mnt
	t.dev = filepath.Base(strings.TrimSpace(string(out)))
	t.cleanup = func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "queuebench: umount %s: %v %s\n", mnt, err, out)
		}
		os.RemoveAll(tmp)
	}
	return t, nil
}

// devStat returns sectors written and flush requests completed.
func (t *fsTarget) devStat() (sectors, flushes int64) {
	if t.dev == "" {
		return 0, 0
	}
	b, err := os.ReadFile("/sys/block/" + t.dev + "/stat")
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b))
	if len(f) > 6 {
		sectors, _ = strconv.ParseInt(f[6], 10, 64)
	}
	if len(f) > 15 {
		flushes, _ = strconv.ParseInt(f[15], 10, 64)
	}
	return sectors, flushes
}

// syncfs flushes the target file system so that a run's writes are counted
// in its own window.
func (t *fsTarget) syncfs() {
	f, err := os.Open(t.dir)
	if err != nil {
		return
	}
	defer f.Close()
	unix.Syncfs(int(f.Fd()))
}

var errInterrupted = errors.New("interrupted")

func parent(dir string, n, rate, rounds int, modes []string, syncEvery time.Duration, loop, countFsyncs bool) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	t, err := setupTarget(dir, loop)
	if err != nil {
		return err
	}
	defer t.cleanup()
	// On SIGINT/SIGTERM: stop the running child; the rounds stop and the
	// deferred cleanup unmounts.
	var running atomic.Pointer[os.Process]
	var stopping atomic.Bool
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		stopping.Store(true)
		if p := running.Load(); p != nil {
			p.Kill()
		}
	}()

	rec, doc := recordSizes(1000)
	fmt.Printf("queuebench: %d events per run at %d ev/s (~%.0f s), sync every %v, %d rounds of %v\n",
		n, rate, float64(n)/float64(rate), syncEvery, rounds, modes)
	fmt.Printf("event: squid ECS document %.0f B as Elasticsearch JSON, %.0f B as a queue record (shipper codec)\n", doc, rec)
	if t.dev != "" {
		fmt.Printf("storage: fresh ext4 image loop-mounted at %s (/dev/%s); device bytes = sectors written to it incl. journal\n", t.dir, t.dev)
	} else {
		fmt.Printf("storage: %s (no private device: device columns are n/a)\n", t.dir)
	}

	runOne := func(mode string, round int, wrap []string) (result, error) {
		d := filepath.Join(t.dir, fmt.Sprintf("%s-%d", mode, round))
		os.RemoveAll(d)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return result{}, err
		}
		defer func() { os.RemoveAll(d); t.syncfs() }()
		t.syncfs()
		s0, f0 := t.devStat()
		args := append(wrap, self, "-child", mode, "-dir", d, "-events", strconv.Itoa(n), "-rate", strconv.Itoa(rate), "-sync", syncEvery.String())
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stderr = os.Stderr
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if stopping.Load() {
			return result{}, errInterrupted
		}
		err := cmd.Start()
		if err == nil {
			running.Store(cmd.Process)
			err = cmd.Wait()
			running.Store(nil)
		}
		out := stdout.Bytes()
		t.syncfs()
		s1, f1 := t.devStat()
		var r result
		if jerr := json.Unmarshal(lastLine(out), &r); jerr != nil {
			return r, fmt.Errorf("%s: %v (output %q)", mode, err, out)
		}
		if r.Err != "" {
			return r, fmt.Errorf("%s: %s", mode, r.Err)
		}
		r.DevBytes = (s1 - s0) * 512
		r.DevFlushes = f1 - f0
		return r, err
	}

	results := map[string][]result{}
	failures := map[string][]string{}
	for round := 1; round <= rounds; round++ {
		for _, m := range modes {
			r, err := runOne(m, round, nil)
			if stopping.Load() {
				return errInterrupted
			}
			if err != nil {
				fmt.Printf("round %d %-11s FAILED (not counted): %v\n", round, m, err)
				failures[m] = append(failures[m], err.Error())
				continue
			}
			results[m] = append(results[m], r)
			fmt.Printf("round %d %-11s %5.1fs  write_bytes/1k %8.0f  device/1k %8.0f  wchar/1k %8.0f  cpu %6.1f µs/ev  dev flushes %d  %v\n",
				round, m, r.Seconds, per1k(r.WriteBytes, n), per1k(r.DevBytes, n), per1k(r.WChar, n),
				float64(r.CPUUser+r.CPUSys)/float64(n), r.DevFlushes, r.Extra)
		}
	}

	fsyncCounts := map[string]string{}
	if _, err := exec.LookPath("strace"); countFsyncs && err == nil {
		for _, m := range modes {
			if len(results[m]) == 0 {
				continue
			}
			o := filepath.Join(t.dir, "strace-"+m+".txt")
			if _, err := runOne(m, 0, []string{"strace", "-f", "-qq", "-c", "-o", o, "-e", "trace=fsync,fdatasync,sync_file_range"}); err != nil {
				if stopping.Load() {
					return errInterrupted
				}
				fsyncCounts[m] = "run failed: " + err.Error()
			} else {
				fsyncCounts[m] = straceCounts(o)
			}
			os.Remove(o)
		}
	}

	printTable(results, failures, modes, n, fsyncCounts)
	return nil
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// straceCounts turns an strace -c summary into "fsync 21 fdatasync 0".
func straceCounts(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "?"
	}
	defer f.Close()
	var parts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 5 && (fs[len(fs)-1] == "fsync" || fs[len(fs)-1] == "fdatasync" || fs[len(fs)-1] == "sync_file_range") {
			parts = append(parts, fs[len(fs)-1]+" "+fs[3])
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func per1k(v int64, n int) float64 { return float64(v) * 1000 / float64(n) }

type stat struct{ med, lo, hi float64 }

func summarize(rs []result, f func(result) float64) stat {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return stat{m, v[0], v[len(v)-1]}
}

func printTable(results map[string][]result, failures map[string][]string, modes []string, n int, fsyncCounts map[string]string) {
	cols := []struct {
		name string
		f    func(result) float64
		unit string
	}{
		{"device B/1k ev", func(r result) float64 { return per1k(r.DevBytes, n) }, "%.0f"},
		{"write_bytes B/1k ev", func(r result) float64 { return per1k(r.WriteBytes, n) }, "%.0f"},
		{"wchar B/1k ev", func(r result) float64 { return per1k(r.WChar, n) }, "%.0f"},
		{"CPU µs/ev", func(r result) float64 { return float64(r.CPUUser+r.CPUSys) / float64(n) }, "%.2f"},
		{"dev flushes/run", func(r result) float64 { return float64(r.DevFlushes) }, "%.0f"},
	}
	// The ratios' base: the first mode with no failed run.
	var base string
	var ok []string
	for _, m := range modes {
		if len(results[m]) > 0 {
			ok = append(ok, m)
			if base == "" && len(failures[m]) == 0 {
				base = m
			}
		}
	}
	if len(ok) == 0 {
		fmt.Println("\nno mode completed a run")
		return
	}
	if base == "" {
		base = ok[0]
	}
	for _, m := range modes {
		if f := failures[m]; len(f) > 0 {
			fmt.Printf("\n%s: %d of %d runs FAILED, e.g.: %s\n", m, len(f), len(f)+len(results[m]), f[0])
		}
	}
	fmt.Printf("\nmedian [min-max] over the completed runs; ratio = mode / %s (medians)\n", base)
	for _, c := range cols {
		fmt.Printf("\n%s\n", c.name)
		bm := summarize(results[base], c.f).med
		for _, m := range ok {
			s := summarize(results[m], c.f)
			ratio := "-"
			if bm != 0 {
				ratio = fmt.Sprintf("%.2f", s.med/bm)
			}
			fmt.Printf("  %-11s %12s  [%s-%s]  n=%d  ratio %s\n", m, fmt.Sprintf(c.unit, s.med), fmt.Sprintf(c.unit, s.lo), fmt.Sprintf(c.unit, s.hi), len(results[m]), ratio)
		}
	}
	if len(fsyncCounts) > 0 {
		fmt.Printf("\nfsync-family syscalls in one extra run per mode (strace -f -c, %d events; not used for CPU):\n", n)
		for _, m := range modes {
			if c, ok := fsyncCounts[m]; ok {
				fmt.Printf("  %-11s %s\n", m, c)
			}
		}
	}
	fmt.Println("\nmodes:")
	for _, m := range modes {
		fmt.Printf("  %-11s %s\n", m, modeDesc[m])
	}
}
