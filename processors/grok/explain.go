package grok

import (
	"fmt"
	"regexp"
	"strings"
)

// Explanation tells why a pattern did not match a text.
type Explanation struct {
	// Column (1-based, in bytes) where the pattern stopped matching: the end
	// of the longest matching prefix of its elements, plus one.
	Column int
	// Element is the top-level element of the pattern that did not match
	// there (e.g. "%{IP:source.ip}"); Index is its position (0-based) among
	// Count elements. Element is empty when the pattern could not be split
	// (a top-level alternation): then Column is 1.
	Element      string
	Index, Count int
	// Expr is the expression the elements come from (the definition of
	// NAME when the pattern is just %{NAME}).
	Expr string
}

func (e Explanation) String() string {
	if e.Element == "" {
		return fmt.Sprintf("%s did not match", e.Expr)
	}
	return fmt.Sprintf("matched up to column %d, then element %d of %d did not match: %s", e.Column-1, e.Index+1, e.Count, e.Element)
}

// Explain matches growing prefixes of the pattern's top-level elements
// against text and reports the first element that fails, with the column.
// It compiles regexps: use it for diagnostics, not per event.
func (p *Pattern) Explain(text string) Explanation {
	expr := p.Source
	// %{NAME} alone: explain with NAME's definition.
	for {
		e := strings.TrimSpace(expr)
		if !strings.HasPrefix(e, "%{") || strings.IndexByte(e, '}') != len(e)-1 {
			break
		}
		syn, sem, _, err := parseRef(e[2 : len(e)-1])
		if err != nil || sem != "" {
			break
		}
		def, _, ok := p.lib.Lookup(syn)
		if !ok {
			break
		}
		expr = def
	}
	ex := Explanation{Expr: expr, Column: 1}
	elems := topElements(expr)
	if elems == nil {
		return ex
	}
	ex.Count = len(elems)
	x := newExpander(p.lib)
	prefix := ""
	for i, el := range elems {
		cand := prefix + el
		e, err := x.expr(cand)
		if err != nil {
			return ex
		}
		re, err := regexp.Compile(e.expr)
		if err != nil {
			return ex
		}
		loc := re.FindStringIndex(text)
		if loc == nil {
			ex.Element, ex.Index = el, i
			return ex
		}
		ex.Column = loc[1] + 1
		prefix = cand
	}
	// Every element matched on its own prefix: the whole only fails
	// together (e.g. an earlier element matched differently).
	ex.Element, ex.Index = elems[len(elems)-1], len(elems)-1
	return ex
}

// topElements splits a grok expression into its top-level elements, a
// quantifier staying with its element. It returns nil when the expression
// has a top-level alternation (prefixes would not mean anything).
func topElements(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		start := i
		switch c := s[i]; {
		case c == '\\':
			i = min(i+2, len(s))
		case c == '[':
			i = classEnd(s, i)
		case c == '%' && i+1 < len(s) && s[i+1] == '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return nil
			}
			i += j + 1
		case c == '(':
			depth := 0
			for i < len(s) {
				switch s[i] {
				case '\\':
					i++
				case '[':
					i = classEnd(s, i) - 1
				case '(':
					depth++
				case ')':
					depth--
				}
				i++
				if depth == 0 {
					break
				}
			}
		case c == '|':
			return nil
		default:
			i++
		}
		// A quantifier belongs to the element before it.
		for i < len(s) {
			switch s[i] {
			case '*', '+', '?':
				i++
				continue
			case '{':
				if j := strings.IndexByte(s[i:], '}'); j > 0 && isRepeat(s[i+1:i+j]) {
					i += j + 1
					continue
				}
			}
			break
		}
		// Merge runs of plain characters into one element.
		el := s[start:i]
		if n := len(out); n > 0 && isPlain(el) && isPlain(out[n-1]) {
			out[n-1] += el
		} else {
			out = append(out, el)
		}
	}
	return out
}

func isRepeat(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] == ',' || '0' <= s[i] && s[i] <= '9') {
			return false
		}
	}
	return true
}

func isPlain(el string) bool {
	for i := 0; i < len(el); i++ {
		if strings.IndexByte(`\[](){}%|*+?^$.`, el[i]) >= 0 {
			return false
		}
	}
	return true
}
