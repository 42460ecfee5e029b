package pidstat

import (
	"bytes"
	"errors"
	"math"
	"path"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/event"
)

// ParseFailureTag marks a line that is neither a header, a summary nor a
// process row.
const ParseFailureTag = "_pidstatparsefailure"

// kind says how a column's text becomes a field value.
type kind uint8

const (
	kSkip    kind = iota // a column we do not map (-s, -v, -R reports)
	kKeyword             // as is
	kLong                // integer
	kPct                 // float / 100: sysstat's 0–100 becomes a 0–1 fraction
	kFloat               // float as is (rates per second)
	kKiB                 // kB integer → bytes
	kKiBRate             // kB/s float → bytes/s
	kPID                 // process.pid (PID or TGID); "-" on thread rows
	kTID                 // process.thread.id
	kCommand             // the last column; may hold spaces with -l
)

type column struct {
	kind kind
	key  string
}

// columns maps pidstat's column titles (the same in every locale) to
// fields. Names follow Metricbeat's system.process where it has one.
var columns = map[string]column{
	"UID":       {kKeyword, "user.id"},
	"USER":      {kKeyword, "user.name"},
	"PID":       {kPID, "process.pid"},
	"TGID":      {kPID, "process.pid"},
	"TID":       {kTID, "process.thread.id"},
	"%usr":      {kPct, "system.process.cpu.user.pct"},
	"%user":     {kPct, "system.process.cpu.user.pct"},
	"%system":   {kPct, "system.process.cpu.system.pct"},
	"%guest":    {kPct, "system.process.cpu.guest.pct"},
	"%wait":     {kPct, "system.process.cpu.wait.pct"},
	"%CPU":      {kPct, "system.process.cpu.total.pct"},
	"CPU":       {kLong, "system.process.cpu.core"},
	"minflt/s":  {kFloat, "system.process.memory.minflt_per_sec"},
	"majflt/s":  {kFloat, "system.process.memory.majflt_per_sec"},
	"VSZ":       {kKiB, "system.process.memory.size"},
	"RSS":       {kKiB, "system.process.memory.rss.bytes"},
	"%MEM":      {kPct, "system.process.memory.rss.pct"},
	"kB_rd/s":   {kKiBRate, "system.process.io.read_bytes_per_sec"},
	"kB_wr/s":   {kKiBRate, "system.process.io.write_bytes_per_sec"},
	"kB_ccwr/s": {kKiBRate, "system.process.io.cancelled_write_bytes_per_sec"},
	"iodelay":   {kLong, "system.process.io.delay"},
	"cswch/s":   {kFloat, "system.process.context_switches.voluntary_per_sec"},
	"nvcswch/s": {kFloat, "system.process.context_switches.nonvoluntary_per_sec"},
	"Command":   {kCommand, "process.name"},
}

// Parser reads the text of `pidstat [-u] [-r] [-d] [-w] [-t] [-l] [-h]
// interval [count]` line by line, for one file or one command run.
type Parser struct {
	clock     sysstat.Clock
	order     sysstat.DateOrder
	header    sysstat.Header
	hasHeader bool
	// path is the tailed file ("" in command mode); read once for its
	// header when the parser starts after it (resuming from a cursor).
	path      string
	triedFile bool
	cols      []column // the columns after the time
	spans     []sysstat.Span
	// The task a -t thread row ("-" in TGID) belongs to.
	lastPID  int64
	lastName string
}

// NewParser returns a parser reading times in loc and dates in order; now
// is used only for a file whose header was not seen.
func NewParser(loc *time.Location, order sysstat.DateOrder, now func() time.Time) *Parser {
	p := &Parser{order: order, spans: make([]sysstat.Span, 0, 24)}
	p.clock.Loc = loc
	p.clock.Now = now
	return p
}

// Parse implements filestream.Parser: one event per process (or thread)
// row of a sample; nothing for headers, blank lines and the Average block.
func (p *Parser) Parse(line []byte, e *event.Event) (bool, error) {
	cols := sysstat.Split(line, p.spans[:0])
	p.spans = cols[:0]
	if len(cols) == 0 {
		return false, nil
	}
	if h, ok := sysstat.ParseHeader(line, p.order); ok {
		p.header, p.hasHeader = h, true
		p.clock.SetDate(h.Date)
		p.cols = p.cols[:0]
		return false, nil
	}
	first := line[cols[0].Start:cols[0].End]
	if bytes.Equal(first, []byte("#")) {
		// -h: "# Time UID PID … Command"
		if len(cols) < 3 {
			return p.fail(e, "short -h header")
		}
		p.setColumns(line, cols[2:])
		return false, nil
	}
	sec, used := sysstat.ParseClock(line, cols)
	var epoch time.Time
	if used == 0 {
		// sysstat before 11.x printed -h times as Unix seconds.
		if n, ok := sysstat.ParseInt(first); ok && n > 1e8 && len(cols) > 1 {
			epoch, used = time.Unix(n, 0), 1
		}
	}
	if used > 0 && !p.hasHeader && !p.triedFile && p.path != "" {
		p.triedFile = true
		if h, ok := sysstat.HeaderFromFile(p.path, p.order); ok {
			h.Date = sysstat.Date{} // the clock falls back to today's date
			p.header, p.hasHeader = h, true
		}
	}
	if used == 0 {
		if first[len(first)-1] == ':' {
			return false, nil // "Average:", "Durchschn.:": repeats the samples
		}
		return p.fail(e, "not a pidstat line")
	}
	cols = cols[used:]
	if len(cols) == 0 {
		return p.fail(e, "time without columns")
	}
	if isHeader(line, cols) {
		p.setColumns(line, cols)
		return false, nil
	}
	if len(p.cols) == 0 {
		return p.fail(e, "process row before any column header")
	}
	last := len(p.cols) - 1
	if p.cols[last].kind != kCommand {
		last = len(p.cols)
	}
	if len(cols) < len(p.cols) {
		return p.fail(e, "fewer columns than the header")
	}
	if last == len(p.cols) && len(cols) != len(p.cols) {
		return p.fail(e, "column count differs from the header's")
	}
	thread := false
	for i := 0; i < last; i++ {
		c := p.cols[i]
		v := line[cols[i].Start:cols[i].End]
		if c.kind == kSkip {
			continue
		}
		if len(v) == 1 && v[0] == '-' {
			if c.kind == kPID {
				thread = true
				e.Fields.Add(c.key, p.lastPID)
			}
			continue // not applicable (CPU in the Average block, TGID of a thread row)
		}
		if !p.add(e, c, v) {
			return p.fail(e, "bad value in column for "+c.key)
		}
		if c.kind == kPID {
			p.lastPID, _ = sysstat.ParseInt(v)
		}
	}
	if last < len(p.cols) {
		p.addCommand(e, line[cols[last].Start:trimRight(line)], thread)
	}
	if epoch.IsZero() {
		e.Timestamp = p.clock.At(sec)
	} else {
		e.Timestamp = epoch
	}
	e.Fields.Add("event.kind", "metric")
	e.Fields.Add("event.module", "system")
	e.Fields.Add("event.dataset", "system.process")
	if p.hasHeader {
		e.Fields.Add("host.hostname", p.header.Host)
	}
	return true, nil
}

func trimRight(b []byte) int {
	n := len(b)
	for n > 0 && (b[n-1] == ' ' || b[n-1] == '\t' || b[n-1] == '\r') {
		n--
	}
	return n
}

// addCommand fills the process (or thread) name. With -t, thread rows
// print "|__name" and "-" as TGID; with -l the column is the whole command
// line, from which the name is the program's base name.
func (p *Parser) addCommand(e *event.Event, cmd []byte, thread bool) {
	if thread {
		name := bytes.TrimPrefix(cmd, []byte("|__"))
		e.Fields.Add("process.thread.name", string(name))
		if p.lastName != "" {
			e.Fields.Add("process.name", p.lastName)
		}
		return
	}
	s := string(cmd)
	name := s
	if bytes.IndexByte(cmd, ' ') >= 0 || (len(cmd) > 0 && cmd[0] == '/') {
		e.Fields.Add("process.command_line", s)
		prog := s
		if i := bytes.IndexByte(cmd, ' '); i >= 0 {
			prog = s[:i]
		}
		name = path.Base(prog)
	}
	e.Fields.Add("process.name", name)
	p.lastName = name
}

func (p *Parser) add(e *event.Event, c column, v []byte) bool {
	switch c.kind {
	case kKeyword:
		e.Fields.Add(c.key, string(v))
	case kLong, kPID, kTID:
		n, ok := sysstat.ParseInt(v)
		if !ok {
			return false
		}
		e.Fields.Add(c.key, n)
	case kKiB:
		n, ok := sysstat.ParseInt(v)
		if !ok || n < 0 || n > math.MaxInt64/1024 {
			return false
		}
		e.Fields.Add(c.key, n*1024)
	case kPct, kFloat, kKiBRate:
		f, ok := sysstat.ParseFloat(v)
		if !ok {
			return false
		}
		switch c.kind {
		case kPct:
			f = math.Round(f*100) / 1e4 // a fraction with 4 decimals, as Metricbeat rounds *.pct (issue 19)
		case kKiBRate:
			f = math.Round(f*1024*100) / 100
		}
		e.Fields.Add(c.key, f)
	}
	return true
}

// isHeader reports whether the columns after the time are titles.
func isHeader(line []byte, cols []sysstat.Span) bool {
	for _, c := range cols {
		switch string(line[c.Start:c.End]) {
		case "PID", "TGID", "TID":
			return true
		}
	}
	return false
}

func (p *Parser) setColumns(line []byte, cols []sysstat.Span) {
	p.cols = p.cols[:0]
	for _, c := range cols {
		col, ok := columns[string(line[c.Start:c.End])]
		if !ok {
			col = column{kind: kSkip}
		}
		p.cols = append(p.cols, col)
	}
}

func (p *Parser) fail(e *event.Event, msg string) (bool, error) {
	e.Tag(ParseFailureTag)
	e.Fields.Put("event.kind", "metric")
	e.Fields.Put("event.module", "system")
	e.Fields.Put("event.dataset", "system.process")
	err := errors.New(msg)
	e.Fields.Put("error.message", err.Error())
	return true, err
}
