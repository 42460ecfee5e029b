package grok

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
)

// tokMatcher decides whether a whole token matches a capture-free regexp,
// faster than regexp.MatchString where the regexp has a simple shape:
//   - a class repeated (NOTSPACE, WORD: \b at a token's edge always holds
//     for word characters, the neighbours being non-word separators);
//   - an alternation (IP = IPV6|IPV4): any branch matching the whole token
//     will do, and a branch is skipped when the token lacks a byte every
//     match of the branch contains (':' for IPV6, '.' for IPV4).
type tokMatcher struct {
	re *regexp.Regexp
	// class repeated: the bytes accepted; bytes ≥ 0x80 are all in it when
	// the class holds every rune ≥ 0x80, else none is.
	class *[256]bool
	min   int // 0 or 1
	alts  []*tokMatcher
	req   string            // bytes every match contains
	fn    func(string) bool // a hand-written matcher of a stock definition
	key   string            // fn's key in handMatchers
}

func (m *tokMatcher) match(tok string) bool {
	for i := 0; i < len(m.req); i++ {
		if strings.IndexByte(tok, m.req[i]) < 0 {
			return false
		}
	}
	switch {
	case m.class != nil:
		if len(tok) < m.min {
			return false
		}
		for i := 0; i < len(tok); i++ {
			if !m.class[tok[i]] {
				return false
			}
		}
		return true
	case m.fn != nil:
		return m.fn(tok)
	case m.alts != nil:
		for _, a := range m.alts {
			if a.match(tok) {
				return true
			}
		}
		return false
	}
	return m.re.MatchString(tok)
}

// cost ranks a matcher by what it spends on a token that it rejects.
func (m *tokMatcher) cost() int {
	switch {
	case m.class != nil:
		return 0
	case m.fn != nil:
		return handCost[m.key]
	case m.alts != nil:
		return 2
	}
	return 3 // a regexp
}

// handKey is re printed, or "" for an alternation (see newTokMatcher). A
// node equal to a key's own parse prints as the key: that is found without
// printing it (String was most of compiling SQUID_NATIVE: IPV6 twice).
func handKey(re *syntax.Regexp) string {
	for _, h := range handTrees {
		if re.Equal(h.re) {
			return h.key
		}
	}
	if re.Op == syntax.OpAlternate {
		return ""
	}
	return re.String()
}

// handTrees are the keys of handMatchers parsed, those that print as
// themselves (all of them, TestHandTrees).
var handTrees = func() []handTree {
	var out []handTree
	for key := range handMatchers {
		if re, err := syntax.Parse(key, syntax.Perl); err == nil && re.String() == key {
			out = append(out, handTree{re, key})
		}
	}
	return out
}()

type handTree struct {
	re  *syntax.Regexp
	key string
}

// newTokMatcher builds a matcher for re, which has no captures.
func newTokMatcher(re *syntax.Regexp) (*tokMatcher, error) {
	m := &tokMatcher{req: string(required(re))}
	if c, min, ok := simpleClass(re); ok {
		m.class, m.min = c.table, min
		if c.high {
			for b := 0x80; b < 0x100; b++ {
				m.class[b] = true
			}
		}
		return m, nil
	}
	// String is not cheap (a fifth of the start-up's pattern compilation):
	// once per node, and not for an alternation, which prints with a '|'
	// outside any group that no key has (TestHandKeysNoTopLevelBar), so
	// none prints as a key (IP and IPORHOST hold IPV6).
	if key := handKey(re); handMatchers[key] != nil {
		// The hand-written matchers reject a token at its first wrong
		// byte: a scan for the required bytes first costs more than it
		// saves (IPV6's ':' looked for in every IPv4 address).
		m.fn, m.req, m.key = handMatchers[key], "", key
		return m, nil
	}
	if re.Op == syntax.OpAlternate {
		for _, s := range re.Sub {
			a, err := newTokMatcher(s)
			if err != nil {
				return nil, err
			}
			if a.alts != nil && a.req == "" {
				// (A|B)|C: a whole token matches it when it matches one
				// of A, B, C.
				m.alts = append(m.alts, a.alts...)
			} else {
				m.alts = append(m.alts, a)
			}
		}
		// Which branch matches a whole token does not matter, only
		// whether one does: try the cheap ones first (IPORHOST on an IPv4
		// address: isIPv4, not IPV6's matcher first).
		slices.SortStableFunc(m.alts, func(a, b *tokMatcher) int { return a.cost() - b.cost() })
		return m, nil
	}
	r, err := regexp.Compile(`^(?:` + re.String() + `)$`)
	if err != nil {
		return nil, err
	}
	m.re = r
	return m, nil
}

type classTable struct {
	table *[256]bool
	high  bool
}

// simpleClass recognises c+, c* and \bw+\b (w a class of word characters).
func simpleClass(re *syntax.Regexp) (classTable, int, bool) {
	if re.Op == syntax.OpConcat && len(re.Sub) == 3 && re.Sub[0].Op == syntax.OpWordBoundary && re.Sub[2].Op == syntax.OpWordBoundary {
		c, min, ok := simpleClass(re.Sub[1])
		if !ok || min == 0 || c.high {
			return classTable{}, 0, false
		}
		for b := 0; b < 0x80; b++ {
			if c.table[b] && !isWordByte(byte(b)) {
				return classTable{}, 0, false
			}
		}
		return c, min, true
	}
	if (re.Op != syntax.OpPlus && re.Op != syntax.OpStar) || re.Sub[0].Op != syntax.OpCharClass {
		return classTable{}, 0, false
	}
	rs := re.Sub[0].Rune
	var c classTable
	c.table = new([256]bool)
	nonASCII := 0 // runes ≥ 0x80 the class holds, capped
	for i := 0; i+1 < len(rs); i += 2 {
		lo, hi := rs[i], rs[i+1]
		for r := lo; r <= hi && r < 0x80; r++ {
			c.table[r] = true
		}
		if hi >= 0x80 {
			if lo < 0x80 {
				lo = 0x80
			}
			if lo == 0x80 && hi == unicode.MaxRune {
				nonASCII = -1
			} else if nonASCII >= 0 {
				nonASCII++
			}
		}
	}
	switch nonASCII {
	case -1:
		c.high = true
	case 0:
	default:
		return classTable{}, 0, false
	}
	min := 0
	if re.Op == syntax.OpPlus {
		min = 1
	}
	return c, min, true
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// required returns ASCII bytes that every match of re contains.
func required(re *syntax.Regexp) []byte {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil
		}
		var out []byte
		for _, r := range re.Rune {
			if r < 0x80 {
				out = addByte(out, byte(r))
			}
		}
		return out
	case syntax.OpCharClass:
		if len(re.Rune) == 2 && re.Rune[0] == re.Rune[1] && re.Rune[0] < 0x80 {
			return []byte{byte(re.Rune[0])}
		}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		var out []byte
		for _, s := range re.Sub {
			for _, b := range required(s) {
				out = addByte(out, b)
			}
		}
		return out
	case syntax.OpAlternate:
		out := required(re.Sub[0])
		for _, s := range re.Sub[1:] {
			r := required(s)
			keep := out[:0]
			for _, b := range out {
				if strings.IndexByte(string(r), b) >= 0 {
					keep = append(keep, b)
				}
			}
			out = keep
		}
		return out
	}
	return nil
}

func addByte(s []byte, b byte) []byte {
	for _, c := range s {
		if c == b {
			return s
		}
	}
	return append(s, b)
}
