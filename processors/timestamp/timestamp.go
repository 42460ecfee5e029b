// Package timestamp is Beats' timestamp processor: it parses a time from a
// field with Go layouts (or UNIX, UNIX_MS) and writes it, in UTC, to
// @timestamp or another field.
package timestamp

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/processors/internal/numeric"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

func init() {
	processors.Register(processors.Plugin{Name: "timestamp", Factory: New})
}

var _ processors.Processor = (*Processor)(nil)

// Config is the timestamp section; names and defaults are Beats'.
type Config struct {
	Field          string   `yaml:"field"`
	TargetField    string   `yaml:"target_field"`
	Layouts        []string `yaml:"layouts"`
	Timezone       Timezone `yaml:"timezone"`
	IgnoreMissing  bool     `yaml:"ignore_missing"`
	IgnoreFailure  bool     `yaml:"ignore_failure"`
	TestTimestamps []string `yaml:"test"`
	ID             string   `yaml:"id"`
}

// DefaultConfig returns Beats' defaults.
func DefaultConfig() Config { return Config{TargetField: "@timestamp"} }

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	var errs []error
	if c.Field == "" {
		errs = append(errs, errors.New("field: required (the field holding the time)"))
	}
	if len(c.Layouts) == 0 {
		errs = append(errs, errors.New("layouts: required (Go layouts such as '2006-01-02T15:04:05Z07:00', or UNIX, UNIX_MS)"))
	}
	return errors.Join(errs...)
}

// Timezone is an IANA name (needs the system's zoneinfo) or a fixed offset
// (+0430, +04:30, -04), as Beats' cfgtype.Timezone. Empty is UTC.
type Timezone struct{ loc *time.Location }

var offsetRE = regexp.MustCompile(`^([+-])(\d{2})(?::?(\d{2}))?$`)

// ParseTimezone reads a timezone setting.
func ParseTimezone(s string) (Timezone, error) {
	if s == "" {
		return Timezone{}, nil
	}
	if m := offsetRE.FindStringSubmatch(s); m != nil {
		h, _ := strconv.Atoi(m[2])
		min, _ := strconv.Atoi(m[3])
		off := h*3600 + min*60
		if m[1] == "-" {
			off = -off
		}
		return Timezone{time.FixedZone(s, off)}, nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return Timezone{}, fmt.Errorf("unknown time zone %q (an IANA name such as Europe/Paris, found in the system's zoneinfo, or an offset such as +0200): %v", s, err)
	}
	return Timezone{loc}, nil
}

// UnmarshalYAML reads the timezone; an error names its line.
func (tz *Timezone) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseTimezone(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*tz = v
	return nil
}

// Location returns the zone (UTC when unset).
func (tz Timezone) Location() *time.Location {
	if tz.loc == nil {
		return time.UTC
	}
	return tz.loc
}

// Processor parses one time field.
type Processor struct {
	cfg Config
	tz  *time.Location
	now func() time.Time // for the current year of layouts without one
}

// New builds the processor from its config section; the test timestamps
// are parsed now, so a wrong layout is a configuration error.
func New(sec config.Section, _ processors.Env) (processors.Processor, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg); err != nil {
		return nil, err
	}
	p, err := NewProcessor(cfg)
	if err != nil {
		return nil, sec.Errorf("test", "%v", err)
	}
	return p, nil
}

// NewProcessor builds the processor from a decoded Config and runs its
// test timestamps.
func NewProcessor(cfg Config) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Processor{cfg: cfg, tz: cfg.Timezone.Location(), now: time.Now}
	for _, test := range cfg.TestTimestamps {
		if _, err := p.parse(test); err != nil {
			return nil, fmt.Errorf("failed to parse test timestamp: %w", err)
		}
	}
	return p, nil
}

func (p *Processor) String() string {
	return fmt.Sprintf("timestamp=[field=%s, target_field=%v, timezone=%v, layouts=%v]", p.cfg.Field, p.cfg.TargetField, p.tz, p.cfg.Layouts)
}

// Run parses the field and puts the time, in UTC, into target_field.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	v, ok := eventpath.Get(e, p.cfg.Field)
	if !ok {
		if p.cfg.IgnoreFailure || p.cfg.IgnoreMissing {
			return e, nil
		}
		return e, fmt.Errorf("failed to get time field %v: key not found", p.cfg.Field)
	}
	var ts time.Time
	if t, ok := v.(time.Time); ok {
		ts = t
	} else {
		var err error
		if ts, err = p.parse(v); err != nil {
			if p.cfg.IgnoreFailure {
				return e, nil
			}
			return e, err
		}
	}
	if err := eventpath.PutValue(e, p.cfg.TargetField, ts.UTC()); err != nil {
		if p.cfg.IgnoreFailure {
			return e, nil
		}
		return e, err
	}
	return e, nil
}

// ParseError is Beats' error for a value no layout parses; Causes has one
// error per layout.
type ParseError struct {
	Field  string
	Value  any
	Causes []error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("failed parsing time field %v='%v'", e.Field, e.Value)
}

func (p *Processor) parse(v any) (time.Time, error) {
	perr := &ParseError{Field: p.cfg.Field, Value: v}
	for _, layout := range p.cfg.Layouts {
		ts, err := p.parseLayout(v, layout)
		if err == nil {
			return ts, nil
		}
		perr.Causes = append(perr.Causes, err)
	}
	return time.Time{}, perr
}

var errNotNumber = errors.New("could not parse time field as int or float")

func (p *Processor) parseLayout(v any, layout string) (time.Time, error) {
	switch layout {
	case "UNIX":
		if sec, ok := toInt(v); ok {
			return time.Unix(sec, 0), nil
		}
		if sec, ok := toFloat(v); ok {
			return time.Unix(0, int64(sec*float64(time.Second))), nil
		}
		return time.Time{}, errNotNumber
	case "UNIX_MS":
		if ms, ok := toInt(v); ok {
			return time.Unix(0, ms*int64(time.Millisecond)), nil
		}
		if ms, ok := toFloat(v); ok {
			return time.Unix(0, int64(ms*float64(time.Millisecond))), nil
		}
		return time.Time{}, errNotNumber
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("unexpected type %T for time field", v)
	}
	ts, err := time.ParseInLocation(layout, s, p.tz)
	if err == nil && ts.Year() == 0 {
		// No year in the layout: the current year in the zone.
		ts = ts.AddDate(p.now().In(ts.Location()).Year(), 0, 0)
	}
	return ts, err
}

// toInt and toFloat are Beats' common.TryToInt / TryToFloat64.
func toInt(v any) (int64, bool) {
	if s, ok := v.(string); ok {
		n, err := strconv.ParseInt(s, 10, strconv.IntSize)
		return n, err == nil
	}
	return numeric.Int64(v)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float32:
		return float64(x), !math.IsNaN(float64(x))
	case float64:
		return x, !math.IsNaN(x)
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}
