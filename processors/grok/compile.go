package grok

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// Type is the type a capture is converted to (%{NUMBER:x:int}).
type Type uint8

// Capture types. Logstash's grok knows int and float; long is accepted as
// int (both are int64 here).
const (
	String Type = iota
	Int
	Float
)

func (t Type) String() string {
	switch t {
	case Int:
		return "long"
	case Float:
		return "float"
	}
	return "keyword"
}

// capture is one capturing group of a compiled pattern, in group order.
type capture struct {
	field string // dotted ECS name
	typ   Type
}

// expansion is a named pattern expanded into Go syntax, with the captures its
// groups produce (relative numbering, in order).
type expansion struct {
	expr string
	caps []capture
}

// expander turns grok expressions into Go regexps in which only named
// captures capture. It caches the expansion of each library name.
type expander struct {
	lib   *Library
	cache map[string]expansion
	stack []string // names being expanded, for cycle errors
}

func newExpander(lib *Library) *expander {
	return &expander{lib: lib, cache: map[string]expansion{}}
}

// name expands the library pattern name.
func (x *expander) name(name string) (expansion, error) {
	if e, ok := x.cache[name]; ok {
		return e, nil
	}
	expr, origin, ok := x.lib.Lookup(name)
	if !ok {
		return expansion{}, fmt.Errorf("no pattern named %s", name)
	}
	for i, s := range x.stack {
		if s == name {
			return expansion{}, fmt.Errorf("pattern %s (%s) refers to itself: %s → %s", name, origin, strings.Join(x.stack[i:], " → "), name)
		}
	}
	x.stack = append(x.stack, name)
	defer func() { x.stack = x.stack[:len(x.stack)-1] }()
	e, err := x.expr(expr)
	if err != nil {
		return expansion{}, fmt.Errorf("pattern %s (%s): %w", name, origin, err)
	}
	if _, err := syntax.Parse(e.expr, syntax.Perl); err != nil {
		return expansion{}, fmt.Errorf("pattern %s (%s): %s", name, origin, goSyntaxError(err))
	}
	x.cache[name] = e
	return e, nil
}

// goSyntaxError words regexp/syntax errors for a grok user.
func goSyntaxError(err error) string {
	msg := err.Error()
	var se *syntax.Error
	if e, ok := err.(*syntax.Error); ok {
		se = e
		msg = string(se.Code) + ": `" + se.Expr + "`"
		if se.Code == syntax.ErrInvalidEscape || se.Code == syntax.ErrInvalidPerlOp {
			msg += " (Go's RE2 regexp has no lookaround, backreferences, atomic groups, \\Z or \\h)"
		}
	}
	return msg
}

// expr expands one grok expression.
func (x *expander) expr(s string) (expansion, error) {
	var b strings.Builder
	b.Grow(len(s) * 2)
	var caps []capture
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return expansion{}, fmt.Errorf("column %d: trailing backslash", i+1)
			}
			n := s[i+1]
			if '1' <= n && n <= '9' || n == 'k' && i+2 < len(s) && s[i+2] == '<' || n == 'g' {
				return expansion{}, fmt.Errorf("column %d: backreference %s is not supported by Go's RE2 regexp", i+1, s[i:min(i+3, len(s))])
			}
			b.WriteString(s[i : i+2])
			i += 2
		case c == '[':
			j := classEnd(s, i)
			b.WriteString(s[i:j])
			i = j
		case c == '(':
			if i+1 < len(s) && s[i+1] == '?' {
				rest := s[i+2:]
				switch {
				case strings.HasPrefix(rest, "P<") || strings.HasPrefix(rest, "<") && !strings.HasPrefix(rest, "<=") && !strings.HasPrefix(rest, "<!"):
					start := i + 3
					if rest[0] == 'P' {
						start++
					}
					end := strings.IndexByte(s[start:], '>')
					if end < 0 {
						return expansion{}, fmt.Errorf("column %d: unterminated group name", i+1)
					}
					field, err := fieldName(s[start : start+end])
					if err != nil {
						return expansion{}, fmt.Errorf("column %d: %w", i+1, err)
					}
					caps = append(caps, capture{field: field})
					b.WriteByte('(')
					i = start + end + 1
				case strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, "!"):
					return expansion{}, fmt.Errorf("column %d: lookahead %s is not supported by Go's RE2 regexp", i+1, s[i:i+3])
				case strings.HasPrefix(rest, "<=") || strings.HasPrefix(rest, "<!"):
					return expansion{}, fmt.Errorf("column %d: lookbehind %s is not supported by Go's RE2 regexp", i+1, s[i:i+4])
				case strings.HasPrefix(rest, ">"):
					return expansion{}, fmt.Errorf("column %d: atomic group (?> is not supported by Go's RE2 regexp (use (?: if backtracking into it cannot change the match)", i+1)
				default:
					b.WriteString("(?")
					i += 2
				}
				continue
			}
			b.WriteString("(?:") // a plain group: make it non-capturing
			i++
		case c == '%' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return expansion{}, fmt.Errorf("column %d: unterminated %%{", i+1)
			}
			ref := s[i+2 : i+end]
			syn, sem, typ, err := parseRef(ref)
			if err != nil {
				return expansion{}, fmt.Errorf("column %d: %%{%s}: %w", i+1, ref, err)
			}
			sub, err := x.name(syn)
			if err != nil {
				return expansion{}, fmt.Errorf("column %d: %%{%s}: %w", i+1, ref, err)
			}
			if sem != "" {
				caps = append(caps, capture{field: sem, typ: typ})
				b.WriteByte('(')
			} else {
				b.WriteString("(?:")
			}
			b.WriteString(sub.expr)
			b.WriteByte(')')
			caps = append(caps, sub.caps...)
			i += end + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return expansion{expr: b.String(), caps: caps}, nil
}

// classEnd returns the index just after the character class starting at
// s[i] == '[' (or len(s) when it is not terminated: Go's parser reports it).
func classEnd(s string, i int) int {
	j := i + 1
	if j < len(s) && s[j] == '^' {
		j++
	}
	if j < len(s) && s[j] == ']' {
		j++
	}
	for j < len(s) {
		switch {
		case s[j] == '\\':
			j += 2
		case s[j] == '[' && j+1 < len(s) && s[j+1] == ':':
			if k := strings.Index(s[j+2:], ":]"); k >= 0 {
				j += k + 4
			} else {
				j++
			}
		case s[j] == ']':
			return j + 1
		default:
			j++
		}
	}
	return len(s)
}

// parseRef splits the inside of %{SYNTAX:SEMANTIC:TYPE}.
func parseRef(ref string) (syn, sem string, typ Type, err error) {
	parts := strings.Split(ref, ":")
	if len(parts) > 3 {
		return "", "", 0, fmt.Errorf("want %%{PATTERN}, %%{PATTERN:field} or %%{PATTERN:field:type}")
	}
	syn = parts[0]
	if !validName(syn) {
		return "", "", 0, fmt.Errorf("invalid pattern name %q", syn)
	}
	if len(parts) > 1 {
		if sem, err = fieldName(parts[1]); err != nil {
			return "", "", 0, err
		}
	}
	if len(parts) > 2 {
		switch parts[2] {
		case "string":
		case "int", "long", "integer":
			typ = Int
		case "float", "double":
			typ = Float
		default:
			return "", "", 0, fmt.Errorf("unknown type %q (want int, long, float or string)", parts[2])
		}
	}
	return syn, sem, typ, nil
}

// fieldName converts Logstash's [a][b] form to a.b and checks the name.
func fieldName(s string) (string, error) {
	if strings.HasPrefix(s, "[") {
		if !strings.HasSuffix(s, "]") {
			return "", fmt.Errorf("invalid field name %q", s)
		}
		s = strings.ReplaceAll(s[1:len(s)-1], "][", ".")
	}
	if s == "" {
		return "", fmt.Errorf("empty field name")
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" || strings.ContainsAny(part, "[]{}:%\"' \t") {
			return "", fmt.Errorf("invalid field name %q", s)
		}
	}
	return s, nil
}

// compilePattern expands and compiles one configured pattern.
func compilePattern(x *expander, src string) (*Pattern, error) {
	e, err := x.expr(src)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(e.expr)
	if err != nil {
		var se *syntax.Error
		if errorsAs(err, &se) {
			return nil, fmt.Errorf("%s", goSyntaxError(se))
		}
		return nil, err
	}
	if re.NumSubexp() != len(e.caps) {
		// Cannot happen: every '(' we emit is counted. Guard anyway.
		return nil, fmt.Errorf("internal error: %d groups, %d captures", re.NumSubexp(), len(e.caps))
	}
	p := &Pattern{Source: src, Expr: e.expr, re: re, anchored: strings.HasPrefix(e.expr, "^") || strings.HasPrefix(e.expr, "(?:^")}
	if p.anchored {
		p.split = compileSplit(e.expr, len(e.caps))
	}
	idx := map[string]int{}
	for gi, c := range e.caps {
		k, ok := idx[c.field]
		if !ok {
			k = len(p.fields)
			idx[c.field] = k
			p.fields = append(p.fields, slot{field: c.field, typ: c.typ})
		}
		s := &p.fields[k]
		s.groups = append(s.groups, gi+1)
		if c.typ != String {
			s.typ = c.typ
		}
	}
	for i := range p.fields {
		s := &p.fields[i]
		if len(s.groups) == 1 {
			s.one = s.groups[0]
		}
		switch s.typ {
		case String:
			p.strSlots++
		case Int:
			p.intSlots++
		}
	}
	return p, nil
}

func errorsAs(err error, se **syntax.Error) bool {
	e, ok := err.(*syntax.Error)
	if ok {
		*se = e
	}
	return ok
}
