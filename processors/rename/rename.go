// Package rename is Beats' rename processor: it renames fields (objects
// with everything below them). It never overwrites: a target that exists is
// a failure.
package rename

import (
	"errors"
	"fmt"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/cfgvalue"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

func init() {
	processors.Register(processors.Plugin{Name: "rename", Factory: New})
}

// FromTo is one rename (or copy) of the fields list.
type FromTo struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

type cfg struct {
	Fields        []FromTo `yaml:"fields"`
	IgnoreMissing bool     `yaml:"ignore_missing"`
	FailOnError   bool     `yaml:"fail_on_error"`
}

func defaultConfig() cfg { return cfg{IgnoreMissing: false, FailOnError: true} }

// Processor renames fields.
type Processor struct {
	cfg
	failures *processors.Failures
}

var _ processors.Processor = (*Processor)(nil)

// New builds the processor from its section.
func New(s config.Section, env processors.Env) (processors.Processor, error) {
	c := defaultConfig()
	if err := DecodeFields(s, &c, &c.Fields); err != nil {
		return nil, err
	}
	return &Processor{cfg: c, failures: processors.NewFailures(env)}, nil
}

// DecodeFields decodes s into c and checks its fields list (shared with
// copy_fields): present, each item with from and to.
func DecodeFields(s config.Section, c any, fields *[]FromTo) error {
	if err := s.Decode(c); err != nil {
		return err
	}
	if s.Lookup("fields") == nil {
		return s.Errorf("fields", "missing required field")
	}
	var errs []error
	for i, f := range *fields {
		if f.From == "" || f.To == "" {
			errs = append(errs, cfgvalue.ItemErrorf(s, "fields", i, "want from and to"))
		}
	}
	return errors.Join(errs...)
}

// Run renames the fields in order. On a failure with fail_on_error (the
// default) the event is restored as it came and error.message says why, as
// Beats writes it; without fail_on_error the failed rename is skipped. The
// event always goes on; failures are counted.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	eventpath.Transaction(e, len(p.Fields), p.FailOnError, p.failures.Record, "Failed to rename fields in processor: ", func(i int) error {
		return p.rename(e, p.Fields[i].From, p.Fields[i].To)
	})
	return e, nil
}

func (p *Processor) rename(e *event.Event, from, to string) error {
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
	// Deletion first, so that a can become a.b (Beats).
	eventpath.Delete(e, from)
	if err := eventpath.CheckParents(e, to); err != nil {
		// to is below a field holding a value: put from back, so that a
		// failed rename changes nothing, also without fail_on_error
		// (where Beats loses from's value).
		for _, part := range parts {
			eventpath.Put(e, from+part.Key, part.Value)
		}
		v, _ := eventpath.Get(e, from)
		return fmt.Errorf("could not put value: %s: %v, %w", to, v, err)
	}
	for _, part := range parts {
		eventpath.Put(e, to+part.Key, part.Value)
	}
	return nil
}

func (p *Processor) String() string { return "rename" }
