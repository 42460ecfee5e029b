// Package includefields is Beats' include_fields processor: it keeps only
// the listed fields (with everything below them) and drops the rest.
// @timestamp and type are always kept.
package includefields

import (
	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

func init() {
	processors.Register(processors.Plugin{Name: "include_fields", Factory: New})
}

type cfg struct {
	Fields []string `yaml:"fields"`
}

// Processor keeps the listed fields.
type Processor struct {
	fields []string
}

var _ processors.Processor = (*Processor)(nil)

// New builds the processor from its section. An empty list keeps only
// @timestamp and type, as in Beats.
func New(s config.Section, _ processors.Env) (processors.Processor, error) {
	var c cfg
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	if s.Lookup("fields") == nil {
		return nil, s.Errorf("fields", "missing required field")
	}
	fields := append([]string(nil), c.Fields...)
	hasType := false
	for _, f := range fields {
		hasType = hasType || f == "type"
	}
	if !hasType {
		fields = append(fields, "type") // Beats' MandatoryExportedFields
	}
	return &Processor{fields: fields}, nil
}

// Run keeps the listed fields, in their order in the event.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	keep := e.Fields[:0:0]
	var inside []event.Field // values reached inside a map (decoded JSON)
	for _, f := range e.Fields {
		for _, want := range p.fields {
			if f.Key == want || below(f.Key, want) {
				keep = append(keep, f)
				break
			}
			if below(want, f.Key) {
				if v, ok := eventpath.Get(e, want); ok {
					inside = append(inside, event.Field{Key: want, Value: v})
				}
			}
		}
	}
	e.Fields = keep
	for _, f := range inside {
		eventpath.Put(e, f.Key, f.Value)
	}
	return e, nil
}

func below(k, prefix string) bool {
	return len(k) > len(prefix) && k[len(prefix)] == '.' && k[:len(prefix)] == prefix
}

func (p *Processor) String() string { return "include_fields" }
