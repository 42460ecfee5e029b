// Package sysstat holds what the mpstat, pidstat, meminfo and snort inputs
// share: splitting sysstat's text tables into columns, locale-aware numbers
// (decimal comma) and times (12-hour AM/PM, the date formats of strftime's
// %x), the "Linux 6.1.0 (host) 11/25/26 _x86_64_ (2 CPU)" report header,
// turning a wall-clock time without zone into an instant (DST gaps and
// overlaps resolved deterministically), and the command-mode loop that runs
// a program every period and feeds its output to a line parser.
//
// Everything here except Poller is pure and allocation-light: the parsers
// call it once per line.
package sysstat

import (
	"strconv"
)

// Span is one whitespace-separated column of a line: line[Start:End].
type Span struct{ Start, End int }

// Split appends the whitespace-separated (space or tab) columns of line to
// dst and returns it. It never allocates when dst has room.
func Split(line []byte, dst []Span) []Span {
	i := 0
	for i < len(line) {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			break
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		dst = append(dst, Span{i, j})
		i = j
	}
	return dst
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// ParseFloat parses a sysstat number: "12.50", "12,50" (decimal-comma
// locales such as de_DE), "-". It reports false for anything else,
// including "-" (sysstat's "not applicable") and NaN/Inf spellings.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 40 {
		return 0, false
	}
	var buf [40]byte
	n := copy(buf[:], b)
	digits := false
	for i := 0; i < n; i++ {
		switch c := buf[i]; {
		case c == ',':
			buf[i] = '.'
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E':
		default:
			return 0, false
		}
	}
	if !digits {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(buf[:n]), 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// ParseInt parses a non-negative or negative decimal integer column.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// ParseClock parses sysstat's time column at cols[0] (and cols[1] for a
// 12-hour "AM"/"PM" suffix): "08:27:22", "8:27:22 PM", "12:00:01 AM". It
// returns the seconds since midnight and how many columns it used (0 when
// cols[0] is not a time).
func ParseClock(line []byte, cols []Span) (sec int, used int) {
	if len(cols) == 0 {
		return 0, 0
	}
	b := line[cols[0].Start:cols[0].End]
	h, m, s, ok := parseHMS(b)
	if !ok {
		return 0, 0
	}
	used = 1
	if len(cols) > 1 {
		switch ampm(line[cols[1].Start:cols[1].End]) {
		case 'A':
			if h < 1 || h > 12 {
				return 0, 0
			}
			if h == 12 {
				h = 0
			}
			used = 2
		case 'P':
			if h < 1 || h > 12 {
				return 0, 0
			}
			if h != 12 {
				h += 12
			}
			used = 2
		}
	}
	return h*3600 + m*60 + s, used
}

// parseHMS parses H:MM:SS or HH:MM:SS.
func parseHMS(b []byte) (h, m, s int, ok bool) {
	if len(b) != 7 && len(b) != 8 {
		return 0, 0, 0, false
	}
	if len(b) == 7 {
		h, ok = num(b[:1])
		b = b[1:]
	} else {
		h, ok = num(b[:2])
		b = b[2:]
	}
	if !ok || b[0] != ':' || b[3] != ':' {
		return 0, 0, 0, false
	}
	var ok1, ok2 bool
	m, ok1 = num(b[1:3])
	s, ok2 = num(b[4:6])
	if !ok1 || !ok2 || h > 23 || m > 59 || s > 60 {
		return 0, 0, 0, false
	}
	if s == 60 { // a leap second as printed by strftime; fold it into :59
		s = 59
	}
	return h, m, s, true
}

func num(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

// ampm returns 'A' or 'P' for AM/PM spellings (am, a.m., AM), else 0.
func ampm(b []byte) byte {
	var r [2]byte
	n := 0
	for _, c := range b {
		if c == '.' {
			continue
		}
		if n == 2 {
			return 0
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		r[n] = c
		n++
	}
	if n == 2 && r[1] == 'M' && (r[0] == 'A' || r[0] == 'P') {
		return r[0]
	}
	return 0
}
