package snmp

import (
	"log/slog"
	"time"
)

// Rates from cumulative counters, the part Telegraf and Logstash leave to
// the user (influxdata/telegraf#3143: negative or absurd rates after a
// 32-bit wrap or a reboot). The rules, all per (agent, ifIndex):
//
//   - A rate needs the previous sample of the same interface. The first
//     poll, a reboot of the agent (sysUpTime went back, or is shorter than
//     the time since the last poll), a counter discontinuity
//     (ifCounterDiscontinuityTime changed) and an ifIndex that now names
//     another interface (ifName or ifType changed) reset the baseline: the
//     poll ships raw counters and no rates.
//   - A counter that went down wrapped: Counter32 modulo 2^32, Counter64
//     modulo 2^64. Deltas are unsigned, so a rate is never negative. A
//     64-bit counter needs 46 years at 100 Gbit/s to wrap, so a "wrap" that
//     is really a silent reset gives a huge delta, which the line-speed
//     check below then drops.
//   - A 32-bit counter can wrap more than once between two polls when
//     speed × interval ≥ 2^32 (34 s at 1 Gbit/s for octets, e.g. after a
//     missed poll); the true delta is then unknowable and the rate is
//     dropped (counted as ambiguous) rather than guessed.
//   - A rate above line speed × margin is impossible and dropped (counted).
//     The margin is not 1 because the interval is measured between our
//     requests while agents refresh counters on their own schedule (net-snmp
//     caches them for ~3 s), so a saturated link can look 30 % faster than
//     it is at a 10 s period. Packet, error and discard rates are checked
//     against the smallest Ethernet frame (64 bytes).
//   - Without a line speed (ifSpeed and ifHighSpeed 0, common on virtual
//     and tunnel interfaces) and on software loopbacks (ifType 24, whose
//     speed is made up) the bound is physical: maxLinkBps × margin. A
//     silent reset of a Counter64 looks like a wrap and gives a delta near
//     2^64 (1.47e19 bit/s at a 10 s period, issue 18): dropped and counted
//     like any impossible rate. A Counter32 that moved more than 2^31 in
//     one interval is a discontinuity too: modulo 2^32 such a move cannot
//     be told from the counter going back (a reset) by less than 2^31 — the
//     serial-number rule of RFC 1982 §3.2 — and RFC 2863 §3.1.6 requires
//     64-bit octet counters from 20 Mbit/s and 64-bit packet counters from
//     650 Mbit/s, so a device that only has Counter32 does not legitimately
//     count 2 GiB (or 2^31 packets) in a polling interval.
//   - The interval is the time between the two polls (monotonic clock), so a
//     missed poll just gives a longer interval.

// Rate slots.
const (
	rInBps = iota
	rOutBps
	rInPps
	rOutPps
	rInErrors
	rOutErrors
	rInDiscards
	rOutDiscards
	nRates
)

// resetReason says why an interface has no rates this poll.
type resetReason string

const (
	resetNone          resetReason = ""
	resetFirst         resetReason = "first" // no previous sample (new interface, first poll)
	resetReboot        resetReason = "reboot"
	resetDiscontinuity resetReason = "discontinuity"
	resetReused        resetReason = "ifindex_reused"
)

// rateResult is the outcome for one interface.
type rateResult struct {
	reset     resetReason
	interval  float64 // seconds between the two samples
	val       [nRates]float64
	ok        [nRates]bool
	dropped   int     // above line speed × margin (or the physical bound)
	why       dropped // the first dropped rate, for the debug log
	ambiguous int     // 32-bit counter may have wrapped more than once
}

// dropped describes a dropped rate.
type dropped struct {
	slot         string // the field name (rateNames)
	delta        uint64
	bits         uint8
	value, limit float64
}

// snap is what the tracker remembers of an interface.
type snap struct {
	at       time.Time
	identity string
	discTime uint32
	hasDisc  bool
	c        [nCounters]counterVal
	gen      uint64
}

// tracker holds one agent's previous samples. It is used by the agent's
// own goroutine only.
type tracker struct {
	margin    float64
	hasPrev   bool
	prevAt    time.Time
	prevUp    uint32
	prevHasUp bool
	gen       uint64
	ifs       map[uint32]*snap

	// log, when set, gets one debug line per dropRateLogEvery about
	// dropped rates (they are counted in rates_dropped either way).
	log        *slog.Logger
	lastLog    time.Time
	suppressed int
}

// dropRateLogEvery throttles the debug line about dropped rates.
const dropRateLogEvery = time.Minute

// maxLinkBps bounds rates of interfaces without a usable line speed:
// 1.6 Tbit/s, the fastest Ethernet port IEEE 802.3 defines (802.3dj). A
// faster aggregate (a LAG) reports the sum of its members as its speed and
// is checked against that instead.
const maxLinkBps = 1.6e12

func newTracker(margin float64) *tracker {
	return &tracker{margin: margin, ifs: map[uint32]*snap{}}
}

// begin starts a poll taken at at; it reports whether the agent rebooted
// since the previous successful poll.
func (tr *tracker) begin(at time.Time, sys sysInfo) bool {
	tr.gen++
	reboot := false
	if tr.hasPrev && tr.prevHasUp && sys.hasUptime {
		reboot = rebooted(at.Sub(tr.prevAt), tr.prevUp, sys.uptime)
	}
	tr.hasPrev, tr.prevAt = true, at
	tr.prevUp, tr.prevHasUp = sys.uptime, sys.hasUptime
	return reboot
}

// end forgets interfaces that were not in this poll (deleted, or now
// excluded), so memory follows the agent's interface list.
func (tr *tracker) end() {
	for idx, s := range tr.ifs {
		if s.gen != tr.gen {
			delete(tr.ifs, idx)
		}
	}
}

// update computes r's rates against its previous sample and makes r the new
// baseline.
func (tr *tracker) update(at time.Time, r *ifRow, reboot bool) rateResult {
	prev := tr.ifs[r.index]
	cur := &snap{at: at, identity: r.identity(), discTime: r.discTime, hasDisc: r.has&hasDiscTime != 0, c: r.c, gen: tr.gen}
	tr.ifs[r.index] = cur
	switch {
	case prev == nil:
		return rateResult{reset: resetFirst}
	case reboot:
		return rateResult{reset: resetReboot}
	case prev.identity != cur.identity:
		return rateResult{reset: resetReused}
	case prev.hasDisc && cur.hasDisc && prev.discTime != cur.discTime:
		return rateResult{reset: resetDiscontinuity}
	}
	res := computeRates(prev, cur, r.speedBps(), r.ifType == ifTypeSoftwareLoopback, tr.margin)
	if res.dropped > 0 {
		tr.logDropped(at, r, &res)
	}
	return res
}

// logDropped logs a dropped rate at debug level, at most once per
// dropRateLogEvery per agent, with the number of drops not logged.
func (tr *tracker) logDropped(at time.Time, r *ifRow, res *rateResult) {
	if tr.log == nil {
		return
	}
	if !tr.lastLog.IsZero() && at.Sub(tr.lastLog) < dropRateLogEvery {
		tr.suppressed += res.dropped
		return
	}
	tr.log.Debug("impossible rate dropped: the counter moved more than the link can carry, taken as a discontinuity",
		"if_index", r.index, "if_name", r.name, "rate", res.why.slot, "delta", res.why.delta,
		"counter_bits", res.why.bits, "interval_seconds", res.interval, "per_second", res.why.value,
		"limit_per_second", res.why.limit, "suppressed", tr.suppressed)
	tr.lastLog, tr.suppressed = at, res.dropped-1
}

const ifTypeSoftwareLoopback = 24

// rebooted reports whether sysUpTime (1/100 s) says the agent restarted
// within elapsed. sysUpTime wraps after 497 days; a value that went back by
// about what a wrap predicts is a wrap, not a reboot.
func rebooted(elapsed time.Duration, prevUp, up uint32) bool {
	if elapsed <= 0 {
		return false
	}
	ticks := uint64(elapsed / (10 * time.Millisecond))
	slack := uint64(200) + ticks/10 // 2 s + 10 %: our clock vs. the agent's
	if up < prevUp {
		expected := uint64(prevUp) + ticks
		if expected >= 1<<32 {
			wrapped := expected - 1<<32
			if absDiff(wrapped, uint64(up)) <= slack {
				return false
			}
		}
		return true
	}
	// Up for less time than since the last poll: it rebooted in between,
	// even if the new uptime has passed the old one (long gap).
	return uint64(up)+slack < ticks
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

// delta is cur - prev for a counter of the same width, modulo its width.
func delta(prev, cur counterVal) (uint64, bool) {
	if prev.bits == 0 || prev.bits != cur.bits {
		return 0, false // absent, or the agent switched width: no common baseline
	}
	if cur.bits == 32 {
		return uint64(uint32(cur.v) - uint32(prev.v)), true
	}
	return cur.v - prev.v, true
}

// packetSlots are the counters summed into a packet total.
var (
	inPacketSlots  = [...]int{cInUcast, cInMcast, cInBcast, cInNUcast}
	outPacketSlots = [...]int{cOutUcast, cOutMcast, cOutBcast, cOutNUcast}
)

// packetSlot reports whether slot counts towards the packet total of c:
// ifInNUcastPkts only when the agent has neither multicast nor broadcast
// counters (it is their deprecated sum).
func packetSlot(c *[nCounters]counterVal, slot int) bool {
	switch slot {
	case cInNUcast:
		return c[cInMcast].bits == 0 && c[cInBcast].bits == 0
	case cOutNUcast:
		return c[cOutMcast].bits == 0 && c[cOutBcast].bits == 0
	}
	return true
}

// packets sums the current packet counters (for system.network.*.packets).
func packets(c *[nCounters]counterVal, slots []int) (uint64, bool) {
	var sum uint64
	any := false
	for _, s := range slots {
		if c[s].bits != 0 && packetSlot(c, s) {
			sum += c[s].v
			any = true
		}
	}
	return sum, any
}

// computeRates turns two samples into per-second rates.
func computeRates(prev, cur *snap, speed uint64, loopback bool, margin float64) rateResult {
	var res rateResult
	dt := cur.at.Sub(prev.at).Seconds()
	if dt <= 0 {
		return res
	}
	res.interval = dt
	checked := speed > 0 && !loopback // the line speed is known and real
	limit := float64(speed)
	if !checked {
		limit = maxLinkBps
	}
	maxBps := limit * margin
	maxPps := limit / (8 * 64) * margin
	// The most a 32-bit counter can have moved at line speed: at or above
	// 2^32 a second wrap is possible.
	maxOctets := float64(speed) / 8 * dt
	maxPkts := float64(speed) / (8 * 64) * dt

	drop := func(slot int, d uint64, bits uint8, v, max float64) {
		if res.dropped == 0 {
			res.why = dropped{slot: rateNames[slot], delta: d, bits: bits, value: v, limit: max}
		}
		res.dropped++
	}
	set := func(slot int, d uint64, bits uint8, perSec, max, maxMove float64) {
		if checked && bits == 32 && maxMove >= 1<<32 {
			res.ambiguous++
			return
		}
		v := float64(d) * perSec / dt
		if !checked && bits == 32 && d > 1<<31 {
			drop(slot, d, bits, v, float64(uint64(1)<<31)*perSec/dt)
			return
		}
		if v > max {
			drop(slot, d, bits, v, max)
			return
		}
		res.val[slot], res.ok[slot] = v, true
	}
	one := func(slot, counter int, perSec, max, maxMove float64) {
		if d, ok := delta(prev.c[counter], cur.c[counter]); ok {
			set(slot, d, cur.c[counter].bits, perSec, max, maxMove)
		}
	}
	sum := func(slot int, slots []int) {
		var total uint64
		var bits uint8 = 64
		n := 0
		for _, s := range slots {
			if cur.c[s].bits == 0 || !packetSlot(&cur.c, s) {
				continue
			}
			d, ok := delta(prev.c[s], cur.c[s])
			if !ok {
				return // one part has no baseline: a partial sum would understate
			}
			total += d
			n++
			if cur.c[s].bits == 32 {
				bits = 32
			}
		}
		if n > 0 {
			set(slot, total, bits, 1, maxPps, maxPkts)
		}
	}
	one(rInBps, cInOctets, 8, maxBps, maxOctets)
	one(rOutBps, cOutOctets, 8, maxBps, maxOctets)
	sum(rInPps, inPacketSlots[:])
	sum(rOutPps, outPacketSlots[:])
	one(rInErrors, cInErrors, 1, maxPps, maxPkts)
	one(rOutErrors, cOutErrors, 1, maxPps, maxPkts)
	one(rInDiscards, cInDiscards, 1, maxPps, maxPkts)
	one(rOutDiscards, cOutDiscards, 1, maxPps, maxPkts)
	return res
}
