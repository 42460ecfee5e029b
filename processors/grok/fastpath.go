package grok

import (
	"math/bits"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
)

// The split fast path.
//
// Go's regexp runs a pattern as large as a grok line pattern (IPV6 alone is
// hundreds of instructions) on its NFA, at ~50 ns per byte. Most line
// patterns, though, are a sequence of elements separated by punctuation or
// blanks: ^E1 SEP1 E2 SEP2 … En$. When element Ei can never contain the
// first character of SEPi, every match of the whole pattern must end Ei at
// the first such character after its start; when SEPi has a fixed length, or
// is c+ and Ei+1 neither starts with c nor is empty, the separator's extent
// is forced too. The split of a line into elements is then the same in every
// match, so matching each element, anchored, on its own token gives the same
// result and the same captures as the whole pattern (leftmost-first picks,
// per element, the first way to match its token; the choices are
// independent). Small element regexps run on Go's fast backtracker.
//
// compileSplit checks those conditions on the parsed pattern and merges
// neighbours where one fails; the differential and fuzz tests compare the
// fast path with the plain regexp.

// splitter is the compiled fast path of an anchored pattern.
type splitter struct {
	elems []splitElem
	seps  []splitSep // seps[i] follows elems[i]
	ncap  int        // groups of the whole pattern
}

type splitElem struct {
	re *regexp.Regexp
	// tok matches the element when it has no captures but a whole one;
	// dash is a literal first alternative that captures nothing (grok's
	// "(?:-|%{X:field})" idiom): the token equal to it matches, without value.
	tok  *tokMatcher
	dash string
	// firstCap is the whole pattern's group number of the element's first
	// group; whole reports an element that is one capture spanning it all, so
	// MatchString suffices.
	firstCap, ncap int
	whole          bool
	// alts matches an element that is an alternation of whole-token
	// branches, one of them a capture (SQUID_STATUS: "(POSINT)|0+"): the
	// first branch that matches the token decides, as leftmost-first
	// matching of the anchored element does; capAlt is the capturing one.
	alts   []*tokMatcher
	capAlt int
	// stop holds the bytes the following separator starts with (nil for
	// the last element): the element ends at the first of them.
	stop *[256]bool
	// scan is tok's class when tok is a repeated class (min: its minimum
	// length): match finds the end and checks the token in one pass.
	scan *[256]bool
	min  int
	// wide, when not 0, is a byte value such that every byte from it up
	// (0x80–0xFF too) is in scan: match skips 8 bytes at a time while none
	// is below it (NOTSPACE: 0x21; a URL is most of a squid line).
	wide byte
	// fns are the hand matchers of a whole (or capture-free) element's
	// token, any of which matching matches it (tok's, without its layers).
	fns []func(string) bool
}

type splitSep struct {
	lit   string     // a literal separator, or
	class *[256]bool // one (plus: one or more) ASCII characters of a class
	plus  bool
	first *[256]bool // characters a separator can start with
}

// compileSplit returns the fast path for expr, or nil when it does not apply.
func compileSplit(expr string, ncap int) *splitter {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 3 {
		return nil
	}
	items := re.Sub
	if items[0].Op != syntax.OpBeginText || items[len(items)-1].Op != syntax.OpEndText {
		return nil
	}
	items = items[1 : len(items)-1]
	for _, it := range items {
		if hasAnchor(it) {
			return nil
		}
	}
	// Alternate elements and separators.
	type part struct {
		items []*syntax.Regexp
		sep   *syntax.Regexp // the separator following the element, if any
	}
	var parts []part
	var cur []*syntax.Regexp
	for j, it := range items {
		if len(cur) > 0 && j < len(items)-1 && sepFirst(it) != nil {
			parts = append(parts, part{items: cur, sep: it})
			cur = nil
			continue
		}
		cur = append(cur, it)
	}
	parts = append(parts, part{items: cur})
	// Merge where a condition fails, until all hold.
	for changed := true; changed; {
		changed = false
		for i := 0; i+1 < len(parts); i++ {
			if splitOK(parts[i].items, parts[i].sep, parts[i+1].items) {
				continue
			}
			merged := append(append(append([]*syntax.Regexp(nil), parts[i].items...), parts[i].sep), parts[i+1].items...)
			parts[i] = part{items: merged, sep: parts[i+1].sep}
			parts = append(parts[:i+1], parts[i+2:]...)
			changed = true
			break
		}
	}
	if len(parts) < 2 {
		return nil
	}
	s := &splitter{ncap: ncap}
	capNo := 1
	for _, p := range parts {
		sub := &syntax.Regexp{Op: syntax.OpConcat, Sub: p.items}
		if len(p.items) == 1 {
			sub = p.items[0]
		}
		n := countCaps(sub)
		el := splitElem{firstCap: capNo, ncap: n}
		if sub.Op == syntax.OpAlternate && len(sub.Sub) == 2 && sub.Sub[0].Op == syntax.OpLiteral &&
			sub.Sub[0].Flags&syntax.FoldCase == 0 && sub.Sub[1].Op == syntax.OpCapture && n == 1 {
			el.dash = string(sub.Sub[0].Rune)
			sub = sub.Sub[1]
		}
		el.whole = n == 1 && sub.Op == syntax.OpCapture && countCaps(sub.Sub[0]) == 0
		body := sub
		if el.whole {
			body = sub.Sub[0]
		}
		if el.dash != "" && !el.whole {
			return nil // cannot happen: n == 1 and the capture is sub
		}
		if alts, capAlt, ok := wholeAlts(sub, n); ok && !el.whole {
			el.capAlt = capAlt
			for _, b := range alts {
				m, err := newTokMatcher(b)
				if err != nil {
					return nil
				}
				el.alts = append(el.alts, m)
			}
		} else if el.whole || n == 0 {
			m, err := newTokMatcher(body)
			if err != nil {
				return nil
			}
			el.tok = m
		} else {
			r, err := regexp.Compile(`^(?:` + body.String() + `)$`)
			if err != nil || r.NumSubexp() != n {
				return nil
			}
			el.re = r
		}
		if el.tok != nil && el.tok.class != nil && el.tok.req == "" {
			el.scan, el.min = el.tok.class, el.tok.min
			el.wide = wideFrom(el.scan)
		}
		if el.tok != nil && el.tok.req == "" {
			switch {
			case el.tok.fn != nil:
				el.fns = []func(string) bool{el.tok.fn}
			case el.tok.alts != nil:
				for _, a := range el.tok.alts {
					if a.fn == nil || a.req != "" {
						el.fns = nil
						break
					}
					el.fns = append(el.fns, a.fn)
				}
			}
		}
		capNo += n
		if p.sep != nil {
			sep := newSplitSep(p.sep)
			el.stop = sep.first

			s.seps = append(s.seps, sep)
		}
		s.elems = append(s.elems, el)
	}
	if capNo-1 != ncap {
		return nil
	}
	return s
}

// wholeAlts recognises an alternation whose branches capture nothing
// except one branch that is a single capture of capture-free text; it
// returns the branches' bodies and the capturing one's index.
func wholeAlts(sub *syntax.Regexp, n int) ([]*syntax.Regexp, int, bool) {
	if sub.Op != syntax.OpAlternate || n != 1 {
		return nil, 0, false
	}
	var out []*syntax.Regexp
	capAlt := -1
	for i, b := range sub.Sub {
		switch {
		case b.Op == syntax.OpCapture && countCaps(b.Sub[0]) == 0:
			capAlt = i
			out = append(out, b.Sub[0])
		case countCaps(b) == 0:
			out = append(out, b)
		default:
			return nil, 0, false
		}
	}
	return out, capAlt, capAlt >= 0
}

// splitOK reports whether elem, sep, next can be split as described above.
func splitOK(elem []*syntax.Regexp, sep *syntax.Regexp, next []*syntax.Regexp) bool {
	first := sepFirst(sep)
	for _, r := range first {
		for _, it := range elem {
			if mayContain(it, r) {
				return false
			}
		}
	}
	if sep.Op == syntax.OpPlus {
		// The separator takes all of its class: next must not start with
		// (we check: contain) one of them, nor be empty.
		for _, r := range first {
			for _, it := range next {
				if mayContain(it, r) {
					return false
				}
			}
		}
		nre := &syntax.Regexp{Op: syntax.OpConcat, Sub: next}
		r, err := regexp.Compile(`^(?:` + nre.String() + `)$`)
		if err != nil || r.MatchString("") {
			return false
		}
	}
	return true
}

// sepFirst returns the characters re starts with when re can be a separator
// (an ASCII non-word literal, class, or class+), else nil.
func sepFirst(re *syntax.Regexp) []rune {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 || len(re.Rune) == 0 {
			return nil
		}
		for _, r := range re.Rune {
			if !sepRune(r) {
				return nil
			}
		}
		return re.Rune[:1]
	case syntax.OpCharClass:
		var out []rune
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo > 32 {
				return nil
			}
			for r := lo; r <= hi; r++ {
				if !sepRune(r) {
					return nil
				}
				out = append(out, r)
			}
		}
		return out
	case syntax.OpPlus:
		if re.Sub[0].Op == syntax.OpCharClass && re.Flags&syntax.NonGreedy == 0 {
			return sepFirst(re.Sub[0])
		}
	}
	return nil
}

// sepRune: ASCII and not a word character, so that \b sees the same
// boundary at a token's edge as in the whole line.
func sepRune(r rune) bool {
	return r < 0x80 && !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
}

func newSplitSep(re *syntax.Regexp) splitSep {
	var s splitSep
	s.first = new([256]bool)
	for _, r := range sepFirst(re) {
		s.first[r] = true
	}
	switch re.Op {
	case syntax.OpLiteral:
		s.lit = string(re.Rune)
	case syntax.OpCharClass:
		s.class = s.first
	case syntax.OpPlus:
		s.class, s.plus = s.first, true
	}
	return s
}

// mayContain reports whether a match of re may contain r (conservatively).
func mayContain(re *syntax.Regexp, r rune) bool {
	switch re.Op {
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			if c == r || re.Flags&syntax.FoldCase != 0 && unicode.SimpleFold(c) != c && foldEq(c, r) {
				return true
			}
		}
		return false
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= r && r <= re.Rune[i+1] {
				return true
			}
		}
		return false
	case syntax.OpAnyCharNotNL:
		return r != '\n'
	case syntax.OpAnyChar:
		return true
	}
	for _, s := range re.Sub {
		if mayContain(s, r) {
			return true
		}
	}
	return false
}

func foldEq(a, b rune) bool {
	for c := unicode.SimpleFold(a); c != a; c = unicode.SimpleFold(c) {
		if c == b {
			return true
		}
	}
	return false
}

func hasAnchor(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return true
	}
	for _, s := range re.Sub {
		if hasAnchor(s) {
			return true
		}
	}
	return false
}

func countCaps(re *syntax.Regexp) int {
	n := 0
	if re.Op == syntax.OpCapture {
		n++
	}
	for _, s := range re.Sub {
		n += countCaps(s)
	}
	return n
}

// match fills loc (2*(ncap+1) ints) like FindStringSubmatchIndex and reports
// whether text matches.
func (s *splitter) match(text string, loc []int) bool {
	for i := range loc {
		loc[i] = -1
	}
	loc[0], loc[1] = 0, len(text)
	pos := 0
	for i := range s.elems {
		el := &s.elems[i]
		var end int
		if el.scan != nil {
			// Skip the class; the element ends here when a separator (or
			// the text's end, for the last one) follows. Else the token
			// holds a byte outside the class: only the dash can match it.
			if el.wide != 0 {
				end = scanWide(text, pos, el.wide, el.scan)
			} else {
				end = pos
				for end < len(text) && el.scan[text[end]] {
					end++
				}
			}
			tok := text[pos:end]
			if el.stop == nil && end == len(text) || el.stop != nil && end < len(text) && el.stop[text[end]] {
				switch {
				case el.dash != "" && tok == el.dash:
				case len(tok) >= el.min:
					if el.whole {
						loc[2*el.firstCap], loc[2*el.firstCap+1] = pos, end
					}
				default:
					return false
				}
			} else if end = el.end(text, end); end < 0 || el.dash == "" || text[pos:end] != el.dash {
				return false
			}
		} else {
			if end = el.end(text, pos); end < 0 {
				return false
			}
			if tok := text[pos:end]; el.fns != nil && (el.dash == "" || tok != el.dash) {
				// matchToken's whole and capture-free cases, without
				// its layers.
				k := 0
				for k < len(el.fns) && !el.fns[k](tok) {
					k++
				}
				if k == len(el.fns) {
					return false
				}
				if el.whole {
					loc[2*el.firstCap], loc[2*el.firstCap+1] = pos, end
				}
			} else if !el.matchToken(text, pos, end, loc) {
				return false
			}
		}
		if el.stop == nil {
			return true
		}
		sep := &s.seps[i]
		switch {
		case sep.lit != "":
			if !strings.HasPrefix(text[end:], sep.lit) {
				return false
			}
			pos = end + len(sep.lit)
		default:
			pos = end + 1 // text[end] is in the class (it was found as first)
			if sep.plus {
				for pos < len(text) && sep.class[text[pos]] {
					pos++
				}
			}
		}
	}
	return true
}

// wideFrom returns the least byte value t in 1..0x7F such that every byte
// from t to 0xFF is in class, or 0 when there is none (then ASCII text
// would stop every word).
func wideFrom(class *[256]bool) byte {
	t := 256
	for t > 1 && class[t-1] {
		t--
	}
	if t >= 0x80 {
		return 0
	}
	return byte(t)
}

// scanWide returns the first i from j on where text[i] is not in class,
// or len(text), given that every byte from t (1 ≤ t < 0x80) up is in
// class: it tests 8 bytes at a time for one below t, and class only there.
func scanWide(text string, j int, t byte, class *[256]bool) int {
	lo := uint64(t) * 0x0101010101010101
	for j < len(text) {
		var w uint64
		tail := j+8 > len(text)
		if !tail {
			w = load64(text, j)
		} else if len(text) >= 8 {
			// The last 8 bytes, those before j shifted out: the zeros
			// shifted in stand past the end.
			w = load64(text, len(text)-8) >> (8 * (j - (len(text) - 8)))
		} else {
			for j < len(text) && class[text[j]] {
				j++
			}
			return j
		}
		// A byte below t (t ≤ 0x80) sets its high bit in (w - lo) &^ w; the
		// lowest one set is the first byte below t (a borrow only moves
		// up from there).
		m := (w - lo) &^ w & 0x8080808080808080
		if m == 0 {
			if tail {
				return len(text)
			}
			j += 8
			continue
		}
		if j += bits.TrailingZeros64(m) >> 3; j >= len(text) {
			return len(text)
		}
		if !class[text[j]] {
			return j
		}
		j++
	}
	return j
}

// load64 reads text[j:j+8] as a little-endian word (one load: the
// compiler combines the bytes).
func load64(text string, j int) uint64 {
	b := text[j : j+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// end returns where the element that reaches at least to j ends: at the
// first byte a separator starts with, or at the end of the text for the last
// element; -1 when there is none.
func (el *splitElem) end(text string, j int) int {
	if el.stop == nil {
		return len(text)
	}
	for ; j < len(text); j++ {
		if el.stop[text[j]] {
			return j
		}
	}
	return -1
}

// matchToken matches the element on its token text[pos:end] and records
// its captures in loc.
func (el *splitElem) matchToken(text string, pos, end int, loc []int) bool {
	tok := text[pos:end]
	switch {
	case el.dash != "" && tok == el.dash:
	case el.whole:
		if !el.tok.match(tok) {
			return false
		}
		loc[2*el.firstCap], loc[2*el.firstCap+1] = pos, end
	case el.ncap == 0:
		if !el.tok.match(tok) {
			return false
		}
	case el.alts != nil:
		k := 0
		for k < len(el.alts) && !el.alts[k].match(tok) {
			k++
		}
		if k == len(el.alts) {
			return false
		}
		if k == el.capAlt {
			loc[2*el.firstCap], loc[2*el.firstCap+1] = pos, end
		}
	default:
		sub := el.re.FindStringSubmatchIndex(tok)
		if sub == nil {
			return false
		}
		for k := 1; k <= el.ncap; k++ {
			if a := sub[2*k]; a >= 0 {
				g := el.firstCap + k - 1
				loc[2*g], loc[2*g+1] = pos+a, pos+sub[2*k+1]
			}
		}
	}
	return true
}
