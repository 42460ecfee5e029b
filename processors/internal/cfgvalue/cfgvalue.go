// Package cfgvalue turns YAML values of a processor's configuration into the
// Go values an event holds, with the types Beats' config loader gives them:
// integers as int64 (uint64 beyond), floats as float64, booleans, strings,
// lists and objects.
package cfgvalue

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/shipper/config"
)

// Value returns the Go value of n.
func Value(n *yaml.Node) any {
	if n == nil {
		return nil
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.SequenceNode:
		strs := make([]string, 0, len(n.Content))
		all := true
		vals := make([]any, len(n.Content))
		for i, c := range n.Content {
			vals[i] = Value(c)
			if s, ok := vals[i].(string); ok && all {
				strs = append(strs, s)
			} else {
				all = false
			}
		}
		if all {
			return strs
		}
		return vals
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = Value(n.Content[i+1])
		}
		return m
	case yaml.ScalarNode:
		return scalar(n)
	}
	return nil
}

func scalar(n *yaml.Node) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return b
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(s, 0, 64); err == nil {
			return u
		}
	case "!!float":
		if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil {
			return f
		}
	}
	return n.Value
}

// Leaf is one value of a flattened object.
type Leaf struct {
	Key   string // dotted, relative to the flattened node
	Value any
	Node  *yaml.Node
}

// Leaves flattens the objects of a mapping into dotted keys; lists and
// scalars are leaves. An empty object is a leaf (an empty map).
func Leaves(n *yaml.Node) []Leaf {
	var out []Leaf
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if prefix != "" {
				k = prefix + "." + k
			}
			if v.Kind == yaml.MappingNode && len(v.Content) > 0 {
				walk(v, k)
				continue
			}
			out = append(out, Leaf{Key: k, Value: Value(v), Node: v})
		}
	}
	if n != nil && n.Kind == yaml.MappingNode {
		walk(n, "")
	}
	return out
}

// ItemErrorf returns a configuration error located at item i of the list
// under key ("fields[2]"), or at the key when the item cannot be found.
func ItemErrorf(s config.Section, key string, i int, format string, args ...any) error {
	line := 0
	if n := s.Lookup(key); n != nil {
		line = n.Line
		if n.Kind == yaml.SequenceNode && i < len(n.Content) {
			line = n.Content[i].Line
		}
	} else if s.Node != nil {
		line = s.Node.Line
	}
	return &config.Error{File: s.File, Line: line, Path: s.Path + "." + key + "[" + strconv.Itoa(i) + "]", Msg: fmt.Sprintf(format, args...)}
}
