package grok

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
}

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
func isIPv4(s string) bool {
	for part := 0; part < 4; part++ {
		n := digits(s)
		if n == 0 || n > 3 {
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
