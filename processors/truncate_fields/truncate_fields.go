// Package truncatefields is Beats' truncate_fields processor: it cuts string
// fields to max_bytes or max_characters and flags the event
// (log.flags: truncated).
package truncatefields

import (
	_ "embed"
	"fmt"
	"unicode/utf8"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	processors.Register(processors.Plugin{Name: "truncate_fields", Factory: New, Fields: fieldsYAML})
}

type cfg struct {
	Fields        []string `yaml:"fields"`
	MaxBytes      int      `yaml:"max_bytes"`
	MaxCharacters int      `yaml:"max_characters"`
	IgnoreMissing bool     `yaml:"ignore_missing"`
	FailOnError   bool     `yaml:"fail_on_error"`
}

// defaultConfig has Beats' documented defaults (fail_on_error true).
func defaultConfig() cfg { return cfg{IgnoreMissing: false, FailOnError: true} }

// Processor truncates fields.
type Processor struct {
	cfg
	failures *processors.Failures
}

var _ processors.Processor = (*Processor)(nil)

// New builds the processor from its section.
func New(s config.Section, env processors.Env) (processors.Processor, error) {
	c := defaultConfig()
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	if s.Lookup("fields") == nil {
		return nil, s.Errorf("fields", "missing required field")
	}
	hasBytes, hasChars := s.Lookup("max_bytes") != nil, s.Lookup("max_characters") != nil
	switch {
	case hasBytes && hasChars:
		return nil, s.Errorf("max_characters", "max_bytes and max_characters are mutually exclusive: set one")
	case !hasBytes && !hasChars:
		return nil, s.Errorf("", "one of max_bytes or max_characters is required")
	case c.MaxBytes < 0:
		return nil, s.Errorf("max_bytes", "must be >= 0, got %d", c.MaxBytes)
	case c.MaxCharacters < 0:
		return nil, s.Errorf("max_characters", "must be >= 0, got %d", c.MaxCharacters)
	}
	return &Processor{cfg: c, failures: processors.NewFailures(env)}, nil
}

// Run truncates the fields. A field that is missing (without
// ignore_missing) or not a string is a failure: with fail_on_error (the
// default) the event is restored as it came, otherwise the other fields are
// still truncated. As in Beats no error.message is added; the failure is
// counted in <processor>.failures and logged at debug level.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	var backup event.Fields
	if p.FailOnError {
		backup = append(event.Fields(nil), e.Fields...)
	}
	for _, f := range p.Fields {
		if err := p.truncate(e, f); err != nil {
			p.failures.Record(err)
			if p.FailOnError {
				e.Fields = backup
				return e, nil
			}
		}
	}
	return e, nil
}

func (p *Processor) truncate(e *event.Event, field string) error {
	v, ok := eventpath.Get(e, field)
	if !ok {
		if p.IgnoreMissing {
			return nil
		}
		return fmt.Errorf("could not fetch value for key: %s: key not found", field)
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return fmt.Errorf("value cannot be truncated: %+v", v)
	}
	cut, did := p.cut(s)
	if !did {
		return nil
	}
	// The flag says the value was cut; where it cannot be written (log
	// holds a value) the value is not cut either, and the failure counted.
	if err := eventpath.CheckParents(e, "log.flags"); err != nil {
		return fmt.Errorf("failed to add truncated flag to log.flags: %w", err)
	}
	if _, isBytes := v.([]byte); isBytes {
		eventpath.Put(e, field, []byte(cut))
	} else {
		eventpath.Put(e, field, cut)
	}
	// Beats' mapstr.AddTagsWithKey: appended, not deduplicated.
	flags, _ := eventpath.Get(e, "log.flags")
	switch old := flags.(type) {
	case nil:
		eventpath.Put(e, "log.flags", []string{"truncated"})
	case []string:
		eventpath.Put(e, "log.flags", append(old[:len(old):len(old)], "truncated"))
	case []any:
		eventpath.Put(e, "log.flags", append(old[:len(old):len(old)], "truncated"))
	}
	return nil
}

// cut is Beats' truncateBytes (a plain byte cut, which may split a UTF-8
// sequence, as Beats' does) or truncateCharacters (whole characters).
func (p *Processor) cut(s string) (string, bool) {
	if p.MaxBytes > 0 { // as in Beats, max_bytes: 0 falls to the character limit (0)
		if len(s) <= p.MaxBytes {
			return s, false
		}
		return s[:p.MaxBytes], true
	}
	if utf8.RuneCountInString(s) <= p.MaxCharacters {
		return s, false
	}
	n := 0
	for i := range s {
		if n == p.MaxCharacters {
			return s[:i], true
		}
		n++
	}
	return s, false
}

func (p *Processor) String() string { return "truncate_fields" }
