package elasticsearch

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shipper-project/shipper/shipper/event"
)

// indexSel renders an index name such as "shipper-%{[event.dataset]}" or
// "shipper-%{+yyyy.MM.dd}" for an event.
type indexSel []indexPart

type indexPart struct {
	lit   string
	field string // %{[a.b]} or %{[a][b]}
	date  string // Go layout of %{+yyyy.MM.dd}
}

func parseIndex(s string) (indexSel, error) {
	var out indexSel
	for s != "" {
		i := strings.Index(s, "%{")
		if i < 0 {
			out = append(out, indexPart{lit: s})
			break
		}
		if i > 0 {
			out = append(out, indexPart{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed %%{ in %q", s)
		}
		expr := s[i+2 : i+j]
		s = s[i+j+1:]
		if strings.HasPrefix(expr, "+") {
			out = append(out, indexPart{date: jodaToGo(expr[1:])})
			continue
		}
		if strings.HasPrefix(expr, "[") && strings.HasSuffix(expr, "]") {
			f := strings.ReplaceAll(expr[1:len(expr)-1], "][", ".")
			if f == "" {
				return nil, fmt.Errorf("empty field reference in %q", s)
			}
			out = append(out, indexPart{field: f})
			continue
		}
		return nil, fmt.Errorf("unsupported %%{%s}: use %%{[field]} or %%{+yyyy.MM.dd}", expr)
	}
	return out, nil
}

func jodaToGo(f string) string {
	r := strings.NewReplacer("yyyy", "2006", "yy", "06", "MM", "01", "dd", "02", "HH", "15", "mm", "04", "ss", "05")
	return r.Replace(f)
}

// render returns the index of e; a missing field renders as "generic"
// (see fieldText).
// Field values are lower-cased (as Beats does): Elasticsearch index names
// are lower-case. The result is not checked here: see checkIndexName.
func (s indexSel) render(dst []byte, e *event.Event) []byte {
	for _, p := range s {
		switch {
		case p.field != "":
			dst = appendLower(dst, fieldText(e, p.field))
		case p.date != "":
			dst = e.Timestamp.UTC().AppendFormat(dst, p.date)
		default:
			dst = append(dst, p.lit...)
		}
	}
	return dst
}

// fieldText is the text of a field in an index name: a string as it is,
// a number or boolean formatted (as Beats' format strings do), else —
// missing, empty, an object or a list — "generic".
func fieldText(e *event.Event, key string) string {
	v, _ := e.Fields.Get(key)
	switch x := v.(type) {
	case string:
		if x != "" {
			return x
		}
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return "generic"
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
			switch c := p.lit[i]; {
			case c >= 'A' && c <= 'Z':
				return fmt.Errorf("%q: index names must be lower-case", p.lit)
			case indexByte[c]&badByte != 0:
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
	if seen&upperByte != 0 {
		return "index name must be lower-case"
	}
	if seen&highByte != 0 {
		if !utf8.Valid(name) {
			return "index name is not valid UTF-8"
		}
		if s := string(name); strings.ToLower(s) != s {
			return "index name must be lower-case"
		}
	}
	return ""
}
