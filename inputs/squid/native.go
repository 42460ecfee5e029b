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

// nativeLine is a line's tokens as offsets into it, before any field is
// added: a line that fails halfway adds nothing.
type nativeLine struct {
	ts, dur, src, action, status, bytes, method, url, user, hier, dest, ctype [2]int
	durV, statusV, bytesV                                                     int64
	hasSrc, hasStatus, hasMethod, hasUser, hasDest, hasCtype                  bool
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
	var ok bool
	if l.dur, l.durV, ok = number(s, &i); !ok || !sep() {
		return false
	}
	// (?:-|IP) \s
	j = token(&nativeTok)
	switch t := s[i:j]; {
	case t == "-":
	case canonicalIPv4(t):
		l.src, l.hasSrc = [2]int{i, j}, true
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
	l.action, i = [2]int{i, j}, j+1
	// SQUID_STATUS: POSINT, or 0+ (no field)
	j = digitsEnd(s, i)
	switch {
	case j == i || j-i > 9:
		return false
	case s[i] != '0':
		l.status, l.statusV, l.hasStatus = [2]int{i, j}, digitsValue(s[i:j]), true
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
	if l.bytes, l.bytesV, ok = number(s, &i); !ok || !sep() {
		return false
	}
	// (?:-|WORD) \s
	if i < len(s) && s[i] == '-' {
		i++
	} else {
		if j = token(&nativeWord); j == i {
			return false
		}
		l.method, l.hasMethod, i = [2]int{i, j}, true, j
	}
	if !sep() {
		return false
	}
	// NOTSPACE \s
	if j = token(&nativeTok); j == i {
		return false
	}
	if l.url, i = [2]int{i, j}, j; !sep() {
		return false
	}
	// (?:-|NOTSPACE) \s
	if j = token(&nativeTok); j == i {
		return false
	}
	if s[i:j] != "-" {
		l.user, l.hasUser = [2]int{i, j}, true
	}
	if i = j; !sep() {
		return false
	}
	// WORD /
	if j = token(&nativeWord); j == i || j >= len(s) || s[j] != '/' {
		return false
	}
	l.hier, i = [2]int{i, j}, j+1
	// (?:-|IPORHOST) \s
	j = token(&nativeTok)
	switch t := s[i:j]; {
	case t == "-":
	case canonicalIPv4(t):
		l.dest, l.hasDest = [2]int{i, j}, true
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
		l.ctype, l.hasCtype = [2]int{i, j}, true
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

// digitsValue is the value of 1 to 18 ASCII digits.
func digitsValue(s string) int64 {
	n, _ := grok.Digits(s)
	return n
}

// number reads INT at s[*i:] as matchNative takes it: 1 to 18 digits (no
// sign, nothing Digits cannot hold).
func number(s string, i *int) ([2]int, int64, bool) {
	j := digitsEnd(s, *i)
	if j == *i || j-*i > 18 {
		return [2]int{}, 0, false
	}
	at := [2]int{*i, j}
	*i = j
	return at, digitsValue(s[at[0]:at[1]]), true
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
	str := func(at [2]int) any { return vals.String(s[at[0]:at[1]]) }
	v := vals.Int(l.durV)
	dst.Add("squid.request.duration", v)
	picks[pickDuration] = v
	if l.hasSrc {
		v = str(l.src)
		dst.Add("source.ip", v)
		picks[pickSource] = v
	}
	dst.Add("event.action", str(l.action))
	if l.hasStatus {
		v = vals.Int(l.statusV)
		dst.Add("http.response.status_code", v)
		picks[pickStatus] = v
	}
	dst.Add("http.response.bytes", vals.Int(l.bytesV))
	if l.hasMethod {
		dst.Add("http.request.method", str(l.method))
	}
	v = str(l.url)
	dst.Add("url.original", v)
	picks[pickURL] = v
	if l.hasUser {
		v = str(l.user)
		dst.Add("user.name", v)
		picks[pickUser] = v
	}
	dst.Add("squid.hierarchy_code", str(l.hier))
	if l.hasDest {
		v = str(l.dest)
		dst.Add("destination.address", v)
		picks[pickDest] = v
	}
	if l.hasCtype {
		dst.Add("squid.content_type", str(l.ctype))
	}
	return s[l.ts[0]:l.ts[1]], true
}
