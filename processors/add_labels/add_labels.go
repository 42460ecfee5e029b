// Package addlabels is Beats' add_labels processor: it adds labels under
// `labels`, flattening nested objects and lists into dotted keys and every
// value into a string (ECS labels are keywords), as Beats does.
package addlabels

import (
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

func init() {
	processors.Register(processors.Plugin{Name: "add_labels", Factory: New})
}

type cfg struct {
	Labels config.Section `yaml:"labels"`
}

// Processor adds its labels to the event's labels object.
type Processor struct {
	labels map[string]any // flattened key → string
}

var _ processors.Processor = (*Processor)(nil)

// New builds the processor from its section.
func New(s config.Section, _ processors.Env) (processors.Processor, error) {
	var c cfg
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	n := c.Labels.Node
	if n == nil || n.Tag == "!!null" {
		return nil, s.Errorf("labels", "missing required field")
	}
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return nil, s.Errorf("labels", "want a non-empty mapping of label: value")
	}
	p := &Processor{labels: map[string]any{}}
	if err := flatten(p.labels, n, "", s.Sub("labels")); err != nil {
		return nil, err
	}
	return p, nil
}

// flatten is ucfg's FlattenedKeys + String: objects and lists become dotted
// keys ("array.2.with.field"), scalars their text.
func flatten(out map[string]any, n *yaml.Node, prefix string, s config.Section) error {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := flatten(out, n.Content[i+1], join(n.Content[i].Value), s); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := flatten(out, c, join(strconv.Itoa(i)), s); err != nil {
				return err
			}
		}
	case yaml.AliasNode:
		return flatten(out, n.Alias, prefix, s)
	default:
		if n.Tag == "!!null" {
			return &config.Error{File: s.File, Line: n.Line, Path: s.Path + "." + prefix, Msg: "a label needs a value"}
		}
		v := n.Value
		if n.Tag == "!!float" {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				v = strconv.FormatFloat(f, 'g', -1, 64)
			}
		}
		out[prefix] = v
	}
	return nil
}

// Run merges the labels into the event's labels object, which it keeps as
// one map with dotted keys, as Beats writes it ({"labels":{"a.b":"x"}}).
// Labels set as separate fields before (labels.env from an input) move into
// that map.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	old, ok := eventpath.Get(e, "labels")
	if !ok {
		e.Fields.Put("labels", p.labels) // shared, never changed in place
		return e, nil
	}
	m := map[string]any{}
	if om, isMap := old.(map[string]any); isMap {
		if _, flat := e.Fields.Get("labels"); flat {
			for k, v := range om {
				m[k] = v
			}
		} else {
			// flat keys below labels: keep their dotted names
			for _, k := range eventpath.Keys(e, "labels") {
				v, _ := e.Fields.Get(k)
				m[k[len("labels."):]] = v
			}
		}
	}
	for k, v := range p.labels {
		m[k] = v
	}
	eventpath.Delete(e, "labels")
	e.Fields.Put("labels", m)
	return e, nil
}

func (p *Processor) String() string { return "add_labels" }
