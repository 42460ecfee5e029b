package elasticsearch

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/shipper-project/shipper/shipper/event"
)

// indexSel renders an index name such as "shipper-%{[event.dataset]}" or
// "shipper-%{+yyyy.MM.dd}" for an event.
type indexSel []indexPart

type indexPart struct {
	lit   string
	field string     // %{[a.b]} or %{[a][b]}
	date  dateFormat // %{+yyyy.MM.dd}
	// %{[a.b]:default}: written when the field is missing, empty or not
	// text (Beats' format strings); without one (required) such an event
	// has no index.
	def      string
	required bool
	expr     string // as configured, for the dead-letter reason
}

func parseIndex(s string) (indexSel, error) {
	var out indexSel
	for s != "" {
		// Literals are lower-cased once here, as Beats lower-cases the
		// whole name (outil.SelectorLowerCase), so render need not.
		i := strings.Index(s, "%{")
		if i < 0 {
			out = append(out, indexPart{lit: strings.ToLower(s)})
			break
		}
		if i > 0 {
			out = append(out, indexPart{lit: strings.ToLower(s[:i])})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed %%{ in %q", s)
		}
		expr := s[i+2 : i+j]
		s = s[i+j+1:]
		if strings.HasPrefix(expr, "+") {
			d, err := parseDate(expr[1:])
			if err != nil {
				return nil, err
			}
			if len(d) > 0 { // %{+} writes nothing, as in Beats
				out = append(out, indexPart{date: d})
			}
			continue
		}
		if strings.HasPrefix(expr, "[") {
			p, ok := parseFieldExpr(expr)
			if !ok {
				return nil, fmt.Errorf("unsupported %%{%s}: use %%{[field]}, %%{[field]:default} or %%{+yyyy.MM.dd}", expr)
			}
			if p.field == "" {
				return nil, fmt.Errorf("empty field reference in %q", s)
			}
			out = append(out, p)
			continue
		}
		return nil, fmt.Errorf("unsupported %%{%s}: use %%{[field]}, %%{[field]:default} or %%{+yyyy.MM.dd}", expr)
	}
	// As Beats' format strings: a field written once without a default
	// is required everywhere it is written.
	for i := range out {
		for j := range out {
			if out[j].field == out[i].field && out[j].required {
				out[i].required = true
			}
		}
	}
	return out, nil
}

// parseFieldExpr parses "[a][b.c]" or "[a.b]:default" (Beats' fmtstr):
// the path is the bracketed names joined by dots.
func parseFieldExpr(expr string) (indexPart, bool) {
	p := indexPart{expr: "%{" + expr + "}", required: true}
	var names []string
	rest := expr
	for strings.HasPrefix(rest, "[") {
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return p, false
		}
		names = append(names, rest[1:j])
		rest = rest[j+1:]
	}
	switch {
	case rest == "":
	case rest[0] == ':':
		p.def, p.required = rest[1:], false
	default:
		return p, false
	}
	for _, n := range names {
		if n == "" {
			return p, true // p.field empty: the caller says so
		}
	}
	p.field = strings.Join(names, ".")
	return p, true
}

// render appends the index of e, as Beats' format strings write it:
// field values lower-cased (as Beats does: Elasticsearch index names are
// lower-case), an empty or missing value of %{[field]:default} as the
// default. When a required %{[field]} has no value that can be written
// (missing, an object, a list), Beats gives the event no index and
// Elasticsearch refuses it: render returns why, and the event goes to the
// dead-letter file, never to another index. The result is not checked
// here: see checkIndexName.
func (s indexSel) render(dst []byte, e *event.Event) ([]byte, string) {
	for _, p := range s {
		switch {
		case p.field != "":
			v, ok := e.Fields.Get(p.field)
			text, isText := fieldText(v)
			switch {
			case !ok && p.required:
				return dst, fmt.Sprintf("no index (not sent): the event has no %s for %s", p.field, p.expr)
			case ok && !isText && p.required:
				return dst, fmt.Sprintf("no index (not sent): %s is %s, not text, for %s", p.field, kindOf(v), p.expr)
			case text == "" && !p.required:
				text = p.def
			}
			dst = appendLower(dst, text)
		case p.date != nil:
			dst = p.date.append(dst, e.Timestamp)
		default:
			dst = append(dst, p.lit...)
		}
	}
	return dst, ""
}

// fieldText is a field value as text, as Beats' format strings convert it
// (fmtstr tryConvString): a string as it is, numbers and booleans
// formatted (floats as 'g'), a time as Beats writes one, anything with a
// String method through it; an object, a list or nil is not text.
func fieldText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z"), true
	case fmt.Stringer:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case int8:
		return strconv.FormatInt(int64(x), 10), true
	case int16:
		return strconv.FormatInt(int64(x), 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint:
		return strconv.FormatUint(uint64(x), 10), true
	case uint8:
		return strconv.FormatUint(uint64(x), 10), true
	case uint16:
		return strconv.FormatUint(uint64(x), 10), true
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	}
	return "", false
}

// kindOf names a value that is not text, for a dead-letter reason.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any, []string:
		return "a list"
	}
	return fmt.Sprintf("a %T", v)
}

// appendLower appends v lower-cased: ASCII in place, anything else through
// strings.ToLower (rare: only when a byte is not ASCII).
func appendLower(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= utf8.RuneSelf {
			return append(dst, strings.ToLower(v)...)
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// validate checks the literal parts of the configured index at start-up, so
// that a typo in `index` is a configuration error rather than every event
// in the dead-letter file.
func (s indexSel) validate() error {
	for k, p := range s {
		if p.lit == "" {
			continue
		}
		for i := 0; i < len(p.lit); i++ {
			// Upper case is not checked: parseIndex lower-cased it.
			if c := p.lit[i]; indexByte[c]&badByte != 0 {
				return fmt.Errorf("%q: index names must not contain %q", p.lit, c)
			}
		}
		if k == 0 && strings.IndexByte("-_+", p.lit[0]) >= 0 {
			return fmt.Errorf("%q: index names must not start with %q", p.lit, p.lit[0])
		}
	}
	return nil
}

// Bytes of an index name, by class (Elasticsearch's
// MetadataCreateIndexService.validateIndexOrAliasName).
const (
	badByte   = 1 << iota // \ / * ? " < > | space , # :  and control characters
	upperByte             // A-Z
	highByte              // not ASCII: checked as UTF-8
)

var indexByte = func() (t [256]uint8) {
	for _, c := range []byte(`\/*?"<>| ,#:`) {
		t[c] = badByte
	}
	// Elasticsearch does not forbid control characters, but no index
	// name means one, and refusing them means a valid name needs no JSON
	// escaping at all.
	for c := 0; c < 0x20; c++ {
		t[c] = badByte
	}
	t[0x7f] = badByte
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = upperByte
	}
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = highByte
	}
	return t
}()

// maxIndexName is Elasticsearch's limit, in bytes.
const maxIndexName = 255

// checkIndexName returns why name is not a valid Elasticsearch index name,
// or "" when it is. A valid name holds no '"', '\', control character or
// invalid UTF-8, so it goes into the action line's JSON string as it is:
// validating is what keeps a field value from adding its own bulk action
// (issue 14 item 2). The rules are Elasticsearch's: lower-case, none of
// \ / * ? " < > | space , # :, not "." or "..", at most 255 bytes, not
// starting with -, _ or +.
func checkIndexName(name []byte) string {
	switch {
	case len(name) == 0:
		return "empty index name"
	case len(name) > maxIndexName:
		return "index name longer than 255 bytes (" + strconv.Itoa(len(name)) + ")"
	case name[0] == '-' || name[0] == '_' || name[0] == '+':
		return "index name must not start with '-', '_' or '+'"
	case string(name) == "." || string(name) == "..":
		return `index name must not be "." or ".."`
	}
	var seen uint8
	for _, c := range name {
		if k := indexByte[c]; k != 0 {
			seen |= k
			if k == badByte {
				return "index name must not contain " + strconv.QuoteRune(rune(c))
			}
		}
	}
	if seen&highByte != 0 && !utf8.Valid(name) {
		return "index name is not valid UTF-8"
	}
	if seen&upperByte != 0 {
		return notLowerCase
	}
	if seen&highByte != 0 {
		if s := string(name); strings.ToLower(s) != s {
			return notLowerCase
		}
	}
	return ""
}

// notLowerCase is checkIndexName's answer for a valid UTF-8 name that is
// not lower-case: the one fault lowerIndexName mends.
const notLowerCase = "index name must be lower-case"

// lowerIndexName lower-cases name[at:] (valid UTF-8, see notLowerCase), as
// Beats lower-cases an event's own index (idxmgmt getEventCustomIndex:
// strings.ToLower of @metadata.raw_index, which an input's index sets, and
// of @metadata.index). Only names that are not lower-case come here.
func lowerIndexName(buf []byte, at int) []byte {
	return append(buf[:at], strings.ToLower(string(buf[at:]))...)
}

// InputIndex is an input's `index` option, read as Filebeat reads it
// (filebeat/channel/runner.go: the add_formatted_index processor over
// fmtstr.TimestampFormatString, into @metadata.raw_index): a format string
// like the output's index that sees only the agent's static fields
// (agent.*, beat.*, observer.* name and version: the program's name and
// version, "filebeat" there) and the event's time, never the event's
// fields ("squid-%{[agent.version]}-%{+yyyy.MM.dd}"). The static fields are
// written in once, at start-up, so what is left to render per event is
// the date.
type InputIndex struct {
	sel   indexSel
	fixed string // the name, when sel has no date
	// cache holds the last name rendered and the second it is for: most
	// events in a row share it (unless perSecond is false).
	cache     atomic.Pointer[renderedIndex]
	perSecond bool
}

type renderedIndex struct {
	sec  int64
	name string
}

// NewInputIndex parses format over the static fields (agent.name and the
// like, dotted) and checks what it can of the name at start-up. A
// %{[field]} without a default that is not among them is an error: in
// Filebeat it fails the format string for every event of the input, each
// then dropped with an error log (add_formatted_index returns the error,
// and the pipeline client does not publish an event its processors
// failed), so that input ships nothing; here the configuration is refused
// instead, naming the fields an input's index can use.
func NewInputIndex(format string, static map[string]string) (*InputIndex, error) {
	sel, err := parseIndex(format)
	if err != nil {
		return nil, err
	}
	var out indexSel
	for _, p := range sel {
		if p.field == "" {
			out = append(out, p)
			continue
		}
		v, ok := static[p.field]
		switch {
		case !ok && p.required:
			names := make([]string, 0, len(static))
			for k := range static {
				names = append(names, "%{["+k+"]}")
			}
			sort.Strings(names)
			return nil, fmt.Errorf("%s: an input's index sees only %s and the event's time (%%{+yyyy.MM.dd}), as in Filebeat; use output.elasticsearch.index for the event's fields", p.expr, strings.Join(names, ", "))
		case v == "" && !p.required:
			v = p.def
		}
		out = append(out, indexPart{lit: strings.ToLower(v)})
	}
	// Merge literals, so that a name without a date is one string.
	var merged indexSel
	for _, p := range out {
		if n := len(merged); n > 0 && p.date == nil && merged[n-1].date == nil {
			merged[n-1].lit += p.lit
			continue
		}
		merged = append(merged, p)
	}
	if err := merged.validate(); err != nil {
		return nil, err
	}
	x := &InputIndex{sel: merged, perSecond: true}
	if len(merged) == 1 && merged[0].date == nil {
		x.fixed = merged[0].lit
		if why := checkIndexName([]byte(x.fixed)); why != "" {
			return nil, fmt.Errorf("%q: %s", x.fixed, why)
		}
	}
	for _, p := range merged {
		// A pattern with fractions of a second is rendered for every
		// event.
		if p.date.subSecond() {
			x.perSecond = false
		}
	}
	return x, nil
}

// Fixed returns the name when it has no date (every event the same).
func (x *InputIndex) Fixed() (string, bool) { return x.fixed, x.fixed != "" }

// Render returns the index of an event stamped t. It is safe for
// concurrent use.
func (x *InputIndex) Render(t time.Time) string {
	if x.fixed != "" {
		return x.fixed
	}
	sec := t.Unix()
	if c := x.cache.Load(); c != nil && c.sec == sec && x.perSecond {
		return c.name
	}
	var buf [64]byte
	b := buf[:0]
	for _, p := range x.sel {
		if p.date != nil {
			b = p.date.append(b, t)
		} else {
			b = append(b, p.lit...)
		}
	}
	name := string(b)
	x.cache.Store(&renderedIndex{sec: sec, name: name})
	return name
}
