package mpstat

import (
	"bytes"
	"errors"
	"math"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/event"
)

// ParseFailureTag marks a line that is neither a header, a summary nor a
// sample row.
const ParseFailureTag = "_mpstatparsefailure"

// metric is one mpstat percentage column, by its Metricbeat name.
type metric uint8

const (
	mNone metric = iota
	mUser
	mNice
	mSystem
	mIOWait
	mIRQ
	mSoftIRQ
	mSteal
	mGuest
	mGuestNice
	mIdle
	nMetrics
)

var metricNames = [nMetrics]string{"", "user", "nice", "system", "iowait", "irq", "softirq", "steal", "guest", "guest_nice", "idle"}

// The field keys, built once: "system.core.user.pct", "system.cpu.user.pct",
// "system.cpu.user.norm.pct".
var coreKeys, cpuKeys, cpuNormKeys [nMetrics]string

func init() {
	for m := mUser; m < nMetrics; m++ {
		coreKeys[m] = "system.core." + metricNames[m] + ".pct"
		cpuKeys[m] = "system.cpu." + metricNames[m] + ".pct"
		cpuNormKeys[m] = "system.cpu." + metricNames[m] + ".norm.pct"
	}
}

// columnMetric maps a column title to its metric. Old sysstat (< 8.1) and
// some builds print %user/%system; current ones %usr/%sys.
func columnMetric(title []byte) metric {
	switch string(title) {
	case "%usr", "%user":
		return mUser
	case "%nice":
		return mNice
	case "%sys", "%system":
		return mSystem
	case "%iowait":
		return mIOWait
	case "%irq":
		return mIRQ
	case "%soft":
		return mSoftIRQ
	case "%steal":
		return mSteal
	case "%guest":
		return mGuest
	case "%gnice":
		return mGuestNice
	case "%idle":
		return mIdle
	}
	return mNone
}

var errNoColumns = errors.New("sample row before any column header")

// Parser reads the text of `mpstat [-P ALL|list] [interval [count]]`, line
// by line, for one file or one command run. It keeps the report header's
// date and the current table's columns between lines.
type Parser struct {
	clock     sysstat.Clock
	order     sysstat.DateOrder
	header    sysstat.Header
	hasHeader bool
	// path is the tailed file ("" in command mode); read once for its
	// header when the parser starts after it (resuming from a cursor).
	path      string
	triedFile bool
	// cols[i] is the metric of the i-th column after CPU; skip is set for
	// tables that are not the CPU utilisation report (-I, -N, -A's
	// interrupt tables).
	cols  []metric
	skip  bool
	spans []sysstat.Span
}

// NewParser returns a parser reading times in loc and dates in order.
// now is the read time, used only for a file whose header was not seen.
func NewParser(loc *time.Location, order sysstat.DateOrder, now func() time.Time) *Parser {
	p := &Parser{order: order, spans: make([]sysstat.Span, 0, 16)}
	p.clock.Loc = loc
	p.clock.Now = now
	return p
}

// Parse implements filestream.Parser: one event per CPU row of a sample,
// nothing for headers, blank lines and the Average block.
func (p *Parser) Parse(line []byte, e *event.Event) (bool, error) {
	cols := sysstat.Split(line, p.spans[:0])
	p.spans = cols[:0]
	if len(cols) == 0 {
		return false, nil
	}
	if h, ok := sysstat.ParseHeader(line, p.order); ok {
		p.header, p.hasHeader = h, true
		p.clock.SetDate(h.Date)
		p.cols, p.skip = p.cols[:0], true
		return false, nil
	}
	sec, used := sysstat.ParseClock(line, cols)
	if used > 0 && !p.hasHeader && !p.triedFile && p.path != "" {
		p.triedFile = true
		if h, ok := sysstat.HeaderFromFile(p.path, p.order); ok {
			h.Date = sysstat.Date{} // the clock falls back to today's date
			p.header, p.hasHeader = h, true
		}
	}
	if used == 0 {
		first := line[cols[0].Start:cols[0].End]
		if first[len(first)-1] == ':' {
			// "Average:", "Durchschn.:", "Moyenne :"…: the summary
			// block repeats the samples; skipped (issue 8).
			return false, nil
		}
		return p.fail(e, "not an mpstat line")
	}
	cols = cols[used:]
	if len(cols) == 0 {
		return p.fail(e, "time without columns")
	}
	first := line[cols[0].Start:cols[0].End]
	if bytes.Equal(first, []byte("CPU")) || bytes.Equal(first, []byte("NODE")) {
		p.setColumns(line, cols)
		return false, nil
	}
	if p.skip {
		return false, nil
	}
	if len(p.cols) == 0 {
		return p.fail(e, errNoColumns.Error())
	}
	if len(cols) != len(p.cols)+1 {
		return p.fail(e, "column count differs from the header's")
	}
	var vals [nMetrics]float64
	var have [nMetrics]bool
	for i, m := range p.cols {
		if m == mNone {
			continue
		}
		v, ok := sysstat.ParseFloat(line[cols[i+1].Start:cols[i+1].End])
		if !ok {
			return p.fail(e, "bad number in column "+metricNames[m])
		}
		vals[m], have[m] = round(v/100), true
	}
	e.Timestamp = p.clock.At(sec)
	if bytes.Equal(first, []byte("all")) {
		p.fillAll(e, &vals, &have)
	} else {
		id, ok := sysstat.ParseInt(first)
		if !ok || id < 0 {
			return p.fail(e, "bad CPU number")
		}
		e.Fields.Add("event.dataset", "system.core")
		e.Fields.Add("system.core.id", id)
		for m := mUser; m < nMetrics; m++ {
			if have[m] {
				e.Fields.Add(coreKeys[m], vals[m])
			}
		}
		if have[mIdle] {
			e.Fields.Add("system.core.total.pct", total(&vals, &have))
		}
	}
	e.Fields.Add("event.kind", "metric")
	e.Fields.Add("event.module", "system")
	p.addHost(e)
	return true, nil
}

// total is Metricbeat's "total": everything but idle and iowait.
func total(vals *[nMetrics]float64, have *[nMetrics]bool) float64 {
	t := 1 - vals[mIdle] - vals[mIOWait]
	if t < 0 {
		t = 0
	}
	return round(t)
}

// fillAll writes the "all" row as Metricbeat's system.cpu: *.norm.pct is the
// 0–1 average over CPUs (mpstat's figure / 100); *.pct is scaled by the
// number of CPUs (0–N), as Metricbeat does, when the header printed it.
func (p *Parser) fillAll(e *event.Event, vals *[nMetrics]float64, have *[nMetrics]bool) {
	e.Fields.Add("event.dataset", "system.cpu")
	cores := float64(p.header.CPUs)
	if p.header.CPUs > 0 {
		e.Fields.Add("system.cpu.cores", int64(p.header.CPUs))
	}
	for m := mUser; m < nMetrics; m++ {
		if !have[m] {
			continue
		}
		e.Fields.Add(cpuNormKeys[m], vals[m])
		if cores > 0 {
			e.Fields.Add(cpuKeys[m], round(vals[m]*cores))
		}
	}
	if have[mIdle] {
		t := total(vals, have)
		e.Fields.Add("system.cpu.total.norm.pct", t)
		if cores > 0 {
			e.Fields.Add("system.cpu.total.pct", round(t*cores))
		}
	}
}

func (p *Parser) addHost(e *event.Event) {
	if !p.hasHeader {
		return
	}
	// host.name belongs to the framework; the report's own host name goes
	// to host.hostname, which it does not touch.
	e.Fields.Add("host.hostname", p.header.Host)
	e.Fields.Add("host.os.kernel", p.header.Kernel)
	if p.header.Arch != "" {
		e.Fields.Add("host.architecture", p.header.Arch)
	}
}

func (p *Parser) setColumns(line []byte, cols []sysstat.Span) {
	p.cols = p.cols[:0]
	p.skip = true
	if !bytes.Equal(line[cols[0].Start:cols[0].End], []byte("CPU")) {
		return // NODE tables (-N)
	}
	for _, c := range cols[1:] {
		m := columnMetric(line[c.Start:c.End])
		if m == mIdle {
			p.skip = false // the utilisation table; -I tables have no %idle
		}
		p.cols = append(p.cols, m)
	}
	if p.skip {
		p.cols = p.cols[:0]
	}
}

func (p *Parser) fail(e *event.Event, msg string) (bool, error) {
	e.Tag(ParseFailureTag)
	e.Fields.Put("event.kind", "metric")
	e.Fields.Put("event.module", "system")
	e.Fields.Put("event.dataset", "system.cpu")
	e.Fields.Put("error.message", msg)
	return true, errors.New(msg)
}

// round keeps 4 decimals of a fraction, as Metricbeat rounds its *.pct
// fields (common.Round(v, 4)): mpstat's 1.98 % is 0.0198, not the float
// noise 0.019799999999999998 of 1.98/100 (issue 19).
func round(f float64) float64 { return math.Round(f*1e4) / 1e4 }
