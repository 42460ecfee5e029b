// Package addlocale is Beats' add_locale processor: the machine's time zone
// in event.timezone, as an offset (+02:00) or an abbreviation (CEST).
package addlocale

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	processors.Register(processors.Plugin{Name: "add_locale", Factory: New, Fields: fieldsYAML})
}

var _ processors.Processor = (*Processor)(nil)

// Format is offset or abbreviation.
type Format string

// UnmarshalYAML reads the format, case-insensitively.
func (f *Format) UnmarshalYAML(n *yaml.Node) error {
	v := Format(strings.ToLower(n.Value))
	if v != "offset" && v != "abbreviation" {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: '%s' is not a valid format option for the add_locale processor. Valid options are 'abbreviation' and 'offset'.", n.Line, n.Value)}}
	}
	*f = v
	return nil
}

// Config is the add_locale section.
type Config struct {
	Format Format `yaml:"format"`
}

// Processor adds event.timezone.
type Processor struct {
	format Format
	now    func() time.Time // in the local zone
}

// New builds the processor from its config section.
func New(sec config.Section, _ processors.Env) (processors.Processor, error) {
	cfg := Config{Format: "offset"}
	if err := sec.Decode(&cfg); err != nil {
		return nil, err
	}
	return &Processor{format: cfg.Format, now: time.Now}, nil
}

func (p *Processor) String() string { return "add_locale=[format=" + string(p.format) + "]" }

// Run puts the zone at the current time (DST-aware: CEST in summer, CET in
// winter) into event.timezone, replacing any value there.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	e.Fields.Put("event.timezone", p.Format(p.now().Zone()))
	return e, nil
}

// Format renders a zone as the processor is configured.
func (p *Processor) Format(name string, offset int) string {
	if p.format == "abbreviation" {
		return name
	}
	sign := "+"
	if offset < 0 {
		sign, offset = "-", -offset
	}
	return fmt.Sprintf("%s%02d:%02d", sign, offset/3600, offset%3600/60)
}
