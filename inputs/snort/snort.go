// Package snort is the `snort` input: it tails snort3's alert_json file (one
// JSON object per line, any subset of alert_json.fields) and maps each alert
// to ECS — as Elastic's snort integration does except where ECS means
// otherwise (README "Field names") — with the time read in the input's
// timezone and the year inferred when snort did not print it.
package snort

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/processors/geoip"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

//go:embed fields.yml
var fieldsYAML []byte

// Fields is this input's field catalog (fields.yml).
var Fields = fieldsYAML

func init() {
	inputs.Register(inputs.Plugin{Name: "snort", Factory: Factory, Fields: fieldsYAML})
}

// Config is the snort input's configuration (see README.md).
type Config struct {
	File filestream.Config `yaml:",inline"`
	// Timezone is the IANA zone snort's local timestamps are in ("" =
	// the system zone; "UTC" when snort runs with -U).
	Timezone string `yaml:"timezone"`
	// IncludeB64Data keeps the packet payload (b64_data) under
	// snort.packet.b64_data; off by default for its size.
	IncludeB64Data bool `yaml:"include_b64_data"`
	// GeoIP enriches public source.ip and destination.ip when a database
	// is set.
	GeoIP geoip.Sides `yaml:"geoip"`

	loc *time.Location
}

// DefaultConfig returns the defaults README.md shows.
func DefaultConfig() Config {
	return Config{File: filestream.DefaultConfig()}
}

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	errs := []error{c.File.Validate()}
	loc, err := sysstat.LoadLocation(c.Timezone)
	if err != nil {
		errs = append(errs, fmt.Errorf("timezone: %v", err))
	}
	c.loc = loc
	errs = append(errs, c.GeoIP.Validate())
	return errors.Join(errs...)
}

// Factory decodes the section and builds the input.
func Factory(sec config.Section, env inputs.Env) (inputs.Input, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg, inputs.CommonKeys...); err != nil {
		return nil, err
	}
	return New(cfg, env, nil)
}

// Input is the snort input: the tail engine plus, when configured, GeoIP.
type Input struct {
	*filestream.Input
	geo []*geoip.Processor
}

var (
	_ inputs.Input    = (*Input)(nil)
	_ inputs.Cursorer = (*Input)(nil)
)

// New builds the input; now is the clock for year inference (nil: the
// system clock).
func New(cfg Config, env inputs.Env, now func() time.Time) (*Input, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.GeoIP.DataPath = env.DataPath // the verified stamps of the databases
	geo, err := geoip.ForSides(cfg.GeoIP, []string{"source", "destination"}, env.Log, env.Metrics, env.Name)
	if err != nil {
		return nil, err
	}
	in := &Input{geo: geo}
	fs, err := filestream.New(cfg.File, env, func(string) filestream.Parser {
		return &enricher{p: NewParser(cfg.loc, now, cfg.IncludeB64Data), geo: in.geo}
	})
	if err != nil {
		in.close()
		return nil, err
	}
	in.Input = fs
	return in, nil
}

// Run tails until ctx is done, then closes the GeoIP databases.
func (in *Input) Run(ctx context.Context, out pipeline.Client) error {
	defer in.close()
	return in.Input.Run(ctx, out)
}

func (in *Input) close() { geoip.Close(in.geo) }

// Release closes the GeoIP databases (and stops their watchers) of an input
// that is built but never run (test config).
func (in *Input) Release() { in.close() }

// enricher runs the GeoIP lookups after the parser, so that the tailer's
// goroutine does them (the processors are safe for concurrent use).
type enricher struct {
	p   *Parser
	geo []*geoip.Processor
}

func (x *enricher) Parse(line []byte, e *event.Event) (bool, error) {
	keep, err := x.p.Parse(line, e)
	if !keep || e.HasTag(JSONParseFailureTag) {
		return keep, err
	}
	if gerr := geoip.Enrich(x.geo, e); err == nil {
		err = gerr
	}
	return keep, err
}
