package cli

import (
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/shipper/config"
)

// TestMain marks GOMEMLIMIT as set for the commands that run in this
// process: `run` would otherwise give the test binary memory_limit's
// default, 24MiB, which a test binary's heap (larger under -race) exceeds.
// TestRunAppliesMemoryLimit clears it again.
func TestMain(m *testing.M) {
	if os.Getenv("GOMEMLIMIT") == "" {
		os.Setenv("GOMEMLIMIT", "off")
	}
	// And GOMAXPROCS: `run` would otherwise put the whole test binary on
	// one core (max_procs' default). TestMaxProcs clears it again.
	if os.Getenv("GOMAXPROCS") == "" {
		os.Setenv("GOMAXPROCS", strconv.Itoa(runtime.GOMAXPROCS(0)))
	}
	os.Exit(m.Run())
}

// TestRunAppliesMemoryLimit: `run` sets the Go runtime's soft memory limit
// from memory_limit (0: none), GOMEMLIMIT in the environment wins and is
// said to, and --memprofile writes a heap profile (issue 17).
func TestRunAppliesMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	os.WriteFile(log, []byte("1572202844.025    752 10.170.22.143 TCP_MISS/200 16801 GET http://example.org/ - ORIGINAL_DST/83.111.231.225 text/html\n"), 0o600)
	runWith := func(limit string) (int, string) {
		t.Helper()
		cfgFile := filepath.Join(dir, "shipper.yml")
		os.RemoveAll(filepath.Join(dir, "data"))
		os.WriteFile(cfgFile, []byte(fmt.Sprintf(`path.data: %q
shipper.inputs:
  - {type: squid, id: a, paths: [%q]}
output.file: {path: %q, filename: out.ndjson}
logging.metrics.enabled: false
memory_limit: %s
`, filepath.Join(dir, "data"), log, filepath.Join(dir, "out"), limit)), 0o600)
		code, out, errs := cmd(t, "", "run", "--once", "-c", cfgFile, "--memprofile", filepath.Join(dir, "heap.pprof"))
		if code != ExitOK {
			t.Fatalf("run --once with memory_limit: %s: exit %d\n%s%s", limit, code, out, errs)
		}
		return code, errs
	}

	t.Setenv("GOMEMLIMIT", "")
	runWith("40MiB")
	if got := debug.SetMemoryLimit(-1); got != 40<<20 {
		t.Errorf("after run with memory_limit: 40MiB, the memory limit is %d, want %d", got, 40<<20)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "heap.pprof")); err != nil || !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Errorf("--memprofile wrote no gzipped profile: %v, %d bytes", err, len(b))
	}
	runWith("0")
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("after run with memory_limit: 0, the memory limit is %d, want none (%d)", got, int64(math.MaxInt64))
	}

	t.Setenv("GOMEMLIMIT", "64MiB")
	debug.SetMemoryLimit(64 << 20) // as the runtime read it at start
	_, errs := runWith("40MiB")
	if got := debug.SetMemoryLimit(-1); got != 64<<20 {
		t.Errorf("with GOMEMLIMIT=64MiB and memory_limit: 40MiB, the memory limit is %d, want GOMEMLIMIT's %d", got, 64<<20)
	}
	if !strings.Contains(errs, "GOMEMLIMIT from the environment wins over memory_limit") {
		t.Errorf("GOMEMLIMIT winning is not logged; stderr:\n%s", errs)
	}
}

// The default limit grows by what the flow inputs' decode queues may hold
// (queue_size × max_message_size): a burst fills them, and a limit below
// that made the collector run without pause at a third of the decode speed.
// An explicit memory_limit stays as written.
func TestDefaultMemoryLimitCoversFlowQueues(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	t.Setenv("GOMEMLIMIT", "")
	const base = `path.data: /tmp/x
output.console: {}
shipper.inputs:
  - {type: netflow, id: nf, queue_size: 1000}
  - {type: sflow, id: sf}
  - {type: netflow, id: off, enabled: false, host: "localhost:2056"}
`
	for _, c := range []struct {
		extra string
		want  int64
	}{
		{"", 24<<20 + 1000*10<<10 + 8192*10<<10},
		{"memory_limit: 24MiB\n", 24 << 20},
		{"memory_limit: 0\n", math.MaxInt64},
	} {
		cfg, err := config.LoadBytes([]byte(base+c.extra), "shipper.yml", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := applyMemoryLimit(cfg, slog.New(slog.DiscardHandler)); got != c.want || debug.SetMemoryLimit(-1) != c.want {
			t.Errorf("%q: limit %d, want %d", c.extra, got, c.want)
		}
	}
}

// gc_percent (Beats' key) sets the collector's growth; 0 and an absent key
// give DefaultGCPercent; GOGC in the environment wins and is said to win.
func TestGCPercent(t *testing.T) {
	prev := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	t.Setenv("GOGC", "")
	for _, c := range []struct {
		extra string
		want  int
	}{
		{"", config.DefaultGCPercent},
		{"gc_percent: 0\n", config.DefaultGCPercent},
		{"gc_percent: 50\n", 50},
		{"gc_percent: 400\n", 400},
		{"", config.DefaultGCPercent}, // a reload without the key: back to the default
	} {
		if got := applyGCPercent(loadSquid(t, c.extra), slog.New(slog.DiscardHandler)); got != c.want || current() != c.want {
			t.Errorf("%q: gc percent %d (in force %d), want %d", c.extra, got, current(), c.want)
		}
	}

	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150) // as the runtime read it at start
	var logged bytes.Buffer
	if got := applyGCPercent(loadSquid(t, "gc_percent: 50\n"), slog.New(slog.NewTextHandler(&logged, nil))); got != 150 || current() != 150 {
		t.Errorf("with GOGC=150 and gc_percent: 50, gc percent %d (in force %d), want GOGC's 150", got, current())
	}
	if !strings.Contains(logged.String(), "GOGC from the environment wins over gc_percent") {
		t.Errorf("GOGC winning is not logged:\n%s", logged.String())
	}
}

// max_procs (Beats' key) sets how many threads run Go code: 1 by default
// (issue 17: one core of a router's, and less CPU per event), 0 Go's own
// default (every CPU the process may use, as Beats without the key), N N;
// a reload applies it; GOMAXPROCS in the environment wins and is said to.
func TestMaxProcs(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	runtime.SetDefaultGOMAXPROCS()
	all := runtime.GOMAXPROCS(0)
	t.Setenv("GOMAXPROCS", "")
	for _, c := range []struct {
		extra string
		want  int
	}{
		{"", 1},
		{"max_procs: 0\n", all},
		{"max_procs: 3\n", 3},
		{"", 1}, // a reload without the key: back to the default
		{"max_procs: \"2\"\n", 2},
	} {
		if got := applyMaxProcs(loadSquid(t, c.extra), slog.New(slog.DiscardHandler)); got != c.want || runtime.GOMAXPROCS(0) != c.want {
			t.Errorf("%q: max procs %d (in force %d), want %d", c.extra, got, runtime.GOMAXPROCS(0), c.want)
		}
	}

	t.Setenv("GOMAXPROCS", "2")
	runtime.GOMAXPROCS(2) // as the runtime read it at start
	var logged bytes.Buffer
	if got := applyMaxProcs(loadSquid(t, "max_procs: 3\n"), slog.New(slog.NewTextHandler(&logged, nil))); got != 2 || runtime.GOMAXPROCS(0) != 2 {
		t.Errorf("with GOMAXPROCS=2 and max_procs: 3, max procs %d (in force %d), want GOMAXPROCS's 2", got, runtime.GOMAXPROCS(0))
	}
	if !strings.Contains(logged.String(), "GOMAXPROCS from the environment wins over max_procs") {
		t.Errorf("GOMAXPROCS winning is not logged:\n%s", logged.String())
	}
	logged.Reset()
	applyMaxProcs(loadSquid(t, ""), slog.New(slog.NewTextHandler(&logged, nil)))
	if logged.Len() != 0 || runtime.GOMAXPROCS(0) != 2 {
		t.Errorf("with GOMAXPROCS=2 and no max_procs: in force %d, logged %q; want 2, nothing logged", runtime.GOMAXPROCS(0), logged.String())
	}
}

// A queue.mem.bytes above its default grows the default memory_limit by
// the difference (a full queue under a limit that did not count it would
// keep the collector running); 0 (no byte bound) adds nothing, and an
// explicit memory_limit stays as written.
func TestDefaultMemoryLimitCoversQueueBytes(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	t.Setenv("GOMEMLIMIT", "")
	for _, c := range []struct {
		extra string
		want  int64
	}{
		{"", 24 << 20},
		{"queue.mem.bytes: 4MiB\n", 24 << 20},
		{"queue.mem.bytes: 0\n", 24 << 20},
		{"queue.mem.bytes: 40MiB\n", 24<<20 + 32<<20},
		{"queue.mem.bytes: 40MiB\nmemory_limit: 30MiB\n", 30 << 20},
	} {
		if got := applyMemoryLimit(loadSquid(t, c.extra), slog.New(slog.DiscardHandler)); got != c.want {
			t.Errorf("%q: limit %d, want %d", c.extra, got, c.want)
		}
	}
}

// The flow queues' allowance, shown by its effect rather than by the limit
// it computes: with a netflow decode queue full (queue_size buffers of
// max_message_size+1 bytes, as the listener's pool holds them; 3000 ×
// 10 KiB, more than memory_limit's default), the limit that counts the
// queue leaves the collector room to work between collections (its heap
// goal is well above the live heap), while the plain default leaves none
// (the goal is at the live heap: a collection starts as soon as one ends,
// the 46 instead of 14 CPU-µs per flow of scripts/bench/flows-vs-filebeat.sh).
// Read from the runtime's heap goal after a collection, not from timings;
// in a child process, so that the test binary's own heap does not count.
func TestFlowQueueAllowanceLeavesTheCollectorRoom(t *testing.T) {
	if os.Getenv("SHIPPER_TEST_HEAP_GOAL_CHILD") == "" {
		c := exec.Command(os.Args[0], "-test.run=^TestFlowQueueAllowanceLeavesTheCollectorRoom$", "-test.count=1", "-test.v")
		c.Env = append(os.Environ(), "SHIPPER_TEST_HEAP_GOAL_CHILD=1", "GOMEMLIMIT=", "GOGC=")
		out, err := c.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS")) {
			t.Fatalf("child: %v\n%s", err, out)
		}
		t.Logf("child:\n%s", out)
		return
	}
	t.Setenv("GOMEMLIMIT", "") // TestMain set it for the other tests
	debug.SetGCPercent(config.DefaultGCPercent)
	const queueSize, msgSize = 3000, 10 << 10
	cfg, err := config.LoadBytes([]byte(fmt.Sprintf("path.data: /tmp/x\noutput.console: {}\nshipper.inputs:\n  - {type: netflow, id: nf, queue_size: %d, max_message_size: %d}\n", queueSize, msgSize)), "shipper.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	queue := make([][]byte, queueSize) // the full decode queue
	for i := range queue {
		queue[i] = make([]byte, msgSize+1)
	}
	room := func() (goal, live uint64) {
		runtime.GC()
		s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/gc/heap/live:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64(), s[1].Value.Uint64()
	}

	limit := applyMemoryLimit(cfg, slog.New(slog.DiscardHandler))
	goal, live := room()
	t.Logf("limit with the allowance %d MiB: live heap %.1f MiB, heap goal %.1f MiB", limit>>20, float64(live)/(1<<20), float64(goal)/(1<<20))
	if goal < live+8<<20 {
		t.Errorf("with the allowance the collector has %d bytes of room, want at least 8 MiB", int64(goal)-int64(live))
	}
	debug.SetMemoryLimit(int64(config.DefaultMemoryLimit))
	goal, live = room()
	t.Logf("limit without %d MiB: live heap %.1f MiB, heap goal %.1f MiB", config.DefaultMemoryLimit>>20, float64(live)/(1<<20), float64(goal)/(1<<20))
	if goal > live+1<<20 {
		t.Errorf("without the allowance the collector has %d bytes of room; the queue should have taken it all", int64(goal)-int64(live))
	}
	runtime.KeepAlive(queue)
}

// loadSquid loads a configuration of one squid input and the console
// output, with extra appended.
func loadSquid(t *testing.T, extra string) *config.Config {
	t.Helper()
	cfg, err := config.LoadBytes([]byte("path.data: /tmp/x\noutput.console: {}\nshipper.inputs:\n  - {type: squid, id: a, paths: [x]}\n"+extra), "shipper.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
