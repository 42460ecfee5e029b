package config

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

// coerce returns a copy of n in which scalars are rewritten the way Beats'
// config reader (go-ucfg, reify.go) reads them for the Go type t, so that an
// unchanged filebeat.yml loads into every plugin (issue 15):
//
//   - a number where a duration is expected is seconds (ignore_older: 0,
//     timeout: 90, period: 0.5); a duration string is Go's (5m, 1h30m, 250ms);
//   - a quoted number where a number is expected is that number (worker: "2"),
//     as a value from ${VAR} or -E often is; "true"/"false" likewise for a bool;
//   - a single value where a list is expected is a list of one
//     (paths: /var/log/x.log).
//
// The original node is left as it is: other readers (export config, the
// permission check) see what the operator wrote.
func coerce(n *yaml.Node, t reflect.Type) *yaml.Node {
	budget := maxNodes
	return coerceDepth(n, t, 0, &budget)
}

// maxDepth and maxNodes bound the walks over a node tree that follow
// aliases: an alias inside its own anchor (a: &x {b: *x}) is a cycle, and
// aliases of aliases grow exponentially ("billion laughs"). Past the bound
// a walk leaves the rest as it is; yaml.v3's decoder refuses such a
// document itself ("excessive aliasing").
const (
	maxDepth = 200
	maxNodes = 1 << 16 // a router config has a few thousand nodes
)

func coerceDepth(n *yaml.Node, t reflect.Type, depth int, budget *int) *yaml.Node {
	if n == nil || depth > maxDepth || *budget <= 0 {
		return n
	}
	depth++
	*budget--
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return n // the type reads its own node (ByteSize, Section, enums)
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return coerceDepth(n.Alias, t, depth, budget)
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return n
		}
		known := map[string]reflect.Type{}
		collectFields(t, known)
		return mapValues(n, func(k string, v *yaml.Node) *yaml.Node {
			if ft, ok := known[k]; ok {
				return coerceDepth(v, ft, depth, budget)
			}
			return v
		})
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return n
		}
		return mapValues(n, func(_ string, v *yaml.Node) *yaml.Node { return coerceDepth(v, t.Elem(), depth, budget) })
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return n
		}
		if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
			// go-ucfg's castArr: one value is a list of one.
			seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: n.Line, Column: n.Column, Content: []*yaml.Node{n}}
			return coerceDepth(seq, t, depth, budget)
		}
		if n.Kind != yaml.SequenceNode {
			return n
		}
		out := *n
		out.Content = make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			out.Content[i] = coerceDepth(c, t.Elem(), depth, budget)
		}
		return &out
	}
	if n.Kind != yaml.ScalarNode {
		return n
	}
	tag := n.ShortTag()
	v := strings.TrimSpace(n.Value)
	retag := func(tag, value string) *yaml.Node {
		out := *n
		out.Tag, out.Value, out.Style = tag, value, 0
		return &out
	}
	switch {
	case t == durationType:
		if tag != "!!int" && tag != "!!float" && tag != "!!str" {
			return n
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt64/float64(time.Second) {
			return n // a duration string, or an error yaml reports with the line
		}
		return retag("!!str", time.Duration(f*float64(time.Second)).String())
	case tag != "!!str":
		return n
	case isIntKind(t.Kind()):
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return retag("!!int", v)
		}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return retag("!!float", v)
		}
	case t.Kind() == reflect.Bool:
		if b, err := strconv.ParseBool(v); err == nil {
			return retag("!!bool", strconv.FormatBool(b))
		}
	}
	return n
}

func isIntKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// mapValues returns n with each value replaced by f(key, value), copying n
// only when a value changed.
func mapValues(n *yaml.Node, f func(k string, v *yaml.Node) *yaml.Node) *yaml.Node {
	var out *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		nv := f(n.Content[i].Value, n.Content[i+1])
		if nv == n.Content[i+1] {
			continue
		}
		if out == nil {
			cp := *n
			cp.Content = append([]*yaml.Node(nil), n.Content...)
			out = &cp
		}
		out.Content[i+1] = nv
	}
	if out == nil {
		return n
	}
	return out
}
