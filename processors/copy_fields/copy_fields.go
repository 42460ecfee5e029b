// Package copyfields is Beats' copy_fields processor: it copies fields
// (objects with everything below them) to new names. It never overwrites:
// a target that exists is a failure.
package copyfields

import (
	"fmt"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/processors/rename"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

func init() {
	processors.Register(processors.Plugin{Name: "copy_fields", Factory: New})
}

type cfg struct {
	Fields        []rename.FromTo `yaml:"fields"`
	IgnoreMissing bool            `yaml:"ignore_missing"`
	FailOnError   bool            `yaml:"fail_on_error"`
}

func defaultConfig() cfg { return cfg{IgnoreMissing: false, FailOnError: true} }

// Processor copies fields.
type Processor struct {
	cfg
	failures *processors.Failures
}

var _ processors.Processor = (*Processor)(nil)

// New builds the processor from its section.
func New(s config.Section, env processors.Env) (processors.Processor, error) {
	c := defaultConfig()
	if err := rename.DecodeFields(s, &c, &c.Fields); err != nil {
		return nil, err
	}
	return &Processor{cfg: c, failures: processors.NewFailures(env)}, nil
}

// Run copies the fields in order. On a failure with fail_on_error (the
// default) the event is restored as it came and error.message says why, as
// Beats writes it; without fail_on_error the failed copy is skipped. The
// event always goes on; failures are counted. Copies share their values
// with the original: values are never changed in place.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	eventpath.Transaction(e, len(p.Fields), p.FailOnError, p.failures.Record, "Failed to copy fields in copy_fields processor: ", func(i int) error {
		return p.copy(e, p.Fields[i].From, p.Fields[i].To)
	})
	return e, nil
}

func (p *Processor) copy(e *event.Event, from, to string) error {
	if eventpath.Has(e, to) {
		return fmt.Errorf("target field %s already exists, drop or rename this field first", to)
	}
	parts, ok := eventpath.Parts(e, from)
	if !ok {
		if p.IgnoreMissing {
			return nil
		}
		return fmt.Errorf("could not fetch value for key: %s, Error: key not found", from)
	}
	if err := eventpath.CheckParents(e, to); err != nil {
		v, _ := eventpath.Get(e, from)
		return fmt.Errorf("could not copy value to %s: %v, %w", to, v, err)
	}
	for _, part := range parts {
		eventpath.Put(e, to+part.Key, part.Value)
	}
	return nil
}

func (p *Processor) String() string { return "copy_fields" }
