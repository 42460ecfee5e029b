// Package registereddomain is Beats' registered_domain processor: the
// registered domain (effective TLD + 1) of a host name, from the public
// suffix list compiled into golang.org/x/net/publicsuffix.
package registereddomain

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	processors.Register(processors.Plugin{Name: "registered_domain", Factory: New, Fields: fieldsYAML})
}

var _ processors.Processor = (*Processor)(nil)

// Config is the registered_domain section; names and defaults are Beats'.
type Config struct {
	Field                string `yaml:"field"`
	TargetField          string `yaml:"target_field"`
	TargetETLDField      string `yaml:"target_etld_field"`
	TargetSubdomainField string `yaml:"target_subdomain_field"`
	IgnoreMissing        bool   `yaml:"ignore_missing"`
	IgnoreFailure        bool   `yaml:"ignore_failure"`
	ID                   string `yaml:"id"`
}

// Validate checks the required keys.
func (c *Config) Validate() error {
	var errs []error
	if c.Field == "" {
		errs = append(errs, errors.New("field: required (the field holding a host name)"))
	}
	if c.TargetField == "" {
		errs = append(errs, errors.New("target_field: required"))
	}
	return errors.Join(errs...)
}

// Processor writes the registered domain of one field.
type Processor struct{ cfg Config }

// New builds the processor from its config section.
func New(sec config.Section, _ processors.Env) (processors.Processor, error) {
	var cfg Config
	if err := sec.Decode(&cfg); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil { // also when the section is empty
		return nil, sec.Errorf("", "%v", err)
	}
	return &Processor{cfg: cfg}, nil
}

func (p *Processor) String() string {
	return fmt.Sprintf(`registered_domain={"Field":%q,"TargetField":%q,"TargetETLDField":%q,"TargetSubdomainField":%q,"IgnoreMissing":%v,"IgnoreFailure":%v,"ID":%q}`,
		p.cfg.Field, p.cfg.TargetField, p.cfg.TargetETLDField, p.cfg.TargetSubdomainField, p.cfg.IgnoreMissing, p.cfg.IgnoreFailure, p.cfg.ID)
}

// Run writes target_field (and the optional eTLD and subdomain fields).
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	v, ok := eventpath.Get(e, p.cfg.Field)
	if !ok {
		if p.cfg.IgnoreMissing || p.cfg.IgnoreFailure {
			return e, nil
		}
		return e, fmt.Errorf("registered_domain source field [%v] not found: key not found", p.cfg.Field)
	}
	domain, ok := v.(string)
	if !ok {
		if p.cfg.IgnoreFailure {
			return e, nil
		}
		return e, fmt.Errorf("registered_domain source field [%v] is not a string", p.cfg.Field)
	}
	rd, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		if p.cfg.IgnoreFailure {
			return e, nil
		}
		return e, fmt.Errorf("failed to determine the registered domain: %w", err)
	}
	// Beats' PutValue: a target below a field holding a value is a failure
	// and leaves that field as it is.
	put := func(what, key string, v any) error {
		if err := eventpath.PutValue(e, key, v); err != nil && !p.cfg.IgnoreFailure {
			return fmt.Errorf("failed to write %s to target field [%v]: %w", what, key, err)
		}
		return nil
	}
	if err := put("registered domain", p.cfg.TargetField, rd); err != nil {
		return e, err
	}
	if p.cfg.TargetETLDField != "" {
		if tld, _ := publicsuffix.PublicSuffix(domain); tld != "" {
			if err := put("effective top-level domain", p.cfg.TargetETLDField, tld); err != nil {
				return e, err
			}
		}
	}
	if p.cfg.TargetSubdomainField != "" {
		if sub := strings.TrimSuffix(strings.TrimSuffix(domain, rd), "."); sub != "" {
			if err := put("subdomain", p.cfg.TargetSubdomainField, sub); err != nil {
				return e, err
			}
		}
	}
	return e, nil
}
