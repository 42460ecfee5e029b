// Package conditions is the one condition engine of shipper's processors:
// Beats' `when:` and `if:` conditions (libbeat/conditions), with the same
// names, shapes and matching rules — equals, contains, regexp, range,
// network, has_fields, or, and, not. A condition is compiled once, when the
// configuration is loaded; a wrong shape, an unknown operator, a regexp or
// CIDR that does not parse is a configuration error naming file, line and
// key. Checking an event never fails: a missing field or a value of another
// type is "no match", as in Beats.
package conditions

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

// Condition tells whether an event matches.
type Condition interface {
	Check(e *event.Event) bool
	String() string
}

// kinds lists the condition names, in Beats' order.
var kinds = []string{"equals", "contains", "regexp", "range", "has_fields", "network", "or", "and", "not"}

// New compiles the condition in s (the section under `when:` or `if:`).
func New(s config.Section) (Condition, error) {
	return compile(s.File, s.Node, s.Path)
}

func errAt(file string, n *yaml.Node, path, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &config.Error{File: file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func compile(file string, n *yaml.Node, path string) (Condition, error) {
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return nil, errAt(file, n, path, "missing or invalid condition: want a mapping with one of %s", strings.Join(kinds, ", "))
	}
	if len(n.Content) > 2 {
		var names []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			names = append(names, n.Content[i].Value)
		}
		return nil, errAt(file, n.Content[2], join(path, n.Content[2].Value),
			"a condition has exactly one operator, found %d (%s); combine them with and/or", len(names), strings.Join(names, ", "))
	}
	k, v := n.Content[0], n.Content[1]
	p := join(path, k.Value)
	switch k.Value {
	case "equals":
		return newEquals(file, v, p)
	case "contains":
		return newMatcher(file, v, p, "contains")
	case "regexp":
		return newMatcher(file, v, p, "regexp")
	case "range":
		return newRange(file, v, p)
	case "has_fields":
		return newHasFields(file, v, p)
	case "network":
		return newNetwork(file, v, p)
	case "or", "and":
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			return nil, errAt(file, v, p, "want a non-empty list of conditions")
		}
		list := make([]Condition, 0, len(v.Content))
		for i, c := range v.Content {
			cond, err := compile(file, c, p+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			list = append(list, cond)
		}
		if k.Value == "or" {
			return or(list), nil
		}
		return and(list), nil
	case "not":
		inner, err := compile(file, v, p)
		if err != nil {
			return nil, err
		}
		return not{inner}, nil
	}
	msg := fmt.Sprintf("unknown condition %q (known: %s)", k.Value, strings.Join(kinds, ", "))
	return nil, errAt(file, k, p, "%s", msg)
}

// leaf is one (flattened field, value) pair of a condition's mapping.
type leaf struct {
	field string
	node  *yaml.Node
	path  string
}

// flatten walks a condition's mapping into (dotted field, scalar or list)
// pairs, in file order: `equals: {http: {response: {code: 200}}}` and
// `equals: {http.response.code: 200}` are the same (Beats' conditions.Fields).
func flatten(file string, n *yaml.Node, path string) ([]leaf, error) {
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return nil, errAt(file, n, path, "want a mapping of field: value")
	}
	var out []leaf
	var walk func(n *yaml.Node, field, path string)
	walk = func(n *yaml.Node, field, path string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, p := join(field, k.Value), join(path, k.Value)
			if v.Kind == yaml.MappingNode {
				walk(v, f, p)
				continue
			}
			out = append(out, leaf{field: f, node: v, path: p})
		}
	}
	walk(n, "", path)
	return out, nil
}

type or []Condition

func (c or) Check(e *event.Event) bool {
	for _, x := range c {
		if x.Check(e) {
			return true
		}
	}
	return false
}

func (c or) String() string { return "or: " + listString(c) }

type and []Condition

func (c and) Check(e *event.Event) bool {
	for _, x := range c {
		if !x.Check(e) {
			return false
		}
	}
	return true
}

func (c and) String() string { return "and: " + listString(c) }

func listString(l []Condition) string {
	s := make([]string, len(l))
	for i, c := range l {
		s[i] = "{" + c.String() + "}"
	}
	return "[" + strings.Join(s, ", ") + "]"
}

type not struct{ c Condition }

func (c not) Check(e *event.Event) bool { return !c.c.Check(e) }
func (c not) String() string            { return "not: {" + c.c.String() + "}" }

// hasFields matches when every field exists (as a value or an object).
type hasFields []string

func newHasFields(file string, n *yaml.Node, path string) (Condition, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || n.Value == "" {
			break
		}
		return hasFields{n.Value}, nil
	case yaml.SequenceNode:
		var out hasFields
		for i, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
				return nil, errAt(file, c, path+"["+strconv.Itoa(i)+"]", "want a field name")
			}
			out = append(out, c.Value)
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, errAt(file, n, path, "want a list of field names")
}

func (c hasFields) Check(e *event.Event) bool {
	for _, f := range c {
		if !eventpath.Has(e, f) {
			return false
		}
	}
	return true
}

func (c hasFields) String() string { return fmt.Sprintf("has_fields: %v", []string(c)) }

// fieldsString renders field names for String methods, sorted.
func fieldsString(name string, fields []string, vals []string) string {
	idx := make([]int, len(fields))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return fields[idx[a]] < fields[idx[b]] })
	parts := make([]string, len(idx))
	for j, i := range idx {
		parts[j] = fields[i] + ":" + vals[i]
	}
	return name + ": map[" + strings.Join(parts, " ") + "]"
}
