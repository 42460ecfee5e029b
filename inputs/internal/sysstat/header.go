package sysstat

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Header is sysstat's first report line:
//
//	Linux 6.18.44-fc-v769 (vm) 	11/25/26 	_x86_64_	(2 CPU)
type Header struct {
	OS     string // "Linux"
	Kernel string // "6.18.44-fc-v769"
	Host   string // "vm"
	Arch   string // "x86_64" (sysstat's underscores removed)
	CPUs   int    // 0 when not printed
	Date   Date
}

// Date is a calendar day without zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.Year == 0 }

// DateOrder says how to read an all-numeric date such as 03/04/26.
type DateOrder string

// The accepted date_format values.
const (
	DateAuto DateOrder = "auto" // ISO yyyy-mm-dd; dd.mm.yyyy; mm/dd/yy(yy) unless the first number is > 12
	DateMDY  DateOrder = "mdy"  // en_US, C:  11/25/26, 11/25/2026
	DateDMY  DateOrder = "dmy"  // en_GB, fr_FR, de_DE: 25/11/2026, 25.11.2026
	DateYMD  DateOrder = "ymd"  // ISO (S_TIME_FORMAT=ISO), ja_JP style 2026/11/25
)

// UnmarshalText accepts auto, mdy, dmy, ymd.
func (o *DateOrder) UnmarshalText(b []byte) error {
	switch v := DateOrder(strings.ToLower(string(b))); v {
	case DateAuto, DateMDY, DateDMY, DateYMD:
		*o = v
		return nil
	case "":
		*o = DateAuto
		return nil
	}
	return fmt.Errorf("unknown date_format %q (accepted: auto, mdy, dmy, ymd)", b)
}

// ParseHeader parses the report header; ok is false when line is not one.
// The date is read with order (see DateOrder).
func ParseHeader(line []byte, order DateOrder) (h Header, ok bool) {
	var buf [12]Span
	cols := Split(line, buf[:0])
	if len(cols) < 4 {
		return h, false
	}
	col := func(i int) []byte { return line[cols[i].Start:cols[i].End] }
	// sysstat only runs on Linux; the OS name is uname's sysname.
	if !bytes.Equal(col(0), []byte("Linux")) {
		return h, false
	}
	host := col(2)
	if len(host) < 3 || host[0] != '(' || host[len(host)-1] != ')' {
		return h, false
	}
	d, ok := ParseDate(col(3), order)
	if !ok {
		return h, false
	}
	h = Header{OS: string(col(0)), Kernel: string(col(1)), Host: string(host[1 : len(host)-1]), Date: d}
	for i := 4; i < len(cols); i++ {
		c := col(i)
		switch {
		case len(c) > 2 && c[0] == '_' && c[len(c)-1] == '_':
			h.Arch = string(c[1 : len(c)-1])
		case len(c) > 1 && c[0] == '(' && i+1 < len(cols) && bytes.HasPrefix(col(i+1), []byte("CPU")):
			if n, ok := num(c[1:]); ok {
				h.CPUs = n
			}
		}
	}
	return h, true
}

// ParseDate reads the header's date: strftime %x of the report's locale or,
// with S_TIME_FORMAT=ISO, yyyy-mm-dd.
func ParseDate(b []byte, order DateOrder) (Date, bool) {
	var parts [3]int
	var widths [3]int
	n := 0
	sep := byte(0)
	start := 0
	for i := 0; i <= len(b); i++ {
		if i < len(b) && b[i] >= '0' && b[i] <= '9' {
			continue
		}
		if n == 3 || i == start {
			return Date{}, false
		}
		v, ok := num(b[start:i])
		if !ok || i-start > 4 {
			return Date{}, false
		}
		parts[n], widths[n] = v, i-start
		n++
		if i < len(b) {
			c := b[i]
			if c != '/' && c != '-' && c != '.' {
				return Date{}, false
			}
			if sep == 0 {
				sep = c
			} else if sep != c {
				return Date{}, false
			}
		}
		start = i + 1
	}
	if n != 3 {
		return Date{}, false
	}
	o := order
	if o == "" || o == DateAuto {
		switch {
		case widths[0] == 4 || sep == '-':
			o = DateYMD
		case sep == '.' || parts[0] > 12:
			o = DateDMY
		default:
			o = DateMDY
		}
	}
	var y, m, d, yw int
	switch o {
	case DateYMD:
		y, m, d, yw = parts[0], parts[1], parts[2], widths[0]
	case DateDMY:
		d, m, y, yw = parts[0], parts[1], parts[2], widths[2]
	default:
		m, d, y, yw = parts[0], parts[1], parts[2], widths[2]
	}
	if yw <= 2 {
		y += 2000 // sysstat's %x two-digit years: 26 is 2026
	}
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1970 || y > 9999 {
		return Date{}, false
	}
	if time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Day() != d {
		return Date{}, false // 02/30
	}
	return Date{y, time.Month(m), d}, true
}

// Clock turns the time column of successive sample lines into instants: the
// header's date plus the time of day, moving to the next day when the time
// of day jumps back by more than 12 hours (a report running across
// midnight keeps the date of its header).
type Clock struct {
	Loc     *time.Location
	Now     func() time.Time // read time; used only when no header date was seen
	date    Date
	lastSec int
	prev    time.Time
}

// SetDate starts a new report (a header line).
func (c *Clock) SetDate(d Date) {
	c.date, c.lastSec = d, -1
}

// At returns the instant of a sample printed at sec seconds after midnight.
func (c *Clock) At(sec int) time.Time {
	if c.date.IsZero() {
		// A file whose header we did not see (e.g. a tail started at
		// the end): take today's date, or yesterday's when that would
		// put the sample in the future.
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		n := now().In(c.Loc)
		c.SetDate(Date{n.Year(), n.Month(), n.Day()})
		if t := c.at(sec); t.After(n.Add(time.Minute)) {
			y := n.AddDate(0, 0, -1)
			c.SetDate(Date{y.Year(), y.Month(), y.Day()})
		}
	}
	if c.lastSec >= 0 && sec+12*3600 < c.lastSec {
		next := time.Date(c.date.Year, c.date.Month, c.date.Day+1, 12, 0, 0, 0, time.UTC)
		c.date = Date{next.Year(), next.Month(), next.Day()}
	}
	c.lastSec = sec
	t := c.at(sec)
	c.prev = t
	return t
}

func (c *Clock) at(sec int) time.Time {
	return LocalTime(c.date.Year, c.date.Month, c.date.Day, sec/3600, sec/60%60, sec%60, 0, c.Loc, c.prev)
}

// HeaderFromFile reads the report header at the start of the file at path,
// for a parser that resumes in the middle of a file (after a restart, from
// its cursor) and so never saw it. Only the host, kernel, architecture and
// CPU count are worth taking: the date is that of the report's start, which
// may be days before the line being read.
func HeaderFromFile(path string, order DateOrder) (Header, bool) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, false
	}
	defer f.Close()
	var buf [1024]byte
	n, _ := io.ReadFull(f, buf[:])
	for _, line := range bytes.Split(buf[:n], []byte("\n")) {
		if h, ok := ParseHeader(line, order); ok {
			return h, true
		}
	}
	return Header{}, false
}
