package squid

import (
	"github.com/shipper-project/shipper/processors/grok"
	"github.com/shipper-project/shipper/shipper/event"
)

// The default pattern, %{SQUID_NATIVE}, is matched by hand first (issue
// 17: grok was a third of a squid line's CPU). matchNative takes only lines
// whose every token has the plain shape squid writes: decimal numbers,
// canonical dotted IPv4 addresses or "-", words of [0-9A-Za-z_], printable
// ASCII tokens, single spaces (several after the timestamp), nothing after
// the content type. For those the pattern has exactly one match and
// matchNative adds the fields grok would add, in grok's order, with the same
// values and types. Any other line (IPv6, a host name as the destination,
// tabs, a sign, a leading zero in an address, a byte outside printable
// ASCII, a number too long for Digits, …) is left to grok, which decides
// as before. TestParseMatchesReference and FuzzParseMatchesReference hold
// the parser to grok's documents on every line; TestNativeTakesSquidLines
// checks that they exercise this path.

// nativePattern is the configuration matchNative stands for.
const nativePattern = "%{SQUID_NATIVE}"

// nativeTok marks the bytes of a NOTSPACE token matchNative takes:
// printable ASCII. nativeWord marks \w: [0-9A-Za-z_].
var nativeTok, nativeWord = func() (tok, word [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		tok[c] = true
		word[c] = c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'
	}
	return
}()

// nativeCaptures are SQUID_NATIVE's captures in grok's order (the order
// of the fields it adds): the field, whether it is an :int, and its pick
// (-1: none).
var nativeCaptures = [...]struct {
	field string
	int   bool
	pick  int
}{
	capDur:    {"squid.request.duration", true, pickDuration},
	capSrc:    {"source.ip", false, pickSource},
	capAction: {"event.action", false, -1},
	capStatus: {"http.response.status_code", true, pickStatus},
	capBytes:  {"http.response.bytes", true, -1},
	capMethod: {"http.request.method", false, -1},
	capURL:    {"url.original", false, pickURL},
	capUser:   {"user.name", false, pickUser},
	capHier:   {"squid.hierarchy_code", false, -1},
	capDest:   {"destination.address", false, pickDest},
	capCtype:  {"squid.content_type", false, -1},
}

const (
	capDur = iota
	capSrc
	capAction
	capStatus
	capBytes
	capMethod
	capURL
	capUser
	capHier
	capDest
	capCtype
	nCaps
)

// nativeLine is a line's tokens as offsets into it, before any field is
// added: a line that fails halfway adds nothing. A capture that is absent
// ("-", a 0 status) has an empty span: no token but the timestamp starts
// at 0.
type nativeLine struct {
	ts   [2]int
	caps [nCaps][2]int
}

// scanNative splits s into nativeLine's tokens, or reports false.
func scanNative(s string, l *nativeLine) bool {
	i := 0
	// token returns the end of the run of bytes in class from i.
	token := func(class *[256]bool) int {
		j := i
		for j < len(s) && class[s[j]] {
			j++
		}
		return j
	}
	// sep consumes one space.
	sep := func() bool {
		if i < len(s) && s[i] == ' ' {
			i++
			return true
		}
		return false
	}
	// NUMBER: digits, optionally '.' digits.
	j := digitsEnd(s, i)
	if j == i {
		return false
	}
	if j < len(s) && s[j] == '.' {
		k := digitsEnd(s, j+1)
		if k == j+1 {
			return false
		}
		j = k
	}
	l.ts, i = [2]int{0, j}, j
	// \s+ INT
	if !sep() {
		return false
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if !number(s, &i, &l.caps[capDur]) || !sep() {
		return false
	}
	// (?:-|IP) \s
	j = token(&nativeTok)
	switch t := s[i:j]; {
	case t == "-":
	case canonicalIPv4(t):
		l.caps[capSrc] = [2]int{i, j}
	default:
		return false
	}
	if i = j; !sep() {
		return false
	}
	// WORD /
	if j = token(&nativeWord); j == i || j >= len(s) || s[j] != '/' {
		return false
	}
	l.caps[capAction], i = [2]int{i, j}, j+1
	// SQUID_STATUS: POSINT, or 0+ (no field)
	j = digitsEnd(s, i)
	switch {
	case j == i || j-i > 9:
		return false
	case s[i] != '0':
		l.caps[capStatus] = [2]int{i, j}
	default:
		for k := i; k < j; k++ {
			if s[k] != '0' {
				return false // 0200: not POSINT, not 0+
			}
		}
	}
	if i = j; !sep() {
		return false
	}
	// INT \s
	if !number(s, &i, &l.caps[capBytes]) || !sep() {
		return false
	}
	// (?:-|WORD) \s
	if i < len(s) && s[i] == '-' {
		i++
	} else {
		if j = token(&nativeWord); j == i {
			return false
		}
		l.caps[capMethod], i = [2]int{i, j}, j
	}
	if !sep() {
		return false
	}
	// NOTSPACE \s
	if j = token(&nativeTok); j == i {
		return false
	}
	if l.caps[capURL], i = [2]int{i, j}, j; !sep() {
		return false
	}
	// (?:-|NOTSPACE) \s
	if j = token(&nativeTok); j == i {
		return false
	}
	if s[i:j] != "-" {
		l.caps[capUser] = [2]int{i, j}
	}
	if i = j; !sep() {
		return false
	}
	// WORD /
	if j = token(&nativeWord); j == i || j >= len(s) || s[j] != '/' {
		return false
	}
	l.caps[capHier], i = [2]int{i, j}, j+1
	// (?:-|IPORHOST) \s
	j = token(&nativeTok)
	switch t := s[i:j]; {
	case t == "-":
	case canonicalIPv4(t):
		l.caps[capDest] = [2]int{i, j}
	default:
		return false // a host name, IPv6: grok's
	}
	if i = j; !sep() {
		return false
	}
	// (?:-|NOTSPACE) $
	if j = token(&nativeTok); j == i || j != len(s) {
		return false
	}
	if s[i:j] != "-" {
		l.caps[capCtype] = [2]int{i, j}
	}
	return true
}

// digitsEnd returns the end of the run of ASCII digits at s[i:].
func digitsEnd(s string, i int) int {
	for i < len(s) && s[i]-'0' <= 9 {
		i++
	}
	return i
}

// number reads INT at s[*i:] into *at as matchNative takes it: 1 to 18
// digits (no sign, nothing grok.Digits cannot hold).
func number(s string, i *int, at *[2]int) bool {
	j := digitsEnd(s, *i)
	if j == *i || j-*i > 18 {
		return false
	}
	*at, *i = [2]int{*i, j}, j
	return true
}

// matchNative is grok's MatchPicks with %{SQUID_NATIVE} for a line
// scanNative takes: it adds the captures to dst, stores the picked ones in
// picks and returns the timestamp's text; false (nothing added) for any
// other line.
func matchNative(s string, dst *event.Fields, vals *grok.Values, picks *[len(pickNames)]any) (string, bool) {
	var l nativeLine
	if !scanNative(s, &l) {
		return "", false
	}
	for k, c := range nativeCaptures {
		at := l.caps[k]
		if at[1] == 0 {
			continue // "-", a 0 status: no field, as with grok
		}
		t := s[at[0]:at[1]]
		var v any
		if c.int {
			n, _ := grok.Digits(t) // scanNative took 1 to 18 digits
			v = vals.Int(n)
		} else {
			v = vals.String(t)
		}
		dst.Add(c.field, v)
		if c.pick >= 0 {
			picks[c.pick] = v
		}
	}
	return s[l.ts[0]:l.ts[1]], true
}
