package event

import (
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TimestampLayout is how @timestamp and other time values are written:
// RFC 3339 in UTC with as many fractional digits as needed.
const TimestampLayout = time.RFC3339Nano

// AppendJSON appends the document of e as one JSON object (no newline) to
// dst: "@timestamp" first, then the fields nested by their dotted keys, keys
// sorted at every level. It sorts e.Fields in place only past 64 fields.
func AppendJSON(dst []byte, e *Event) []byte {
	var ob [64]uint8
	var order []uint8
	if len(e.Fields) <= len(ob) {
		order = sortOrder(ob[:0], e.Fields)
	} else {
		slices.SortFunc(e.Fields, func(a, b Field) int { return strings.Compare(a.Key, b.Key) })
	}
	return appendOrdered(dst, e, order)
}

// sortOrder returns the permutation that visits f in key order. Visiting
// through it, rather than sorting the Field values, avoids moving pointers
// (and paying GC write barriers for every swap).
func sortOrder(order []uint8, f Fields) []uint8 {
	for i := range f {
		order = append(order, uint8(i))
	}
	// insertion sort: n is small and inputs add fields mostly in order
	for i := 1; i < len(order); i++ {
		j, v := i, order[i]
		for j > 0 && f[order[j-1]].Key > f[v].Key {
			order[j] = order[j-1]
			j--
		}
		order[j] = v
	}
	return order
}

// appendOrdered writes the document visiting the fields through order (nil:
// in slice order, already sorted).
func appendOrdered(dst []byte, e *Event, order []uint8) []byte {
	dst = append(dst, `{"@timestamp":"`...)
	dst = e.Timestamp.UTC().AppendFormat(dst, TimestampLayout)
	dst = append(dst, '"')
	f := e.Fields
	return walkOrdered(dst, f, order, func(dst []byte, i int) []byte { return appendValue(dst, f[i].Value) })
}

// walkOrdered writes the fields' keys nested, after "@timestamp", and calls
// value to write each field's value; it closes the document.
func walkOrdered(dst []byte, f Fields, order []uint8, value func(dst []byte, i int) []byte) []byte {
	var stack [8]string
	open := stack[:0] // object path currently open, one entry per level
	needComma := true // @timestamp is already written
	for n := range f {
		i := n
		if order != nil {
			i = int(order[n])
		}
		key := f[i].Key
		if key == "@timestamp" {
			continue
		}
		// How many of the open objects does key share?
		common, rest := 0, key
		for common < len(open) {
			seg := open[common]
			if len(rest) > len(seg)+1 && rest[len(seg)] == '.' && rest[:len(seg)] == seg {
				rest = rest[len(seg)+1:]
				common++
				continue
			}
			break
		}
		for len(open) > common {
			dst = append(dst, '}')
			open = open[:len(open)-1]
			needComma = true
		}
		// Open the objects the rest of the key names, then write the leaf.
		for {
			j := strings.IndexByte(rest, '.')
			if j <= 0 || j == len(rest)-1 {
				break
			}
			if needComma {
				dst = append(dst, ',')
			}
			dst = appendString(dst, rest[:j])
			dst = append(dst, ':', '{')
			open = append(open, rest[:j])
			rest = rest[j+1:]
			needComma = false
		}
		if needComma {
			dst = append(dst, ',')
		}
		dst = appendString(dst, rest)
		dst = append(dst, ':')
		dst = value(dst, i)
		needComma = true
	}
	for range open {
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

func appendValue(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return appendString(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case int32:
		return strconv.AppendInt(dst, int64(x), 10)
	case uint64:
		return strconv.AppendUint(dst, x, 10)
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10)
	case float64:
		return appendFloat(dst, x)
	case float32:
		return appendFloat(dst, float64(x))
	case bool:
		return strconv.AppendBool(dst, x)
	case []string:
		dst = append(dst, '[')
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
		}
		return append(dst, ']')
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValue(dst, e)
		}
		return append(dst, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendValue(dst, x[k])
		}
		return append(dst, '}')
	case time.Time:
		dst = append(dst, '"')
		dst = x.UTC().AppendFormat(dst, TimestampLayout)
		return append(dst, '"')
	case GeoPoint:
		dst = append(dst, `{"lat":`...)
		dst = appendFloat(dst, x.Lat)
		dst = append(dst, `,"lon":`...)
		dst = appendFloat(dst, x.Lon)
		return append(dst, '}')
	case RawJSON:
		if len(x) == 0 || !json.Valid(x) {
			return append(dst, "null"...)
		}
		return append(dst, x...)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return appendString(dst, "!ENCODE_ERROR: "+err.Error())
		}
		return append(dst, b...)
	}
}

// appendFloat writes f the way encoding/json does; NaN and ±Inf, which JSON
// cannot hold, become null.
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const hex = "0123456789abcdef"

// safeASCII marks the bytes a JSON string holds as they are.
var safeASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	ones = 0x0101010101010101
	high = 0x8080808080808080
)

// safe8 reports whether the 8 bytes of s (len 8) are all written as they
// are: ASCII, not a control character, not '"' or '\\'.
func safe8(s string) bool {
	_ = s[7]
	return safeWord(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
}

// safeWord is safe8 on the 8 bytes of w. (The tests for a byte below 0x20
// and for a zero byte after the XORs are exact for ASCII bytes; a byte ≥
// 0x80 fails on its own.)
func safeWord(w uint64) bool { return unsafeBits(w)&high == 0 }

// unsafeBits is nonzero when a byte of w is not written as it is: the
// high bit of such a byte is set (safeWord is unsafeBits(w)&high == 0).
// Borrows only mark bytes above a byte that is marked itself, so the bits
// of several words can be OR-ed and tested once.
func unsafeBits(w uint64) uint64 {
	quote := w ^ ('"' * ones)
	bslash := w ^ ('\\' * ones)
	return w | ((w - 0x20*ones) &^ w) | ((quote - ones) &^ quote) | ((bslash - ones) &^ bslash)
}

// word is the 8 bytes of s from i, little-endian (one load).
func word(s string, i int) uint64 {
	t := s[i : i+8]
	return uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
		uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
}

// allSafe reports whether every byte of s is written as it is (safe8 for
// all of them).
func allSafe(s string) bool {
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if !safeASCII[s[i]] {
				return false
			}
		}
		return true
	}
	// 16 bytes a round, then the last word (which may overlap the
	// bytes already checked)
	var bad uint64
	i := 0
	for ; len(s)-i >= 16; i += 16 {
		bad |= unsafeBits(word(s, i)) | unsafeBits(word(s, i+8))
	}
	if len(s)-i >= 8 {
		bad |= unsafeBits(word(s, i))
	}
	return (bad|unsafeBits(word(s, len(s)-8)))&high == 0
}

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// with encoding/json, so that a binary byte in a log line cannot make
// Elasticsearch reject the whole document.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// 8 bytes at a time while they need no escape (one bounds check,
		// the loads merged into one; safe8 is not inlined)
		for len(s)-i >= 8 {
			t := s[i : i+8]
			if !safeWord(uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56) {
				break
			}
			i += 8
		}
		if n := len(s) - i; n > 0 && n < 8 && len(s) >= 8 {
			// the last n bytes, in the word that ends the string:
			// if all of its bytes are safe, so are these
			t := s[len(s)-8:]
			if safeWord(uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56) {
				break
			}
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if safeASCII[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendValue appends v as the document encoder writes a field value.
func AppendValue(dst []byte, v any) []byte { return appendValue(dst, v) }

// AppendString appends s as a JSON string literal.
func AppendString(dst []byte, s string) []byte { return appendString(dst, s) }
