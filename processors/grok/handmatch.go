package grok

import "strings"

// Hand-written whole-token matchers for the stock definitions that line
// patterns use most (the squid native pattern checks an INT, a NUMBER and
// one or two IPs per line). Go's regexp spends 100–300 ns per token on
// them, most of it set-up; these take a few ns. A matcher is used only when
// the parsed regexp prints exactly as the key (the definition as
// regexp/syntax simplifies it), so a changed definition falls back to the
// regexp; TestHandMatchers and FuzzHandMatchers compare each one with its
// regexp.
var handMatchers = map[string]func(string) bool{
	`[\+\-]?[0-9]+`:              isInt,
	`[\+\-]?[0-9]+(?:\.[0-9]+)?`: isDecimal,
	`\.[0-9]+`:                   isDotDigits,
	`\b[1-9][0-9]*\b`:            isPosInt,
	`0+`:                         isZeros,
	`(?:(?:2(?:5[0-5]|[0-4][0-9])|[01]?[0-9][0-9]?)\.){3}(?:2(?:5[0-5]|[0-4][0-9])|[01]?[0-9][0-9]?)`: isIPv4,
	`\b[0-9A-Za-z][\-0-9A-Za-z]{0,62}(?:\.[0-9A-Za-z][\-0-9A-Za-z]{0,62})*(?:\.?|\b)`:                 isHostname,
	ipv6Expr: isIPv6,
}

// handCost ranks the hand matchers that may be slow to reject a token (an
// alternation tries the others first, see tokMatcher.cost); the others
// reject at their first wrong byte.
var handCost = map[string]int{ipv6Expr: 1}

// ipv6Expr is our IPV6 (library.go: the stock one, zone limited to
// non-blanks) as newTokMatcher looks it up, H standing for a group of hex
// digits and V for an embedded IPv4 address. Its branches: k = 7 … 0
// leading "H:" groups, then a tail.
var ipv6Expr = strings.NewReplacer(
	"H", `[0-9A-Fa-f]{1,4}`,
	"V", `(?:2(?:5[0-5]|[0-4][0-9])|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:2(?:5[0-5]|[0-4][0-9])|1[0-9][0-9]|[1-9]?[0-9])){3}`,
).Replace(`(?:(?:H:){7}(?:H|:)|(?:H:){6}(?::H|V|:)|(?:H:){5}(?:(?::H){1,2}|:(?:V|(?:)))|(?:H:){4}(?:(?::H){1,3}|(?::H)?:V|:)|` +
	`(?:H:){3}(?:(?::H){1,4}|(?::H){0,2}:V|:)|(?:H:){2}(?:(?::H){1,5}|(?::H){0,3}:V|:)|(?:H:){1}(?:(?::H){1,6}|(?::H){0,4}:V|:)|` +
	`:(?:(?::H){1,7}|(?::H){0,5}:V|:))(?:%[^\t\n\f\r ]+)?`)

// digits returns the length of the run of ASCII digits s starts with.
func digits(s string) int {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// isInt: [+-]?[0-9]+
func isInt(s string) bool {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return len(s) > 0 && digits(s) == len(s)
}

// isDecimal: [+-]?[0-9]+(\.[0-9]+)?
func isDecimal(s string) bool {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	n := digits(s)
	if n == 0 {
		return false
	}
	return n == len(s) || isDotDigits(s[n:])
}

// isDotDigits: \.[0-9]+
func isDotDigits(s string) bool {
	return len(s) > 1 && s[0] == '.' && digits(s[1:]) == len(s)-1
}

// isPosInt: [1-9][0-9]* (the \b hold at a token's edges: digits are word
// characters).
func isPosInt(s string) bool {
	return len(s) > 0 && '1' <= s[0] && s[0] <= '9' && digits(s) == len(s)
}

// isZeros: 0+
func isZeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return len(s) > 0
}

// isIPv4: four dot-separated groups of 1 to 3 digits whose value is at
// most 255 (leading zeros allowed: the definition accepts 010 and 001).
// One pass over the bytes.
func isIPv4(s string) bool {
	if len(s) < 7 || len(s) > 15 {
		return false
	}
	dots, v, n := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if n == 0 || dots == 3 {
				return false
			}
			dots, v, n = dots+1, 0, 0
			continue
		}
		if c -= '0'; c > 9 {
			return false
		}
		v, n = v*10+int(c), n+1
		if n > 3 || v > 255 {
			return false
		}
	}
	return dots == 3 && n > 0
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// isHostname: labels of an alphanumeric and up to 62 alphanumerics or
// dashes, joined by dots, with an optional final dot. (The closing
// (?:\.?|\b) can always match empty, and the leading \b holds before an
// alphanumeric.)
func isHostname(s string) bool {
	for {
		if len(s) == 0 || !isAlnum(s[0]) {
			return false
		}
		i := 1
		for i < len(s) && (isAlnum(s[i]) || s[i] == '-') {
			i++
		}
		if i > 63 {
			return false
		}
		s = s[i:]
		if len(s) == 0 {
			return true
		}
		if s[0] != '.' {
			return false
		}
		s = s[1:]
		if len(s) == 0 {
			return true
		}
	}
}

// isIPv6: ipv6Expr. After k (0 to 7) leading "H:" groups the tail is, for
// k = 7: H or ":"; k = 6: ":H", V or ":"; k = 1 to 5: ":", 1 to 7-k ":H"
// groups, or up to 5-k of them then ":V"; k = 0: ":" then a tail as for
// k = 1 to 5 with 7 and 5. A zone is '%' and one or more non-blanks.
func isIPv6(s string) bool {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		zone := s[i+1:]
		if zone == "" || strings.ContainsAny(zone, "\t\n\f\r ") {
			return false
		}
		s = s[:i]
	}
	rest := s
	for k := 0; k <= 7; k++ {
		switch {
		case k == 7:
			if rest == ":" || hexRun(rest) == len(rest) && len(rest) > 0 {
				return true
			}
		case k == 6:
			if rest == ":" || isStrictIPv4(rest) {
				return true
			}
			if n, ok := hexGroups(rest); ok && n == 1 {
				return true
			}
		case k == 0:
			if len(rest) > 0 && rest[0] == ':' && ipv6Tail(rest[1:], 7, 5) {
				return true
			}
		default:
			if ipv6Tail(rest, 7-k, 5-k) {
				return true
			}
		}
		n := hexRun(rest)
		if n == 0 || n == len(rest) || rest[n] != ':' {
			return false
		}
		rest = rest[n+1:]
	}
	return false
}

// ipv6Tail: ":", 1 to groups ":H" groups, or up to v4groups of them then ":V".
func ipv6Tail(s string, groups, v4groups int) bool {
	if s == ":" {
		return true
	}
	if n, ok := hexGroups(s); ok && n >= 1 && n <= groups {
		return true
	}
	j := strings.LastIndexByte(s, ':')
	if j < 0 || !isStrictIPv4(s[j+1:]) {
		return false
	}
	n, ok := hexGroups(s[:j])
	return ok && n <= v4groups
}

// hexRun returns the length of the run of hex digits s starts with, up to
// 5 (a group holds at most 4).
func hexRun(s string) int {
	i := 0
	for i < len(s) && i < 5 && (isHexDigit(s[i])) {
		i++
	}
	if i > 4 {
		return 0
	}
	return i
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// hexGroups counts the ":H" groups s is made of.
func hexGroups(s string) (int, bool) {
	n := 0
	for len(s) > 0 {
		if s[0] != ':' {
			return 0, false
		}
		h := hexRun(s[1:])
		if h == 0 {
			return 0, false
		}
		s = s[1+h:]
		n++
	}
	return n, true
}

// isStrictIPv4: four dot-separated decimal bytes without leading zeros
// (IPV6's embedded address, unlike IPV4, has none).
func isStrictIPv4(s string) bool {
	for part := 0; part < 4; part++ {
		n := digits(s)
		if n == 0 || n > 3 || n > 1 && s[0] == '0' {
			return false
		}
		if n == 3 && (s[0] > '2' || s[0] == '2' && (s[1] > '5' || s[1] == '5' && s[2] > '5')) {
			return false
		}
		s = s[n:]
		if part < 3 {
			if len(s) == 0 || s[0] != '.' {
				return false
			}
			s = s[1:]
		}
	}
	return len(s) == 0
}
