// Package addfields is Beats' add_fields processor: it adds fixed fields to
// every event, under `target` (default "fields"; "" for the document root).
package addfields

import (
	"strings"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/cfgvalue"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

func init() {
	processors.Register(processors.Plugin{Name: "add_fields", Factory: New})
}

type cfg struct {
	Fields config.Section `yaml:"fields"`
	Target *string        `yaml:"target"`
}

// Processor adds its fields, overwriting fields of the same name and
// merging into existing objects (Beats' DeepUpdate).
type Processor struct {
	keys []string
	vals []any
}

var _ processors.Processor = (*Processor)(nil)

// New builds the processor from its section.
func New(s config.Section, _ processors.Env) (processors.Processor, error) {
	var c cfg
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	target := "fields"
	if c.Target != nil {
		target = *c.Target
	}
	if target == "@metadata" || strings.HasPrefix(target, "@metadata.") {
		return nil, s.Errorf("target", "@metadata is not supported: shipper events have no @metadata (set the index with the input's index option)")
	}
	n := c.Fields.Node
	if n == nil || n.Tag == "!!null" {
		return nil, s.Errorf("fields", "missing required field")
	}
	leaves := cfgvalue.Leaves(n)
	if n.Kind != 4 /* mapping */ || len(leaves) == 0 {
		return nil, s.Errorf("fields", "want a non-empty mapping of field: value")
	}
	p := &Processor{}
	for _, l := range leaves {
		k := l.Key
		if target != "" {
			k = target + "." + k
		}
		p.keys = append(p.keys, k)
		p.vals = append(p.vals, l.Value)
	}
	return p, nil
}

// Run adds the fields. Values are shared between events: nothing changes a
// value in place (eventpath copies maps; add_tags copies lists).
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	for i, k := range p.keys {
		eventpath.Put(e, k, p.vals[i])
	}
	return e, nil
}

func (p *Processor) String() string { return "add_fields" }
