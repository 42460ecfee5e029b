package grok

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/shipper-project/shipper/shipper/event"
)

// Config configures a grok matcher and the grok processor (its YAML).
type Config struct {
	Field              string            `yaml:"field"`               // the text to match; default "message"
	Patterns           []string          `yaml:"patterns"`            // tried in order
	PatternDefinitions map[string]string `yaml:"pattern_definitions"` // NAME: regexp, defined inline
	PatternsDir        []string          `yaml:"patterns_dir"`        // files in Logstash's pattern-file format
	BreakOnMatch       bool              `yaml:"break_on_match"`      // stop at the first matching pattern; default true
	IgnoreMissing      bool              `yaml:"ignore_missing"`      // an event without Field is not a failure
	TagOnFailure       []string          `yaml:"tag_on_failure"`      // default ["_grokparsefailure"]
}

// DefaultConfig returns the defaults; README.md shows the same values.
func DefaultConfig() Config {
	return Config{
		Field:        "message",
		BreakOnMatch: true,
		TagOnFailure: []string{"_grokparsefailure"},
	}
}

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	var errs []error
	if c.Field == "" {
		errs = append(errs, errors.New("field: must not be empty"))
	}
	if len(c.Patterns) == 0 {
		errs = append(errs, errors.New("patterns: at least one pattern is required"))
	}
	return errors.Join(errs...)
}

// Grok is a set of compiled patterns, tried in order. It is safe for
// concurrent use.
type Grok struct {
	patterns     []*Pattern
	breakOnMatch bool
}

// Pattern is one compiled pattern.
type Pattern struct {
	Source   string // as configured, e.g. "%{SQUID_NATIVE}"
	Expr     string // the Go regexp it compiled to
	re       *regexp.Regexp
	fields   []slot
	anchored bool
	split    *splitter // the fast path, nil when it does not apply
	lib      *Library
	// strSlots and intSlots count the fields of each type: a match boxes
	// them in one block of each (Values).
	strSlots, intSlots int
}

// slot is one distinct field of a pattern and the groups that can fill it
// (several when the same name appears in alternatives).
type slot struct {
	field  string
	typ    Type
	groups []int // 1-based group numbers
	one    int   // the group when there is only one, else 0
}

// Field describes a field a pattern can produce.
type Field struct {
	Name string
	Type Type
}

// Compile loads the pattern library (stock, bundled, patterns_dir,
// pattern_definitions) and compiles every pattern of cfg once. Errors name
// the pattern and the definition and column at fault.
func Compile(cfg Config) (*Grok, error) {
	lib := NewLibrary()
	for _, d := range cfg.PatternsDir {
		if err := lib.AddDir(d); err != nil {
			return nil, fmt.Errorf("patterns_dir: %w", err)
		}
	}
	for k, v := range cfg.PatternDefinitions {
		if err := lib.Add(k, v, "pattern_definitions."+k); err != nil {
			return nil, err
		}
	}
	return CompileWith(lib, cfg.Patterns, cfg.BreakOnMatch)
}

// CompileWith compiles patterns against lib.
func CompileWith(lib *Library, patterns []string, breakOnMatch bool) (*Grok, error) {
	if len(patterns) == 0 {
		return nil, errors.New("patterns: at least one pattern is required")
	}
	x := newExpander(lib)
	g := &Grok{breakOnMatch: breakOnMatch}
	var errs []error
	for i, src := range patterns {
		p, err := compilePattern(x, src)
		if err != nil {
			errs = append(errs, fmt.Errorf("patterns[%d] %q: %w", i, src, err))
			continue
		}
		p.lib = lib
		g.patterns = append(g.patterns, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return g, nil
}

// Patterns returns the compiled patterns, in configuration order.
func (g *Grok) Patterns() []*Pattern { return g.patterns }

// Match tries the patterns on text and appends the captured, typed fields to
// dst with dst.Add. It returns the index of the (first) matching pattern, or
// -1. A pattern that matches without producing a field counts as no match,
// like vjeantet/grok's empty result. With break_on_match false every pattern
// is tried and later ones replace earlier values (dst.Put).
func (g *Grok) Match(text string, dst *event.Fields) int {
	var vals Values
	return g.MatchValues(text, dst, &vals)
}

// MatchValues is Match boxing the values with vals, which the caller may go
// on using for the event's other fields.
func (g *Grok) MatchValues(text string, dst *event.Fields, vals *Values) int {
	i, _ := g.MatchAside(text, dst, vals, "")
	return i
}

// MatchAside is MatchValues, except that the field named aside, when it is
// a string capture, is not added to dst: its text is returned instead (the
// squid input makes squid's timestamp @timestamp and writes no field for
// it; adding it, then taking it out again, cost a boxed value and moving
// the fields after it). It still counts as a produced field. A typed
// capture named aside is converted, counted and dropped.
func (g *Grok) MatchAside(text string, dst *event.Fields, vals *Values, aside string) (int, string) {
	return g.match(text, dst, vals, aside, nil, nil)
}

// Picks are the fields a caller reads back after every match, resolved
// once against each pattern's fields (see MatchPicks): comparing each
// captured field's name with the names the caller wants, per line, cost
// more than matching some of the tokens (issue 17).
type Picks struct {
	aside string
	n     int
	slots [][]int16 // per pattern, per slot: the index in out, noPick or asidePick
}

const (
	noPick    = -1
	asidePick = -2
)

// Picks resolves aside (as in MatchAside; "" for none) and names for
// MatchPicks.
func (g *Grok) Picks(aside string, names ...string) *Picks {
	pk := &Picks{aside: aside, n: len(names)}
	for _, p := range g.patterns {
		sl := make([]int16, len(p.fields))
		for i, s := range p.fields {
			sl[i] = noPick
			if aside != "" && s.field == aside {
				sl[i] = asidePick
				continue
			}
			for k, name := range names {
				if s.field == name {
					sl[i] = int16(k)
					break
				}
			}
		}
		pk.slots = append(pk.slots, sl)
	}
	return pk
}

// MatchPicks is MatchAside with pk's aside, which also sets out[k] (out has
// at least as many elements as pk's names) to the value added for the k-th
// name: the same value, boxed once; out[k] is left as it was when no
// matching pattern produced that field. pk must come from g.Picks.
func (g *Grok) MatchPicks(text string, dst *event.Fields, vals *Values, pk *Picks, out []any) (int, string) {
	if len(out) < pk.n || len(pk.slots) != len(g.patterns) {
		panic("grok: MatchPicks with Picks of another Grok or a short out")
	}
	return g.match(text, dst, vals, pk.aside, pk.slots, out)
}

func (g *Grok) match(text string, dst *event.Fields, vals *Values, aside string, picks [][]int16, out []any) (int, string) {
	first := -1
	var asideText string
	for i, p := range g.patterns {
		var pick []int16
		if picks != nil {
			pick = picks[i]
		}
		ok, at := p.match(text, dst, first >= 0, vals, aside, pick, out)
		if !ok {
			continue
		}
		if at != "" || first < 0 {
			asideText = at
		}
		if first < 0 {
			first = i
		}
		if g.breakOnMatch {
			break
		}
	}
	return first, asideText
}

// Match applies this one pattern; see Grok.Match.
func (p *Pattern) Match(text string, dst *event.Fields) bool {
	var vals Values
	ok, _ := p.match(text, dst, false, &vals, "", nil, nil)
	return ok
}

// match adds the fields of text to dst (Put when put) and reports whether
// the pattern matched and produced one; the string capture of the field
// named aside is returned instead of added (see MatchAside). With pick
// (the pattern's slots in Picks) the aside slot is pick's, and the value of
// slot i is also stored in out[pick[i]] when that is an index.
func (p *Pattern) match(text string, dst *event.Fields, put bool, vals *Values, aside string, pick []int16, out []any) (bool, string) {
	var loc []int
	if p.split != nil {
		var buf [64]int
		if n := 2 * (p.split.ncap + 1); n <= len(buf) {
			loc = buf[:n]
		} else {
			loc = make([]int, n)
		}
		if !p.split.match(text, loc) {
			return false, ""
		}
	} else if loc = p.re.FindStringSubmatchIndex(text); loc == nil {
		return false, ""
	}
	vals.reserve(p.strSlots, p.intSlots)
	n := 0
	var asideText string
	for i := range p.fields {
		s := &p.fields[i]
		// The slot's text, inline for the common slot of one group.
		var t string
		if s.one > 0 {
			a, b := loc[2*s.one], loc[2*s.one+1]
			if a < 0 || b <= a {
				continue
			}
			t = text[a:b]
		} else if x, ok := s.text(text, loc); ok {
			t = x
		} else {
			continue
		}
		k := int16(noPick)
		if pick != nil {
			k = pick[i]
		} else if len(aside) == len(s.field) && s.field == aside {
			k = asidePick
		}
		var v any
		if s.typ == String {
			if k == asidePick {
				asideText = t
				n++
				continue
			}
			v = vals.String(t)
		} else {
			var ok bool
			if v, ok = convert(t, s.typ, vals); !ok {
				continue
			}
			if k == asidePick {
				n++ // typed: converted, counted, dropped
				continue
			}
		}
		if put {
			dst.Put(s.field, v)
		} else {
			dst.Add(s.field, v)
		}
		if k >= 0 {
			out[k] = v
		}
		n++
	}
	return n > 0, asideText
}

// text returns the text of the last non-empty group that filled the slot.
func (s *slot) text(text string, loc []int) (string, bool) {
	a, b := -1, -1
	for _, gi := range s.groups {
		if x, y := loc[2*gi], loc[2*gi+1]; x >= 0 && y > x {
			a, b = x, y
		}
	}
	if a < 0 {
		return "", false
	}
	return text[a:b], true
}

// convert converts a captured text to typ. A value that is not a number is
// left out rather than stored as text: Elasticsearch would reject the whole
// document for a string in a numeric field. An integer written as a decimal
// ("1.5" for :int) is truncated, as Logstash does.
func convert(s string, typ Type, vals *Values) (any, bool) {
	switch typ {
	case Int:
		if n, ok := Digits(s); ok {
			return vals.Int(n), true
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return vals.Int(n), true
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
			return nil, false
		}
		return vals.Int(int64(f)), true
	case Float:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		return f, true
	}
	return vals.String(s), true
}

// Digits returns the value of s when s is 1 to 18 ASCII digits: the fast
// path for short unsigned decimals (grok's int conversion, squid's epoch).
func Digits(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int64(c)
	}
	return n, true
}

// Fields returns the fields the pattern can produce, in group order.
func (p *Pattern) Fields() []Field {
	out := make([]Field, len(p.fields))
	for i, s := range p.fields {
		out[i] = Field{Name: s.field, Type: s.typ}
	}
	return out
}

// Anchored reports whether the pattern is anchored at the start of the text
// (^…), which Go's regexp matches much faster.
func (p *Pattern) Anchored() bool { return p.anchored }
