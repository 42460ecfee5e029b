package snmp

import (
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

func TestDelta(t *testing.T) {
	f := func(prev, cur counterVal, want uint64, wantOK bool) {
		t.Helper()
		got, ok := delta(prev, cur)
		if got != want || ok != wantOK {
			t.Errorf("delta(%v, %v) = %d, %v; want %d, %v", prev, cur, got, ok, want, wantOK)
		}
	}
	f(counterVal{10, 32}, counterVal{15, 32}, 5, true)
	f(counterVal{math.MaxUint32 - 4, 32}, counterVal{5, 32}, 10, true) // Counter32 wrap
	f(counterVal{math.MaxUint64 - 4, 64}, counterVal{5, 64}, 10, true) // Counter64 wrap
	f(counterVal{7, 64}, counterVal{7, 64}, 0, true)
	f(counterVal{10, 64}, counterVal{15, 32}, 0, false) // width changed
	f(counterVal{}, counterVal{15, 32}, 0, false)       // no previous value
}

func TestRebooted(t *testing.T) {
	f := func(elapsed time.Duration, prevUp, up uint32, want bool) {
		t.Helper()
		if got := rebooted(elapsed, prevUp, up); got != want {
			t.Errorf("rebooted(%s, %d, %d) = %v, want %v", elapsed, prevUp, up, got, want)
		}
	}
	f(10*time.Second, 100000, 101000, false)            // normal
	f(10*time.Second, 100000, 101300, false)            // agent clock a bit fast
	f(10*time.Second, 100000, 100500, false)            // within the slack (agent answered late)
	f(10*time.Second, 100000, 500, true)                // went back
	f(10*time.Minute, 3000, 12000, true)                // up 2 min after a 10 min gap
	f(10*time.Second, math.MaxUint32-499, 500, false)   // 497-day wrap
	f(10*time.Second, math.MaxUint32-499, 100000, true) // went back further than a wrap explains
	f(0, 100, 50, false)                                // no elapsed time: cannot tell
	f(-time.Second, 100, 50, false)                     // clock went back
	f(10*time.Second, 0, 1000, false)                   // agent just started at the previous poll
}

func snapAt(sec int, c ...counterVal) *snap {
	s := &snap{at: t0.Add(time.Duration(sec) * time.Second)}
	copy(s.c[:], c)
	return s
}

func TestComputeRates(t *testing.T) {
	c64 := func(v uint64) counterVal { return counterVal{v, 64} }
	c32 := func(v uint64) counterVal { return counterVal{v, 32} }

	// in octets only (slot order: cInOctets first).
	res := computeRates(snapAt(0, c64(0)), snapAt(10, c64(1250000)), 100e6, false, 2)
	if !res.ok[rInBps] || res.val[rInBps] != 1e6 {
		t.Errorf("in.bps = %v %v, want 1e6", res.val[rInBps], res.ok[rInBps])
	}
	if res.ok[rOutBps] {
		t.Error("out.bps without out counters")
	}

	// Above line speed × margin: dropped. 100 Mbit/s × 2 = 200 Mbit/s.
	res = computeRates(snapAt(0, c64(0)), snapAt(10, c64(300e6)), 100e6, false, 2)
	if res.ok[rInBps] || res.dropped != 1 {
		t.Errorf("240 Mbit/s on a 100 Mbit/s link: ok=%v dropped=%d, want dropped", res.ok[rInBps], res.dropped)
	}
	// Same on a loopback: kept.
	res = computeRates(snapAt(0, c64(0)), snapAt(10, c64(300e6)), 100e6, true, 2)
	if !res.ok[rInBps] {
		t.Error("loopback rate dropped")
	}
	// Unknown speed: nothing to check against, kept.
	res = computeRates(snapAt(0, c64(0)), snapAt(10, c64(300e6)), 0, false, 2)
	if !res.ok[rInBps] {
		t.Error("rate with unknown speed dropped")
	}
	// 32-bit at 10 Gbit/s over 10 s: may have wrapped 2 times: ambiguous.
	res = computeRates(snapAt(0, c32(0)), snapAt(10, c32(1000)), 10e9, false, 2)
	if res.ok[rInBps] || res.ambiguous != 1 {
		t.Errorf("32-bit at 10 Gbit/s: ok=%v ambiguous=%d, want ambiguous", res.ok[rInBps], res.ambiguous)
	}
	// Zero or negative interval: no rates at all.
	res = computeRates(snapAt(10, c64(0)), snapAt(10, c64(5)), 100e6, false, 2)
	if res.ok[rInBps] || res.interval != 0 {
		t.Error("rates over a zero interval")
	}

	// Packets: the sum of unicast + multicast + broadcast; ifInNUcastPkts
	// only without multicast/broadcast counters.
	prev, cur := snapAt(0), snapAt(10)
	prev.c[cInUcast], cur.c[cInUcast] = c64(0), c64(100)
	prev.c[cInMcast], cur.c[cInMcast] = c32(0), c32(20)
	prev.c[cInNUcast], cur.c[cInNUcast] = c32(0), c32(999) // ignored: multicast exists
	res = computeRates(prev, cur, 1e9, false, 2)
	if !res.ok[rInPps] || res.val[rInPps] != 12 {
		t.Errorf("in.pps = %v %v, want 12", res.val[rInPps], res.ok[rInPps])
	}
	prev.c[cInMcast], cur.c[cInMcast] = counterVal{}, counterVal{}
	res = computeRates(prev, cur, 1e9, false, 2)
	if res.val[rInPps] != 109.9 {
		t.Errorf("in.pps with NUcast = %v, want 109.9", res.val[rInPps])
	}
	// A packet part without a baseline: no partial sum.
	prev.c[cInNUcast] = counterVal{}
	res = computeRates(prev, cur, 1e9, false, 2)
	if res.ok[rInPps] {
		t.Errorf("in.pps = %v from a partial sum", res.val[rInPps])
	}
}

func TestTrackerForgetsGoneInterfaces(t *testing.T) {
	tr := newTracker(2)
	rows := []*ifRow{{index: 1, name: "a"}, {index: 2, name: "b"}}
	tr.begin(t0, sysInfo{})
	for _, r := range rows {
		tr.update(t0, r, false)
	}
	tr.end()
	tr.begin(t0.Add(10*time.Second), sysInfo{})
	tr.update(t0.Add(10*time.Second), rows[1], false)
	tr.end()
	if len(tr.ifs) != 1 || tr.ifs[2] == nil {
		t.Errorf("tracker keeps %d interfaces, want only ifIndex 2", len(tr.ifs))
	}
}

// Issue 18 #13: with ifSpeed/ifHighSpeed 0 (unknown) or on a loopback, a
// silent reset of a Counter64 looked like a wrap and shipped 1.47e19 bit/s.
// Without a line speed the bound is physical (maxLinkBps × margin), and a
// Counter32 that moved more than half its range is a discontinuity.
func TestComputeRatesUnknownSpeedBounded(t *testing.T) {
	c64 := func(v uint64) counterVal { return counterVal{v, 64} }
	c32 := func(v uint64) counterVal { return counterVal{v, 32} }
	f := func(name string, prev, cur counterVal, loopback, wantOK bool) {
		t.Helper()
		res := computeRates(snapAt(0, prev), snapAt(10, cur), 0, loopback, 2)
		wantDropped := 0
		if !wantOK {
			wantDropped = 1
		}
		if res.ok[rInBps] != wantOK || res.dropped != wantDropped {
			t.Errorf("%s: in.bps = %g ok=%v dropped=%d, want ok=%v dropped=%d", name, res.val[rInBps], res.ok[rInBps], res.dropped, wantOK, wantDropped)
		}
	}
	// A silent reset: 5 TB counted, then 100 bytes after the reset.
	f("counter64 reset", c64(5e12), c64(100), false, false)
	f("counter64 reset on a loopback", c64(5e12), c64(100), true, false)
	// 1 Tbit/s is fast, not impossible.
	f("counter64 at 1 Tbit/s", c64(0), c64(1.25e12), false, true)
	f("counter64 at 240 Mbit/s", c64(0), c64(300e6), false, true)
	// Counter32 reset from below half its range looks like a 3.3e9 move.
	f("counter32 reset", c32(1e9), c32(100), false, false)
	f("counter32 at 800 Mbit/s", c32(0), c32(1e9), false, true)
	f("counter32 wrap", c32(math.MaxUint32-1e6), c32(1e6), false, true)

	// Packets (unknown speed): the same half-range rule.
	prev, cur := snapAt(0), snapAt(10)
	prev.c[cInUcast], cur.c[cInUcast] = c32(1e9), c32(5)
	res := computeRates(prev, cur, 0, false, 2)
	if res.ok[rInPps] || res.dropped != 1 {
		t.Errorf("counter32 packet reset: in.pps = %g ok=%v dropped=%d, want dropped", res.val[rInPps], res.ok[rInPps], res.dropped)
	}
}

// Dropped rates are logged at debug level, once a minute per agent, with
// the number of drops not logged.
func TestTrackerLogsDroppedRatesThrottled(t *testing.T) {
	var buf strings.Builder
	tr := newTracker(2)
	tr.log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	row := &ifRow{index: 3, name: "tun0"}
	poll := func(sec int, v uint64) rateResult {
		at := t0.Add(time.Duration(sec) * time.Second)
		tr.begin(at, sysInfo{})
		row.c[cInOctets] = counterVal{v, 64}
		res := tr.update(at, row, false)
		tr.end()
		return res
	}
	poll(0, 5e12)
	if res := poll(10, 100); res.dropped != 1 { // silent reset
		t.Fatalf("reset: dropped %d, want 1", res.dropped)
	}
	poll(20, 5e12) // a reset seen the other way round: a 5 TB jump in 10 s
	poll(30, 200)
	poll(80, 100)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want 2 (one per minute):\n%s", len(lines), buf.String())
	}
	for _, want := range []string{"level=DEBUG", "if_name=tun0", "rate=snmp.rate.in.bps", "suppressed=0"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("first line lacks %q: %s", want, lines[0])
		}
	}
	if !strings.Contains(lines[1], "suppressed=2") {
		t.Errorf("second line should count the 2 drops not logged: %s", lines[1])
	}
}
