// Package dropevent is Beats' drop_event processor: it drops every event it
// sees — give it a `when:` condition to drop some. Dropped events are
// counted (filtered) and acknowledged, so the input's cursor moves past them.
package dropevent

import (
	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

func init() {
	processors.Register(processors.Plugin{Name: "drop_event", Factory: New})
}

// Processor drops every event.
type Processor struct{}

var _ processors.Processor = Processor{}

// New builds the processor; it has no options of its own (only when:).
func New(s config.Section, _ processors.Env) (processors.Processor, error) {
	var c struct{}
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	return Processor{}, nil
}

// Run drops the event.
func (Processor) Run(*event.Event) (*event.Event, error) { return nil, nil }

func (Processor) String() string { return "drop_event" }
