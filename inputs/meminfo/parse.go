package meminfo

import (
	"bytes"
	"errors"
	"math"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/event"
)

// ParseFailureTag marks a line that is neither a meminfo line, a timestamp
// nor a separator.
const ParseFailureTag = "_meminfoparsefailure"

// The /proc/meminfo keys we read, in the kernel's order
// (fs/proc/meminfo.c): SwapFree comes after all the others in every kernel,
// so a reading is complete at SwapFree.
const (
	kMemTotal = iota
	kMemFree
	kMemAvailable
	kBuffers
	kCached
	kSwapTotal
	kSwapFree
	nKeys
)

func keyIndex(k []byte) int {
	switch string(k) {
	case "MemTotal":
		return kMemTotal
	case "MemFree":
		return kMemFree
	case "MemAvailable":
		return kMemAvailable
	case "Buffers":
		return kBuffers
	case "Cached":
		return kCached
	case "SwapTotal":
		return kSwapTotal
	case "SwapFree":
		return kSwapFree
	}
	return -1
}

// Parser reads /proc/meminfo text: one reading from /proc, or a file of
// readings appended one after another, each optionally preceded by a
// timestamp line (`date -Iseconds; cat /proc/meminfo`). It publishes one
// event per reading, on its SwapFree line.
type Parser struct {
	loc   *time.Location
	now   func() time.Time
	vals  [nKeys]int64
	have  [nKeys]bool
	ts    time.Time
	spans []sysstat.Span
}

// NewParser returns a parser reading timestamp lines without a zone in loc;
// now stamps readings that have no timestamp line (a read of /proc).
func NewParser(loc *time.Location, now func() time.Time) *Parser {
	if now == nil {
		now = time.Now
	}
	return &Parser{loc: loc, now: now, spans: make([]sysstat.Span, 0, 8)}
}

// Parse implements filestream.Parser.
func (p *Parser) Parse(line []byte, e *event.Event) (bool, error) {
	cols := sysstat.Split(line, p.spans[:0])
	p.spans = cols[:0]
	if len(cols) == 0 || isSeparator(line) {
		return false, nil
	}
	first := line[cols[0].Start:cols[0].End]
	if len(first) > 1 && first[len(first)-1] == ':' && (len(cols) == 2 || len(cols) == 3) {
		k := keyIndex(first[:len(first)-1])
		if k < 0 {
			if _, ok := sysstat.ParseInt(line[cols[1].Start:cols[1].End]); ok {
				return false, nil // a key we do not ship (Active, Slab, …)
			}
			return p.fail(e, "bad meminfo value")
		}
		n, ok := sysstat.ParseInt(line[cols[1].Start:cols[1].End])
		if !ok || n < 0 || n > math.MaxInt64/1024 {
			return p.fail(e, "bad meminfo value")
		}
		if len(cols) == 3 {
			if !bytes.Equal(line[cols[2].Start:cols[2].End], []byte("kB")) {
				return p.fail(e, "unit is not kB")
			}
			n *= 1024
		}
		if k == kMemTotal {
			p.have = [nKeys]bool{} // a new reading (the last one was cut short)
		}
		p.vals[k], p.have[k] = n, true
		if k != kSwapFree {
			return false, nil
		}
		if !p.have[kMemTotal] {
			return p.fail(e, "SwapFree without MemTotal: a partial reading")
		}
		p.fill(e)
		return true, nil
	}
	if t, ok := parseTimestamp(line, p.loc); ok {
		p.have = [nKeys]bool{}
		p.ts = t
		return false, nil
	}
	return p.fail(e, "not a meminfo line")
}

func isSeparator(line []byte) bool {
	for _, c := range line {
		switch c {
		case '-', '=', '#', '*', ' ', '\t', '\r':
		default:
			return false
		}
	}
	return true
}

func (p *Parser) fill(e *event.Event) {
	ts := p.ts
	if ts.IsZero() {
		ts = p.now()
	}
	e.Timestamp = ts
	p.ts = time.Time{}
	// The line that completed the reading is not the reading.
	e.Fields.Delete("message")
	v := &p.vals
	total := v[kMemTotal]
	e.Fields.Add("event.kind", "metric")
	e.Fields.Add("event.module", "system")
	e.Fields.Add("event.dataset", "system.memory")
	e.Fields.Add("system.memory.total", total)
	free := int64(0)
	if p.have[kMemFree] {
		free = v[kMemFree]
		e.Fields.Add("system.memory.free", free)
		e.Fields.Add("system.memory.used.bytes", total-free)
		e.Fields.Add("system.memory.used.pct", frac(total-free, total))
	}
	if p.have[kBuffers] {
		e.Fields.Add("system.memory.buffers", v[kBuffers])
	}
	if p.have[kCached] {
		e.Fields.Add("system.memory.cached", v[kCached])
	}
	avail, hasAvail := v[kMemAvailable], p.have[kMemAvailable]
	if !hasAvail && p.have[kMemFree] {
		// Kernels before 3.14 have no MemAvailable: Metricbeat's
		// fallback, free + buffers + cached.
		avail, hasAvail = free+v[kBuffers]+v[kCached], true
	}
	if hasAvail {
		e.Fields.Add("system.memory.actual.free", avail)
		e.Fields.Add("system.memory.actual.used.bytes", total-avail)
		e.Fields.Add("system.memory.actual.used.pct", frac(total-avail, total))
	}
	if p.have[kSwapTotal] {
		st, sf := v[kSwapTotal], v[kSwapFree]
		e.Fields.Add("system.memory.swap.total", st)
		e.Fields.Add("system.memory.swap.free", sf)
		e.Fields.Add("system.memory.swap.used.bytes", st-sf)
		e.Fields.Add("system.memory.swap.used.pct", frac(st-sf, st))
	}
	p.have = [nKeys]bool{}
}

// frac is a/b rounded to 4 decimals; 0 when b is 0 (no swap).
func frac(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return math.Round(float64(a)/float64(b)*1e4) / 1e4
}

func (p *Parser) fail(e *event.Event, msg string) (bool, error) {
	e.Tag(ParseFailureTag)
	e.Fields.Put("event.kind", "metric")
	e.Fields.Put("event.module", "system")
	e.Fields.Put("event.dataset", "system.memory")
	e.Fields.Put("error.message", msg)
	return true, errors.New(msg)
}

// The timestamp lines a script may write before each reading.
var tsLayouts = []string{
	time.RFC3339Nano,                      // date -Iseconds, date -Ins (with a zone)
	"2006-01-02T15:04:05,999999999Z07:00", // date -Ins prints a comma
	"2006-01-02 15:04:05",                 // date '+%F %T'
	"2006-01-02T15:04:05",
	"Mon Jan _2 15:04:05 MST 2006", // date (C locale); the zone name is ignored
	"Mon Jan _2 15:04:05 2006",
}

// parseTimestamp reads a timestamp line: one of tsLayouts, or Unix seconds
// (`date +%s`, optionally prefixed with @). A layout without a numeric
// offset is local time in loc.
func parseTimestamp(line []byte, loc *time.Location) (time.Time, bool) {
	s := string(bytes.TrimSpace(line))
	if s == "" {
		return time.Time{}, false
	}
	if n, ok := sysstat.ParseInt([]byte(s[len(s)-len(trimAt(s)):])); ok && len(trimAt(s)) >= 9 {
		return time.Unix(n, 0), true
	}
	for i, layout := range tsLayouts {
		if i < 2 {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
			continue
		}
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return sysstat.LocalTime(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc, time.Time{}), true
		}
	}
	return time.Time{}, false
}

func trimAt(s string) string {
	if len(s) > 0 && s[0] == '@' {
		return s[1:]
	}
	return s
}
