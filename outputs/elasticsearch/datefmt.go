package elasticsearch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// dateFormat is the pattern of %{+pattern} in a format string, compiled:
// Beats' libbeat/common/dtfmt, a Joda-like subset. A run of one letter is
// a field whose width is the run's length (y and Y year, yy two digits;
// x week-year, w week, e day of week as a number (Sunday 0), E its name
// (EEEE the full name), D day of year, M month (MMM and MMMM its name), d
// day, a AM/PM, K and h hours of the half day, H and k of the day (h and
// k count from 1 as Beats does), m, s, S fractions; z the offset), any
// other character is itself, and 'text' is text (two single quotes
// write one). G, C and Z are refused, as Beats refuses them.
type dateFormat []dateOp

type dateOp struct {
	field byte   // a pattern letter, or 0 for lit
	width int    // the letter's run length
	lit   string // literal text
}

func parseDate(pattern string) (dateFormat, error) {
	var f dateFormat
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(pattern) && pattern[j] == c {
				j++
			}
			if !strings.ContainsRune("xyYweEDMdaKhHkmsSz", rune(c)) {
				return nil, fmt.Errorf("unsupported date pattern letter %q in %q", c, pattern)
			}
			f = append(f, dateOp{field: c, width: j - i})
			i = j
		case c != '\'':
			_, w := utf8.DecodeRuneInString(pattern[i:])
			f = append(f, dateOp{lit: pattern[i : i+w]})
			i += w
		default: // as dtfmt's parseToken
			start := i + 1
			end := strings.IndexByte(pattern[start:], '\'')
			switch {
			case end < 0:
				return nil, errors.New("missing closing ' in date pattern " + strconv.Quote(pattern))
			case end == 0: // '' is a quote
				f = append(f, dateOp{lit: "'"})
				i = start + 1
			default:
				end += start
				i = end + 1
				if end+1 < len(pattern) && pattern[end+1] == '\'' {
					f = append(f, dateOp{lit: pattern[start : end+1]})
				} else {
					f = append(f, dateOp{lit: pattern[start:end]})
				}
			}
		}
	}
	return f, nil
}

// subSecond reports whether the pattern writes fractions of a second.
func (f dateFormat) subSecond() bool {
	for _, op := range f {
		if op.field == 'S' {
			return true
		}
	}
	return false
}

// append writes t (in UTC, as Beats normalizes event times) as the pattern.
func (f dateFormat) append(dst []byte, t time.Time) []byte {
	t = t.UTC()
	for _, op := range f {
		n := op.width
		switch op.field {
		case 0:
			dst = append(dst, op.lit...)
		case 'y', 'Y', 'x':
			y := t.Year()
			if op.field == 'x' {
				y, _ = t.ISOWeek()
			}
			if n == 2 {
				dst = appendPadded(dst, y%100, 2)
			} else {
				dst = appendPadded(dst, y, n)
			}
		case 'w':
			_, w := t.ISOWeek()
			dst = appendPadded(dst, w, n)
		case 'e':
			dst = appendPadded(dst, int(t.Weekday()), n)
		case 'E':
			if n >= 4 {
				dst = append(dst, t.Weekday().String()...)
			} else {
				dst = append(dst, t.Weekday().String()[:3]...)
			}
		case 'D':
			dst = appendPadded(dst, t.YearDay(), n)
		case 'M':
			switch {
			case n >= 4:
				dst = append(dst, t.Month().String()...)
			case n == 3:
				dst = append(dst, t.Month().String()[:3]...)
			default:
				dst = appendPadded(dst, int(t.Month()), n)
			}
		case 'd':
			dst = appendPadded(dst, t.Day(), n)
		case 'a':
			if t.Hour() < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'K':
			dst = appendPadded(dst, t.Hour()%12, n)
		case 'h':
			dst = appendPadded(dst, t.Hour()%12+1, n)
		case 'H':
			dst = appendPadded(dst, t.Hour(), n)
		case 'k':
			dst = appendPadded(dst, t.Hour()+1, n)
		case 'm':
			dst = appendPadded(dst, t.Minute(), n)
		case 's':
			dst = appendPadded(dst, t.Second(), n)
		case 'S':
			ms := t.Nanosecond() / 1e6
			switch n {
			case 1:
				dst = appendPadded(dst, ms/100, 1)
			case 2:
				dst = appendPadded(dst, ms/10, 2)
			default:
				dst = appendPadded(dst, ms, 3)
				for ; n > 3; n-- {
					dst = append(dst, '0')
				}
			}
		case 'z':
			dst = append(dst, "+00:00"...) // UTC
		}
	}
	return dst
}

// appendPadded appends v in decimal, zero-padded to width digits.
func appendPadded(dst []byte, v, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var buf [20]byte
	b := strconv.AppendInt(buf[:0], int64(v), 10)
	for k := len(b); k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, b...)
}
