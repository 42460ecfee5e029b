// Package config loads shipper's YAML configuration: ${VAR} expansion,
// dotted-key expansion ("output.elasticsearch.hosts" and nested mappings are
// the same key), strict decoding (an unknown key is an error naming the file,
// the line and the full key path, with a "did you mean" hint), and plugin
// sections that each plugin decodes over its own defaults.
package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Section is a part of the configuration that a plugin decodes itself. It
// remembers where it came from so that errors name the file, line and key.
type Section struct {
	Node *yaml.Node // a mapping node (nil for an empty section)
	File string
	Path string // full key path, e.g. "shipper.inputs[0]"
}

// Error is one configuration problem, located in a file.
type Error struct {
	File string
	Line int
	Path string // full key path
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line < 0 {
		loc += " (-E)" // BlameOverrides names the -E itself
	}
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Path != "" {
		return loc + ": " + e.Path + ": " + e.Msg
	}
	return loc + ": " + e.Msg
}

// Errorf returns an Error located at the section's key path (or one of its
// keys, when key is not empty).
func (s Section) Errorf(key string, format string, args ...any) error {
	line := 0
	if s.Node != nil {
		line = s.Node.Line
		if key != "" {
			if n := s.Lookup(key); n != nil {
				line = n.Line
			}
		}
	}
	p := s.Path
	if key != "" {
		p = joinPath(p, key)
	}
	return &Error{File: s.File, Line: line, Path: p, Msg: fmt.Sprintf(format, args...)}
}

// Lookup returns the value node of a dotted key inside the section, or nil.
func (s Section) Lookup(key string) *yaml.Node {
	n := s.Node
	for _, part := range strings.Split(key, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// keyErrorf is Errorf located on the key's own line rather than its value's
// (a list or mapping value starts on the line below the key).
func (s Section) keyErrorf(key string, format string, args ...any) error {
	err := s.Errorf(key, format, args...)
	if k := s.lookupKey(key); k != nil {
		err.(*Error).Line = k.Line
	}
	return err
}

// lookupKey returns the key node of a dotted key inside the section, or nil.
func (s Section) lookupKey(key string) *yaml.Node {
	parent, last := lookupParent(s.Node, key)
	if parent == nil {
		return nil
	}
	var k *yaml.Node
	for i := 0; i+1 < len(parent.Content); i += 2 {
		if parent.Content[i].Value == last {
			k = parent.Content[i]
		}
	}
	return k
}

// String returns the value of a scalar key, or "".
func (s Section) String(key string) string {
	if n := s.Lookup(key); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// Sub returns the section under key (possibly empty).
func (s Section) Sub(key string) Section {
	return Section{Node: s.Lookup(key), File: s.File, Path: joinPath(s.Path, key)}
}

// Decode decodes the section strictly into v, which holds the defaults. Keys
// named in skip (e.g. "type", "processors") are handled by the framework and
// ignored here. Every unknown key and every type error is reported, each with
// file, line and key path.
func (s Section) Decode(v any, skip ...string) error {
	if s.Node == nil || s.Node.Kind == 0 {
		return nil
	}
	if s.Node.Tag == "!!null" {
		return nil
	}
	var errs []error
	checkKnown(s.Node, reflect.TypeOf(v), s.File, s.Path, skip, &errs)
	// Decode even past unknown keys (they are ignored here), so that the
	// type errors of the other keys are reported in the same run (issue 19).
	if err := coerce(s.Node, reflect.TypeOf(v)).Decode(v); err != nil {
		errs = append(errs, s.typeError(err))
	}
	if val, ok := v.(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			// Every problem at once: Validate's errors about the other
			// keys too. Those about a key that failed (or a key above or
			// below it) judge a default standing in for it: left out.
			for _, ve := range unjoin(s.validationError(err)) {
				if len(errs) == 0 || !aboutFailedKey(ve, errs) {
					errs = append(errs, ve)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// aboutFailedKey reports whether err's key is, or is above or below, the
// key of one of failed.
func aboutFailedKey(err error, failed []error) bool {
	var ve *Error
	if !errors.As(err, &ve) {
		return true
	}
	for _, f := range failed {
		for _, fe := range unjoin(f) {
			var ce *Error
			if !errors.As(fe, &ce) {
				return true // unlocated: keep only the decode errors
			}
			a, b := ce.Path, ve.Path
			if len(a) > len(b) {
				a, b = b, a
			}
			if a == b || strings.HasPrefix(b, a) && (b[len(a)] == '.' || b[len(a)] == '[') {
				return true
			}
		}
	}
	return false
}

// DecodeLax is Decode without the unknown-key check, for the framework
// reading its own keys (processors, fields, tags…) out of a plugin's
// section: the plugin's Decode reports the keys nobody knows.
func (s Section) DecodeLax(v any) error {
	if s.Node == nil || s.Node.Kind == 0 || s.Node.Tag == "!!null" {
		return nil
	}
	if err := coerce(s.Node, reflect.TypeOf(v)).Decode(v); err != nil {
		return s.typeError(err)
	}
	return nil
}

// typeError rewrites yaml.v3's "line N: cannot unmarshal …" errors into our
// file:line: key form.
func (s Section) typeError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return &Error{File: s.File, Line: s.Node.Line, Path: s.Path, Msg: err.Error()}
	}
	var errs []error
	for _, m := range te.Errors {
		line := 0
		msg := m
		if strings.HasPrefix(m, "line ") {
			if i := strings.IndexByte(m, ':'); i > 0 {
				line, _ = strconv.Atoi(m[5:i])
				msg = strings.TrimSpace(m[i+1:])
			}
		}
		if v, ok := strings.CutPrefix(msg, "cannot unmarshal !!str `"); ok && strings.HasSuffix(v, "` into time.Duration") {
			msg = fmt.Sprintf("invalid duration %q (want seconds as a number, or a duration: 90s, 5m, 1h30m, 250ms)", strings.TrimSuffix(v, "` into time.Duration"))
		}
		path := s.Path
		if rel, rest, ok := relativePath(msg); ok {
			// a plugin's own "parsers[0].multiline.pattern: required"
			path, msg = joinPath(s.Path, rel), rest
		} else if k := keyAtLine(s.Node, line, s.Path, msg); k != "" {
			path = k
		}
		errs = append(errs, &Error{File: s.File, Line: line, Path: path, Msg: msg})
	}
	return errors.Join(errs...)
}

// validationError locates Validate's errors: when a message starts with a
// key ("paths: …") the line of that key is used.
func (s Section) validationError(err error) error {
	var errs []error
	for _, e := range unjoin(err) {
		var ce *Error
		if errors.As(e, &ce) {
			errs = append(errs, ce)
			continue
		}
		msg := e.Error()
		key := ""
		if i := strings.Index(msg, ": "); i > 0 && !strings.ContainsAny(msg[:i], " \t") {
			key, msg = msg[:i], msg[i+2:]
		}
		errs = append(errs, s.Errorf(key, "%s", msg))
	}
	return errors.Join(errs...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

// relativePath splits a message that starts with a key path below the
// section ("parsers[0].multiline.pattern: required for type pattern"), as
// a plugin's own UnmarshalYAML writes it for a key not found at the line.
func relativePath(msg string) (rel, rest string, ok bool) {
	i := strings.Index(msg, ": ")
	if i <= 0 || strings.ContainsAny(msg[:i], " \t\"`'") || !strings.ContainsAny(msg[:i], ".[") {
		return "", msg, false
	}
	return msg[:i], msg[i+2:], true
}

// keyAtLine finds the full path of the key whose value starts at line.
// In a flow mapping ({a: 1, timeout: abc}) several keys share the line:
// the one msg is about wins, found by its name ("unknown key \"timeout\"")
// or its value ("`abc`", "\"abc\"") in msg; else the first.
func keyAtLine(n *yaml.Node, line int, path, msg string) string {
	type cand struct{ path, key, value string }
	var cands []cand
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := joinPath(path, k.Value)
				if v.Kind == yaml.ScalarNode && (v.Line == line || k.Line == line) {
					cands = append(cands, cand{p, k.Value, v.Value})
					continue
				}
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := path + "[" + strconv.Itoa(i) + "]"
				if c.Kind == yaml.ScalarNode && c.Line == line {
					cands = append(cands, cand{p, "", c.Value})
					continue
				}
				walk(c, p)
			}
		}
	}
	walk(n, path)
	if len(cands) == 0 {
		return ""
	}
	if len(cands) > 1 {
		for _, c := range cands {
			if c.key != "" && strings.Contains(msg, strconv.Quote(c.key)) {
				return c.path
			}
		}
		for _, c := range cands {
			if c.value != "" && (strings.Contains(msg, "`"+c.value+"`") || strings.Contains(msg, strconv.Quote(c.value))) {
				return c.path
			}
		}
	}
	return cands[0].path
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// checkKnown walks node against the yaml tags of t and reports every key t
// does not know. yaml.v3's Node.Decode has no KnownFields option, so this is
// done here, with the node's own line numbers.
func checkKnown(n *yaml.Node, t reflect.Type, file, path string, skip []string, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) {
		return // the type decodes itself
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error, reported by Decode
		}
		known := map[string]reflect.Type{}
		collectFields(t, known)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if contains(skip, k.Value) {
				continue
			}
			ft, ok := known[k.Value]
			if !ok {
				msg := fmt.Sprintf("unknown key %q", k.Value)
				if s := suggest(k.Value, keys(known)); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				*errs = append(*errs, &Error{File: file, Line: k.Line, Path: joinPath(path, k.Value), Msg: msg})
				continue
			}
			checkKnown(v, ft, file, joinPath(path, k.Value), nil, errs)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			checkKnown(c, t.Elem(), file, path+"["+strconv.Itoa(i)+"]", nil, errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkKnown(n.Content[i+1], t.Elem(), file, joinPath(path, n.Content[i].Value), nil, errs)
		}
	}
}

func collectFields(t reflect.Type, known map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			collectFields(ft, known)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		known[name] = f.Type
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func keys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest returns the known key closest to k, if it is close enough to be a
// typo.
func suggest(k string, known []string) string {
	best, bestD := "", 1<<30
	for _, c := range known {
		d := levenshtein(k, c)
		if d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= 2 || (bestD <= len(k)/3 && bestD < len(k)) {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
