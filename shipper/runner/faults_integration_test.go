//go:build integration

package runner

// The randomized fault harness (issue 18): the real shipper binary tails a
// stream of numbered lines while a seeded schedule injects faults — SIGKILL,
// SIGTERM, SIGHUP with a changed configuration, rename and copytruncate
// rotation, tiny new files, a fake Elasticsearch that fails in every way a
// cluster or a proxy does (faults_es_integration_test.go), a full queue and
// a full path.data. After the schedule it lets the system settle (waiting on
// progress, never on a fixed deadline) and checks one invariant:
//
//   - every line is indexed exactly once (by _id, and no line under two
//     _ids) or is in the dead-letter file with a reason;
//   - every poison line (refused by the proxy) is in the dead-letter file;
//   - the 409 duplicates sent stay within the bound stated in dupBound;
//   - nothing stalls: the settle phase reaches the end.
//
//	go test -tags integration -run FaultHarness ./shipper/runner/          short: 4 seeds, 2 with each queue
//	SHIPPER_FAULTS_SEED=12345 go test -tags integration -run FaultHarness …  replay one seed
//	SHIPPER_FAULTS_LONG=30m go test -tags integration -timeout 40m -run FaultHarness …  seeds until 30m are over
//	SHIPPER_FAULTS_ENABLE=all (or poison,tiny-file) also runs the pending faults below

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pendingFaults are faults whose fix is not on main yet: the schedule leaves
// them out (and says so) until the fix lands; then the entry goes.
var pendingFaults = map[string]string{
	// Found by this harness, not on issue 18's list: a SIGHUP that arrives
	// while the shipper starts, before it listens for SIGHUP, kills it
	// (default disposition, exit 129): 3 of 20 with a HUP 0-90 ms after
	// the start (systemctl reload or logrotate's postrotate right after a
	// start). While pending, the harness sends SIGHUP only once the
	// shipper logged "shipper started".
	"sighup-at-start": "run: a SIGHUP during start-up kills the shipper (exit 129)",
}

// faultKinds are the faults a schedule draws from, with their weights.
var faultKinds = []struct {
	kind   string
	weight int
	disk   bool // only with queue.disk
}{
	{"sigkill", 4, false},
	{"sigterm", 2, false},
	{"sighup", 2, false},
	{"rotate-rename", 3, false},
	{"rotate-copytruncate", 3, false},
	{"tiny-file", 2, false},
	{"es-503", 2, false},
	{"es-429", 2, false},
	{"es-item-errors", 2, false},
	{"es-reset", 2, false},
	{"es-reset-after-store", 2, false},
	{"es-slow", 2, false},
	{"poison", 2, false},
	{"queue-full", 2, false},
	{"disk-full", 2, true},
}

// step is one entry of a schedule: write n lines, or inject a fault.
type step struct {
	kind string // "write", a fault kind, or "es-healthy"
	n    int    // lines for write; a parameter for some faults
}

func (s step) String() string {
	switch s.kind {
	case "write":
		return fmt.Sprintf("w%d", s.n)
	case "es-healthy":
		return "es-ok"
	}
	return s.kind
}

// faultEnabled reports whether kind may be scheduled, and why not.
func faultEnabled(kind string) (bool, string) {
	why, pending := pendingFaults[kind]
	if !pending {
		return true, ""
	}
	env := os.Getenv("SHIPPER_FAULTS_ENABLE")
	if env == "all" || slices.Contains(strings.Split(env, ","), kind) {
		return true, ""
	}
	return false, why
}

// makeSchedule draws faults interleaved with writes of 100–1500 lines; an
// Elasticsearch failure mode lasts one to three steps, then it is healthy
// again. The last step is a write, so the newest file is long enough to be
// identified.
func makeSchedule(rng *rand.Rand, faults int, disk, canFillDisk bool) []step {
	var kinds []string
	for _, k := range faultKinds {
		if ok, _ := faultEnabled(k.kind); !ok || k.disk && !disk {
			continue
		}
		if k.kind == "disk-full" && !canFillDisk {
			continue
		}
		for range k.weight {
			kinds = append(kinds, k.kind)
		}
	}
	var s []step
	healthyIn := -1
	for range faults {
		s = append(s, step{kind: "write", n: 100 + rng.IntN(1400)})
		k := kinds[rng.IntN(len(kinds))]
		s = append(s, step{kind: k, n: rng.IntN(1 << 30)})
		if strings.HasPrefix(k, "es-") {
			healthyIn = 1 + rng.IntN(3)
		} else if healthyIn > 0 {
			healthyIn--
			if healthyIn == 0 {
				s = append(s, step{kind: "es-healthy"})
			}
		}
	}
	s = append(s, step{kind: "es-healthy"}, step{kind: "write", n: 100 + rng.IntN(400)})
	return s
}

// faultResult is what one seed did, for the long mode's totals.
type faultResult struct {
	seed                                      uint64
	disk                                      bool
	lines, stored, lost, dupLines, deadLetter int
	conflicts, bound                          int
	faults                                    map[string]int
	failed                                    bool
}

func TestFaultHarness(t *testing.T) {
	bin := shipperBin(t)
	var seeds []uint64
	var until time.Time
	long, _ := time.ParseDuration(os.Getenv("SHIPPER_FAULTS_LONG"))
	switch {
	case os.Getenv("SHIPPER_FAULTS_SEED") != "":
		n, err := strconv.ParseUint(os.Getenv("SHIPPER_FAULTS_SEED"), 10, 64)
		if err != nil {
			t.Fatalf("SHIPPER_FAULTS_SEED: %v", err)
		}
		seeds = []uint64{n}
	case long > 0:
		until = time.Now().Add(long)
	default:
		s := uint64(time.Now().UnixNano()) % 1_000_000 &^ 1
		seeds = []uint64{s, s + 1, s + 2, s + 3} // even: memory queue, odd: queue.disk
	}
	for _, k := range faultKinds {
		if ok, why := faultEnabled(k.kind); !ok {
			t.Logf("fault %s disabled: %s (SHIPPER_FAULTS_ENABLE=%s runs it)", k.kind, why, k.kind)
		}
	}
	var results []faultResult
	seed := uint64(time.Now().UnixNano()) % 1_000_000
	for i := 0; ; i++ {
		if until.IsZero() {
			if i == len(seeds) {
				break
			}
			seed = seeds[i]
		} else {
			if time.Now().After(until) {
				break
			}
			seed++
		}
		var res faultResult
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			// Deferred: a stall ends the seed with t.Fatal, and it must
			// still count as failed in the long mode's totals.
			defer func() { res.seed, res.failed = seed, t.Failed() }()
			res = runFaultSeed(t, bin, seed)
		})
		results = append(results, res)
	}
	if !until.IsZero() {
		logTotals(t, results)
	}
}

func logTotals(t *testing.T, rs []faultResult) {
	var tot faultResult
	tot.faults = map[string]int{}
	var failed []string
	for _, r := range rs {
		tot.lines += r.lines
		tot.stored += r.stored
		tot.lost += r.lost
		tot.dupLines += r.dupLines
		tot.deadLetter += r.deadLetter
		tot.conflicts += r.conflicts
		tot.bound += r.bound
		for k, v := range r.faults {
			tot.faults[k] += v
		}
		if r.failed {
			failed = append(failed, strconv.FormatUint(r.seed, 10))
		}
	}
	t.Logf("long mode: %d seeds, %d failed %v; %d lines, %d lost, %d stored twice, %d dead-lettered, %d 409s (bound %d); faults %v",
		len(rs), len(failed), failed, tot.lines, tot.lost, tot.dupLines, tot.deadLetter, tot.conflicts, tot.bound, sortedCounts(tot.faults))
}

func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, m[k])
	}
	return strings.TrimSpace(b.String())
}

func runFaultSeed(t *testing.T, bin string, seed uint64) faultResult {
	disk := seed%2 == 1
	h := newFaultRun(t, bin, seed, disk)
	// The same number of faults in every mode, so that a seed of the long
	// mode replays with SHIPPER_FAULTS_SEED.
	sched := makeSchedule(h.rng, 20, disk, h.tmpfs != "")
	t.Logf("seed %d: queue %s, path.data on %s, %d steps", seed, h.queueName(), h.dataFS(), len(sched))
	start := time.Now()
	h.start()
	for i, s := range sched {
		h.stepNo = i
		h.do(s)
	}
	h.settle()
	res := h.check()
	req, perMode, p400 := h.es.counts()
	t.Logf("seed %d: %d lines, %d stored, %d lost, %d stored twice, %d dead-lettered (%d poison), %d 409s (bound %d), %d requests %v, %d proxy 400s, in %s\nfaults: %s",
		seed, res.lines, res.stored, res.lost, res.dupLines, res.deadLetter, len(h.poison), res.conflicts, res.bound,
		req, perMode, p400, time.Since(start).Round(time.Second), strings.Join(h.faultLog, " "))
	return res
}
