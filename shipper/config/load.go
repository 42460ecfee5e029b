package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// UnmarshalYAML keeps the node for the plugin to decode later.
func (s *Section) UnmarshalYAML(n *yaml.Node) error {
	s.Node = n
	return nil
}

// Resolver returns the value of ${NAME}; ok is false when it knows no such
// name. The keystore's resolver (shipper/keystore) looks in the keystore
// first, then in the environment.
type Resolver func(name string) (value string, ok bool)

// Option changes how a configuration is loaded.
type Option func(*loadOptions)

type loadOptions struct {
	resolve Resolver
}

// WithResolver makes ${NAME} resolve through r instead of the environment
// alone. Passed explicitly by the caller (the CLI builds it from the
// keystore), so loading never depends on hidden global state.
func WithResolver(r Resolver) Option {
	return func(o *loadOptions) { o.resolve = r }
}

// Parse reads YAML text (from file, for messages), expands ${VAR} in scalar
// values, applies overrides ("key=value", as `-E` gives them) and expands dotted
// keys. It returns the root mapping node.
func Parse(data []byte, file string, overrides []string, opts ...Option) (*yaml.Node, error) {
	var lo loadOptions
	for _, o := range opts {
		o(&lo)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
		} else {
			line, msg := syntaxErrorLine(data, err)
			return nil, &Error{File: file, Line: line, Msg: "invalid YAML: " + msg}
		}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Msg: "the top level must be a mapping of keys"}
	}
	var errs []error
	expandEnv(root, file, "", lo.resolve, &errs)
	for i, o := range overrides {
		k, v, ok := strings.Cut(o, "=")
		if !ok || k == "" {
			errs = append(errs, &Error{File: "-E " + o, Msg: "want -E key=value"})
			continue
		}
		var val yaml.Node
		if err := yaml.Unmarshal([]byte(v), &val); err != nil || len(val.Content) == 0 {
			val = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}}}
		}
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}
		markOverride(key, i)
		markOverride(val.Content[0], i)
		root.Content = append(root.Content, key, val.Content[0])
	}
	if err := expandDotted(root, file, ""); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return root, nil
}

// Nodes that came from the i-th -E get line -(i+1): they win over the
// file's keys (setKey), and an error about them is blamed on that -E, not
// on the file (BlameOverrides; issue 19).
func markOverride(n *yaml.Node, i int) {
	n.Line, n.Column = -(i + 1), 0
	for _, c := range n.Content {
		markOverride(c, i)
	}
}

// BlameOverrides rewrites the errors located on a -E node (negative line) to
// name that -E key=value instead of the file. overrides are the -E values
// in the order given to Parse.
func BlameOverrides(err error, overrides []string) error {
	for _, e := range unjoin(err) {
		var ce *Error
		if !errors.As(e, &ce) || ce.Line >= 0 {
			continue
		}
		if i := -ce.Line - 1; i < len(overrides) {
			ce.File, ce.Line = "-E "+overrides[i], 0
		}
	}
	return err
}

// syntaxErrorLine finds the line of a YAML syntax error. yaml.v3 reports the
// line where the enclosing block starts (a bad indent on line 4 of a list
// that starts on line 1 says "line 1"); the problem is on the first line
// whose prefix of the document fails with the same message.
func syntaxErrorLine(data []byte, err error) (int, string) {
	line, msg := splitYAMLError(err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	end := 0
	for l := 1; l <= len(lines); l++ {
		end += len(lines[l-1])
		var n yaml.Node
		perr := yaml.Unmarshal(data[:end], &n)
		if perr == nil {
			continue
		}
		if _, m := splitYAMLError(perr); m == msg {
			if l > line {
				return l, msg
			}
			break
		}
	}
	return line, msg
}

// splitYAMLError splits "yaml: line N: msg" into N and msg.
func splitYAMLError(err error) (int, string) {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	rest, ok := strings.CutPrefix(s, "line ")
	if !ok {
		return 0, s
	}
	num, msg, ok := strings.Cut(rest, ": ")
	if !ok {
		return 0, s
	}
	n, cerr := strconv.Atoi(num)
	if cerr != nil {
		return 0, s
	}
	return n, msg
}

var envRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_.]*)(?::([^}]*))?\}`)

// expandEnv replaces ${VAR} and ${VAR:default} in every scalar value. An unset
// variable without a default is an error naming the key; the value itself
// is never printed (it may be a secret).
func expandEnv(n *yaml.Node, file, path string, resolve Resolver, errs *[]error) {
	lookup, what := resolve, "keystore or environment variable"
	if lookup == nil {
		lookup, what = os.LookupEnv, "environment variable"
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		whole := envRe.FindStringSubmatchIndex(n.Value)
		n.Value = envRe.ReplaceAllStringFunc(n.Value, func(m string) string {
			sub := envRe.FindStringSubmatch(m)
			if v, ok := lookup(sub[1]); ok {
				return v
			}
			if strings.Contains(m, ":") {
				return sub[2]
			}
			*errs = append(*errs, &Error{File: file, Line: n.Line, Path: path,
				Msg: fmt.Sprintf("%s %s is not set (use ${%s:default} for a default)", what, sub[1], sub[1])})
			return ""
		})
		// A value that was only a variable takes the variable's type
		// (a number, a bool); anything longer stays a string.
		if whole != nil && whole[0] == 0 && n.Style == 0 {
			n.Tag = ""
			var probe yaml.Node
			if yaml.Unmarshal([]byte(n.Value), &probe) == nil && len(probe.Content) == 1 && probe.Content[0].Kind == yaml.ScalarNode {
				n.Tag = probe.Content[0].Tag
			} else {
				n.Tag = "!!str"
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expandEnv(n.Content[i+1], file, joinPath(path, n.Content[i].Value), resolve, errs)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			expandEnv(c, file, fmt.Sprintf("%s[%d]", path, i), resolve, errs)
		}
	}
}

// expandDotted rewrites {"a.b": v} into {"a": {"b": v}}, merging with an
// existing "a" mapping. The same key given twice (in any spelling) is an
// error naming both lines, except that -E overrides replace file values.
func expandDotted(n *yaml.Node, file, path string) error {
	switch n.Kind {
	case yaml.SequenceNode:
		var errs []error
		for i, c := range n.Content {
			if err := expandDotted(c, file, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	case yaml.MappingNode:
	default:
		return nil
	}
	old := n.Content
	n.Content = nil
	var errs []error
	for i := 0; i+1 < len(old); i += 2 {
		k, v := old[i], old[i+1]
		parts := strings.Split(k.Value, ".")
		if k.Style != 0 || len(parts) == 1 || contains(parts, "") {
			// quoted keys stay as they are: "a.b" in quotes means one key
			if err := setKey(n, k, v, file, path); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		// build the nested mapping for a.b.c: v
		for j := len(parts) - 1; j >= 1; j-- {
			m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: k.Line, Column: k.Column}
			m.Content = []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: parts[j], Line: k.Line, Column: k.Column}, v}
			v = m
		}
		nk := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: parts[0], Line: k.Line, Column: k.Column}
		if err := setKey(n, nk, v, file, path); err != nil {
			errs = append(errs, err)
		}
	}
	for i := 1; i < len(n.Content); i += 2 {
		if err := expandDotted(n.Content[i], file, joinPath(path, n.Content[i-1].Value)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// setKey adds k: v to mapping n, merging mappings given under the same key.
func setKey(n, k, v *yaml.Node, file, path string) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != k.Value {
			continue
		}
		ek, ev := n.Content[i], n.Content[i+1]
		if ev.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode {
			var errs []error
			for j := 0; j+1 < len(v.Content); j += 2 {
				if err := setKey(ev, v.Content[j], v.Content[j+1], file, joinPath(path, k.Value)); err != nil {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		}
		if k.Line < 0 && ev.Kind == yaml.SequenceNode && v.Kind == yaml.MappingNode && indexKeys(v) {
			// -E list.0.key=value: into the list's item, as go-ucfg does
			return setItems(ev, v, file, joinPath(path, k.Value))
		}
		if k.Line < 0 { // from -E: replaces the file's value
			n.Content[i+1] = v
			return nil
		}
		return &Error{File: file, Line: k.Line, Path: joinPath(path, k.Value),
			Msg: fmt.Sprintf("set twice (also on line %d)", ek.Line)}
	}
	n.Content = append(n.Content, k, v)
	return nil
}

// indexKeys reports whether every key of mapping m is a list index.
func indexKeys(m *yaml.Node) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if _, err := strconv.ParseUint(m.Content[i].Value, 10, 31); err != nil {
			return false
		}
	}
	return len(m.Content) > 0
}

// setItems applies an -E mapping of list indexes to list l: an item's
// mappings merge, anything else replaces the item; the index just past the
// end adds one.
func setItems(l, m *yaml.Node, file, path string) error {
	var errs []error
	for j := 0; j+1 < len(m.Content); j += 2 {
		k, v := m.Content[j], m.Content[j+1]
		i, _ := strconv.Atoi(k.Value)
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case i < len(l.Content) && l.Content[i].Kind == yaml.MappingNode && v.Kind == yaml.MappingNode:
			for c := 0; c+1 < len(v.Content); c += 2 {
				if err := setKey(l.Content[i], v.Content[c], v.Content[c+1], file, p); err != nil {
					errs = append(errs, err)
				}
			}
		case i < len(l.Content):
			l.Content[i] = v
		case i == len(l.Content):
			l.Content = append(l.Content, v)
		default:
			errs = append(errs, &Error{File: file, Line: k.Line, Path: p,
				Msg: fmt.Sprintf("index %d is past the end of the list (%d items; the next one is %d)", i, len(l.Content), len(l.Content))})
		}
	}
	return errors.Join(errs...)
}
