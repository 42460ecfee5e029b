package grok

import (
	"regexp"
	"regexp/syntax"
	"testing"
)

// handCases are tokens at the edges of the hand-written matchers.
var handCases = []string{
	"", "0", "00", "000", "1", "+", "-", "+5", "-5", "+-5", "5+", "12345678901234567890", "1.5", "-1.5", ".5", "5.", "1..5",
	"1.2.3", "1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.1.1.256", "249.250.251.252", "260.1.1.1", "300.1.1.1",
	"01.02.003.004", "001.1.1.1", "0001.1.1.1", "1.2.3.4.", ".1.2.3.4", "1.2.3.4.5", "1.2.3.a", "199.199.199.199", "200.0.0.0",
	"a", "a.", "a..", ".a", "a.b", "a-b", "-a", "a-", "a-.b", "a_b", "example.com", "www.example.co.uk.",
	"a234567890123456789012345678901234567890123456789012345678901234", // 64 characters
	"a23456789012345678901234567890123456789012345678901234567890123",  // 63
	"xn--bcher-kva.example", "ex ample", "é.com", "host:443", "\x00", "\xff",
	// IPV6
	"::", ":::", "::1", "1::", ":1", "1:", "1:::2", "::1:2:3:4:5:6:7", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9",
	"1:2:3:4:5:6:7::", "1:2:3:4:5:6::", "1:2:3:4:5:6::8", "1:2:3:4:5::7:8", "1::3:4:5:6:7:8", "1::2:3:4:5:6:7:8", "12345::", "1234::",
	"fe80::1%eth0", "fe80::1%", "fe80::1%a b", "fe80::1%%", "FE80::ABCD:ef01", "g::1", "::ffff:1.2.3.4", "::ffff:01.2.3.4",
	"::1.2.3.4", "1::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5::1.2.3.4", "1:2:3:4::5:1.2.3.4",
	"::2:3:4:5:6:1.2.3.4", "::2:3:4:5:6:7:1.2.3.4", "1:2::255.255.255.255", "1:2::256.1.1.1", "1:2::1.2.3", "::1.2.3.4%x",
	"1:2:3:4:5:6:7:", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8%\v",
}

func TestHandMatchers(t *testing.T) {
	for expr, fn := range handMatchers {
		re := regexp.MustCompile(`^(?:` + expr + `)$`)
		for _, tok := range handCases {
			if got, want := fn(tok), re.MatchString(tok); got != want {
				t.Errorf("%s on %q: hand matcher %v, regexp %v", expr, tok, got, want)
			}
		}
	}
}

// TestHandMatcherKeys: each key is in the form newTokMatcher looks it up
// (the parsed and simplified regexp printed), and the stock definitions
// the squid pattern uses still print as the keys.
func TestHandMatcherKeys(t *testing.T) {
	for expr := range handMatchers {
		re, err := syntax.Parse(expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		if s := re.String(); s != expr {
			t.Errorf("key %s prints as %s once parsed", expr, s)
		}
	}
	g, err := CompileWith(NewLibrary(), []string{"%{SQUID_NATIVE}"}, true)
	if err != nil {
		t.Fatal(err)
	}
	hand, re := 0, 0
	var walk func(m *tokMatcher)
	walk = func(m *tokMatcher) {
		switch {
		case m.fn != nil:
			hand++
		case m.alts != nil:
			for _, a := range m.alts {
				walk(a)
			}
		case m.re != nil:
			re++
		}
	}
	for _, el := range g.Patterns()[0].split.elems {
		if el.tok != nil {
			walk(el.tok)
		}
		for _, a := range el.alts {
			walk(a)
		}
		if el.re != nil {
			re++
		}
	}
	// No regexp is left: IPV6 too is matched by hand.
	if hand < 10 || re != 0 {
		t.Errorf("SQUID_NATIVE: %d hand-written token matchers and %d regexps, want >= 10 and 0", hand, re)
	}
}

func FuzzHandMatchers(f *testing.F) {
	for _, tok := range handCases {
		f.Add(tok)
	}
	type pair struct {
		fn func(string) bool
		re *regexp.Regexp
	}
	var ms []pair
	for expr, fn := range handMatchers {
		ms = append(ms, pair{fn, regexp.MustCompile(`^(?:` + expr + `)$`)})
	}
	f.Fuzz(func(t *testing.T, tok string) {
		for _, m := range ms {
			if got, want := m.fn(tok), m.re.MatchString(tok); got != want {
				t.Fatalf("%s on %q: hand matcher %v, regexp %v", m.re, tok, got, want)
			}
		}
	})
}

// TestHandKeysNoTopLevelBar: no key of handMatchers has a '|' outside
// groups and classes, so no alternation prints as one and newTokMatcher
// does not print alternations to look them up.
func TestHandKeysNoTopLevelBar(t *testing.T) {
	for key := range handMatchers {
		depth, class := 0, false
		for i := 0; i < len(key); i++ {
			switch c := key[i]; {
			case c == '\\':
				i++
			case class:
				class = c != ']'
			case c == '[':
				class = true
			case c == '(':
				depth++
			case c == ')':
				depth--
			case c == '|' && depth == 0:
				t.Errorf("handMatchers key %q has a '|' at the top level: newTokMatcher must print alternations", key)
			}
		}
	}
}

// TestHandTrees: every key of handMatchers parses to a tree that prints as
// the key, so handKey finds each by structure without printing the node.
func TestHandTrees(t *testing.T) {
	if len(handTrees) != len(handMatchers) {
		for key := range handMatchers {
			re, err := syntax.Parse(key, syntax.Perl)
			if err != nil || re.String() != key {
				t.Errorf("handMatchers key %q parses to %v (%v), which prints otherwise", key, re, err)
			}
		}
	}
}
