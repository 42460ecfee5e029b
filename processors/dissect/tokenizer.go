package dissect

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors of the tokenizer, with Beats' texts.
var (
	errParsingFailure   = errors.New("parsing failure")
	errInvalidTokenizer = errors.New("invalid dissect tokenizer")
	errEmpty            = errors.New("empty string provided")
	errMixedPrefix      = errors.New("mixed prefix `&+`")
	errMissingDatatype  = errors.New("dissect: missing data type for field")
	errInvalidDatatype  = errors.New("dissect: invalid data type for field")
)

type fieldKind uint8

const (
	kindNormal    fieldKind = iota // %{key}
	kindSkip                       // %{}
	kindNamedSkip                  // %{?key}
	kindPointer                    // %{*key}
	kindAppend                     // %{+key}, %{+key/2}
	kindIndirect                   // %{&key}
)

// saveable reports whether the field's value ends up in the result (Beats'
// IsSaveable): skip, named skip and pointer fields are only references.
func (k fieldKind) saveable() bool {
	return k == kindNormal || k == kindAppend || k == kindIndirect
}

type dataType uint8

const (
	typeNone dataType = iota
	typeInteger
	typeLong
	typeFloat
	typeDouble
	typeString
	typeBoolean
	typeIP
)

var dataTypeNames = map[string]dataType{
	"integer": typeInteger,
	"long":    typeLong,
	"float":   typeFloat,
	"double":  typeDouble,
	"string":  typeString,
	"boolean": typeBoolean,
	"ip":      typeIP,
}

type field struct {
	id       int // position in the pattern
	kind     fieldKind
	key      string
	ordinal  int
	length   int // fixed length (#n), 0 if none
	greedy   bool
	dataType dataType
	join     string // append: the delimiter before the key, or " "
}

func (f *field) String() string {
	dt := ""
	for n, t := range dataTypeNames {
		if t == f.dataType {
			dt = n
		}
	}
	return fmt.Sprintf("field: %s, ordinal: %d, greedy: %v, dataType: %s", f.key, f.ordinal, f.greedy, dt)
}

// Dissector is a compiled dissect pattern (Logstash's and Beats' syntax): a
// hand-written tokenizer, no regular expression at run time. It is safe for
// concurrent use.
type Dissector struct {
	raw    string
	delims []string // delims[i] precedes the field with id i; one more when the pattern ends with text
	byID   []*field // pattern order
	fields []field  // sorted by ordinal (stable): the order values are applied in
	refs   []string // keys of the reference fields, removed from the result
	// convert is set when a field has a |type: Beats then resolves through
	// its converting path (values typed, no trim_values trimming).
	convert bool
	// simple: only %{key} and %{} fields with distinct keys, so that every
	// value goes straight to its key without the map emulation.
	simple  bool
	trimmer *trimmer
}

// Compile parses a dissect pattern.
func Compile(pattern string) (*Dissector, error) {
	d := &Dissector{raw: pattern}
	var raws []string
	pos := 0
	// Beats splits with (?s)(.*?)%\{([^}]*?)}: the text up to the next "%{"
	// that has a "}" after it is a delimiter, the text inside is a key.
	for {
		i := strings.Index(pattern[pos:], "%{")
		if i < 0 {
			break
		}
		i += pos
		j := strings.IndexByte(pattern[i+2:], '}')
		if j < 0 {
			break
		}
		j += i + 2
		d.delims = append(d.delims, pattern[pos:i])
		raws = append(raws, pattern[i+2:j])
		pos = j + 1
	}
	if len(raws) == 0 {
		return nil, errInvalidTokenizer
	}
	if pos < len(pattern) {
		d.delims = append(d.delims, pattern[pos:])
	}
	d.fields = make([]field, len(raws))
	for id, raw := range raws {
		f, err := newField(id, raw, d.delims[id])
		if err != nil {
			return nil, err
		}
		d.fields[id] = f
	}
	// Appended values join in ordinal order; others keep pattern order.
	sort.SliceStable(d.fields, func(i, j int) bool { return d.fields[i].ordinal < d.fields[j].ordinal })
	d.byID = make([]*field, len(d.fields))
	d.simple = true
	seen := map[string]bool{}
	for i := range d.fields {
		f := &d.fields[i]
		d.byID[f.id] = f
		if !f.kind.saveable() {
			d.refs = append(d.refs, f.key)
		}
		if f.dataType != typeNone {
			d.convert = true
		}
		switch f.kind {
		case kindSkip:
		case kindNormal:
			if seen[f.key] {
				d.simple = false
			}
			seen[f.key] = true
		default:
			d.simple = false
		}
	}
	// Every indirect field needs a reference field of the same key.
	for _, f := range d.fields {
		if f.kind != kindIndirect {
			continue
		}
		found := false
		for _, r := range d.fields {
			if !r.kind.saveable() && r.key == f.key {
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("missing reference for key '%s'", f.key)
		}
	}
	return d, nil
}

// Raw returns the pattern.
func (d *Dissector) Raw() string { return d.raw }

func newField(id int, raw, previous string) (field, error) {
	if raw == "" {
		return field{id: id, kind: kindSkip}, nil
	}
	key, typ, ordinal, length, greedy, err := keyParts(raw)
	if err != nil {
		return field{}, err
	}
	if strings.HasSuffix(raw, "|") {
		return field{}, errMissingDatatype
	}
	dt := typeNone
	if typ != "" {
		var ok bool
		if dt, ok = dataTypeNames[typ]; !ok {
			return field{}, errInvalidDatatype
		}
	}
	f := field{id: id, key: key, length: length}
	switch {
	case strings.HasPrefix(key, "+&"), strings.HasPrefix(key, "&+"):
		return field{}, errMixedPrefix
	case strings.HasPrefix(key, "?"):
		f.kind, f.key = kindNamedSkip, key[1:]
	case strings.HasPrefix(key, "*"):
		f.kind, f.key = kindPointer, key[1:]
	case strings.HasPrefix(key, "+"):
		f.kind, f.key, f.ordinal, f.greedy = kindAppend, key[1:], ordinal, greedy
		f.join = previous
		if f.join == "" {
			f.join = " "
		}
	case strings.HasPrefix(key, "&"):
		f.kind, f.key, f.dataType = kindIndirect, key[1:], dt
	default:
		f.kind, f.ordinal, f.greedy, f.dataType = kindNormal, ordinal, greedy, dt
	}
	return f, nil
}

// keyParts splits a raw key as Beats' (.+?)(/(\d{1,2}))?(#(\d{1,2}))?(->)?(\|(\w+))?$
// does: the shortest key (no newline) whose rest is the optional suffixes
// /ordinal, #length, -> and |type, in this order.
func keyParts(raw string) (key, typ string, ordinal, length int, greedy bool, err error) {
	start := strings.LastIndexByte(raw, '\n') + 1
	if start == len(raw) {
		return "", "", 0, 0, false, fmt.Errorf("invalid key %q", raw)
	}
	for k := start + 1; k <= len(raw); k++ {
		if o, l, g, t, ok := suffix(raw[k:]); ok {
			return raw[start:k], t, o, l, g, nil
		}
	}
	panic("unreachable: the empty suffix always matches")
}

func suffix(s string) (ordinal, length int, greedy bool, typ string, ok bool) {
	digits := func(s string) (int, string, bool) {
		n := 0
		for n < len(s) && n < 2 && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 0 {
			return 0, s, false
		}
		v, _ := strconv.Atoi(s[:n])
		return v, s[n:], true
	}
	if strings.HasPrefix(s, "/") {
		if ordinal, s, ok = digits(s[1:]); !ok {
			return 0, 0, false, "", false
		}
	}
	if strings.HasPrefix(s, "#") {
		if length, s, ok = digits(s[1:]); !ok {
			return 0, 0, false, "", false
		}
	}
	if strings.HasPrefix(s, "->") {
		greedy, s = true, s[2:]
	}
	if strings.HasPrefix(s, "|") {
		t := s[1:]
		if t == "" {
			return 0, 0, false, "", false
		}
		for i := 0; i < len(t); i++ {
			c := t[i]
			if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return 0, 0, false, "", false
			}
		}
		return ordinal, length, greedy, t, true
	}
	return ordinal, length, greedy, "", s == ""
}

type span struct{ start, end int }

// maxStack is the number of fields whose positions live on the stack.
const maxStack = 32

// extract finds the value of every field, in pattern order (Beats'
// Dissector.extract, with its error texts).
func (d *Dissector) extract(s string, pos []span) error {
	if len(s) == 0 {
		return errEmpty
	}
	if !strings.HasPrefix(s, d.delims[0]) {
		return fmt.Errorf("could not find beginning delimiter: `%s` in remaining: `%s`, (offset: %d)", d.delims[0], s, 0)
	}
	offset := len(d.delims[0])
	i := 0
	for ; i+1 < len(d.delims); i++ {
		start := offset
		f := d.byID[i]
		next := d.delims[i+1]
		var end int
		if f.length > 0 {
			end = offset + f.length
			if end > len(s) {
				return fmt.Errorf("field length is grater than string length: remaining: `%s`, (offset: %d), field: %s", s[offset:], offset, f)
			}
		} else {
			j := strings.Index(s[offset:], next)
			if j < 0 {
				return fmt.Errorf("could not find delimiter: `%s` in remaining: `%s`, (offset: %d)", d.delims[i], s[offset:], offset)
			}
			end = offset + j
		}
		offset = end
		// Right padding (->): the delimiter repeats; skip its repetitions.
		// (Beats loops forever on an empty next delimiter; we do not.)
		if f.greedy && next != "" {
			for offset+1 <= len(s) && strings.HasPrefix(s[offset+1:], next) {
				offset++
			}
		}
		pos[i] = span{start, end}
		offset += len(next)
		if offset > len(s) {
			// Only after a fixed-length field, whose delimiter is skipped
			// unchecked as in Beats.
			return fmt.Errorf("could not find delimiter: `%s` in remaining: ``, (offset: %d)", next, len(s))
		}
	}
	if i < len(d.byID) {
		f := d.byID[i]
		if f.length > 0 && offset+f.length != len(s) {
			return fmt.Errorf("last fixed length key `%s` (length: %d) does not fit into remaining: `%s`, (offset: %d)", f, f.length, s, offset)
		}
		if offset < len(s) {
			pos[i] = span{offset, len(s)}
		} else {
			pos[i] = span{}
		}
	}
	return nil
}

// pair is one extracted key and value.
type pair struct {
	key string
	str string // the value, unless val is set
	val any    // the converted value of a |type field
}

// value returns the pair's value for the event.
func (p *pair) value() any {
	if p.val != nil {
		return p.val
	}
	return p.str
}

// appendPairs dissects s and appends the resulting keys and values to dst,
// in the order fields first set them (Beats returns a map; the document is
// the same).
func (d *Dissector) appendPairs(dst []pair, s string) ([]pair, error) {
	var stack [maxStack]span
	pos := stack[:0]
	if len(d.byID) <= maxStack {
		pos = stack[:len(d.byID)]
	} else {
		pos = make([]span, len(d.byID))
	}
	if err := d.extract(s, pos); err != nil {
		return dst, err
	}
	if d.trimmer != nil && !d.convert {
		for i := range pos {
			pos[i].start, pos[i].end = d.trimmer.trim(s, pos[i].start, pos[i].end)
		}
	}
	if d.simple {
		for i := range d.fields {
			f := &d.fields[i]
			if f.kind == kindNormal {
				v := s[pos[f.id].start:pos[f.id].end]
				if f.dataType != typeNone {
					dst = append(dst, pair{key: f.key, val: convertData(f.dataType, v)})
				} else {
					dst = append(dst, pair{key: f.key, str: v})
				}
			}
		}
		return dst, nil
	}
	if d.convert {
		return d.resolveConvert(dst, s, pos), nil
	}
	return d.resolve(dst, s, pos), nil
}

// strMap is a tiny insertion-ordered map: patterns have few keys.
type strMap []struct{ k, v string }

func (m strMap) get(k string) (string, bool) {
	for i := range m {
		if m[i].k == k {
			return m[i].v, true
		}
	}
	return "", false
}

func (m *strMap) set(k, v string) {
	for i := range *m {
		if (*m)[i].k == k {
			(*m)[i].v = v
			return
		}
	}
	*m = append(*m, struct{ k, v string }{k, v})
}

func (m *strMap) del(k string) {
	for i := range *m {
		if (*m)[i].k == k {
			*m = append((*m)[:i], (*m)[i+1:]...)
			return
		}
	}
}

// apply is Beats' field.Apply on the string map.
func (f *field) apply(v string, m *strMap) {
	switch f.kind {
	case kindNormal, kindNamedSkip, kindPointer:
		m.set(f.key, v)
	case kindIndirect:
		if r, ok := m.get(f.key); ok {
			m.set(r, v)
		}
	case kindAppend:
		if old, ok := m.get(f.key); ok {
			m.set(f.key, old+f.join+v)
		} else {
			m.set(f.key, v)
		}
	}
}

func (d *Dissector) resolve(dst []pair, s string, pos []span) []pair {
	m := make(strMap, 0, len(d.fields))
	for i := range d.fields {
		f := &d.fields[i]
		f.apply(s[pos[f.id].start:pos[f.id].end], &m)
	}
	for _, k := range d.refs {
		m.del(k)
	}
	for _, e := range m {
		dst = append(dst, pair{key: e.k, str: e.v})
	}
	return dst
}

// resolveConvert is Beats' resolveConvert, quirks included: a saveable
// field whose key names a reference field is stored under the reference's
// value.
func (d *Dissector) resolveConvert(dst []pair, s string, pos []span) []pair {
	m := make(strMap, 0, len(d.fields))
	var lookup strMap
	base := len(dst)
	for i := range d.fields {
		f := &d.fields[i]
		v := s[pos[f.id].start:pos[f.id].end]
		f.apply(v, &m)
		if !f.kind.saveable() {
			lookup.set(f.key, v)
			continue
		}
		key := f.key
		if k, ok := lookup.get(f.key); ok {
			key = k
		}
		val, _ := m.get(key)
		out := pair{key: key, str: val}
		if f.dataType != typeNone {
			out.val = convertData(f.dataType, val)
		}
		set := false
		for j := base; j < len(dst); j++ {
			if dst[j].key == key {
				dst[j], set = out, true
				break
			}
		}
		if !set {
			dst = append(dst, out)
		}
	}
	for _, k := range d.refs {
		for j := base; j < len(dst); j++ {
			if dst[j].key == k {
				dst = append(dst[:j], dst[j+1:]...)
				break
			}
		}
	}
	return dst
}

// convertData converts v to typ as Beats does; a value that does not
// convert stays the original string.
func convertData(typ dataType, v string) any {
	t := strings.TrimRight(v, " ")
	switch typ {
	case typeString:
		return t
	case typeLong:
		if n, err := strToInt(t, 64); err == nil {
			return n
		}
	case typeInteger:
		if n, err := strToInt(t, 32); err == nil {
			return int32(n)
		}
	case typeFloat:
		if f, err := strconv.ParseFloat(t, 32); err == nil {
			return float32(f)
		}
	case typeDouble:
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			return f
		}
	case typeBoolean:
		if b, err := strconv.ParseBool(t); err == nil {
			return b
		}
	case typeIP:
		if net.ParseIP(t) != nil {
			return t
		}
	}
	return v
}

// strToInt reads base 10, or base 16 with a 0x prefix.
func strToInt(s string, bits int) (int64, error) {
	base := 10
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		base = 0
	}
	return strconv.ParseInt(s, base, bits)
}

// trimmer removes trim_chars from the left and/or right of values.
type trimmer struct {
	ascii       [128]bool
	chars       string // when some are not ASCII
	left, right bool
}

func newTrimmer(chars string, left, right bool) *trimmer {
	t := &trimmer{left: left, right: right}
	for i := 0; i < len(chars); i++ {
		if chars[i] >= utf8.RuneSelf {
			t.chars = chars
			return t
		}
		t.ascii[chars[i]] = true
	}
	return t
}

func (t *trimmer) trim(s string, start, end int) (int, int) {
	if t.chars != "" {
		keep := func(r rune) bool { return !strings.ContainsRune(t.chars, r) }
		if t.left {
			p := strings.IndexFunc(s[start:end], keep)
			if p < 0 {
				return end, end
			}
			start += p
		}
		if t.right {
			p := strings.LastIndexFunc(s[start:end], keep)
			if p < 0 {
				return start, start
			}
			_, w := utf8.DecodeRuneInString(s[start+p:])
			end = start + p + w
		}
		return start, end
	}
	if t.left {
		for start < end && s[start] < utf8.RuneSelf && t.ascii[s[start]] {
			start++
		}
	}
	if t.right {
		for start < end && s[end-1] < utf8.RuneSelf && t.ascii[s[end-1]] {
			end--
		}
	}
	return start, end
}
