// Package squid is the `squid` input: it tails squid's access.log in the
// native format and turns each line into an ECS document with grok (the
// SQUID_NATIVE pattern in patterns/squid).
package squid

import (
	"context"
	_ "embed"
	"errors"
	"fmt"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/processors/geoip"
	"github.com/shipper-project/shipper/processors/grok"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

//go:embed fields.yml
var fieldsYAML []byte

// Fields is the catalog of the fields the squid input emits.
var Fields = fieldsYAML

func init() {
	inputs.Register(inputs.Plugin{Name: "squid", Factory: factory, Fields: fieldsYAML})
}

// Config is the squid input's configuration.
type Config struct {
	filestream.Config `yaml:",inline"`
	// Patterns tried in order; the default is the native format. Use
	// %{SQUID_COMMON} or %{SQUID_COMBINED} for those logformats.
	Patterns []string `yaml:"patterns"`
	// KeepOriginal also stores the line in event.original.
	KeepOriginal bool `yaml:"keep_original"`
	// GeoIP enriches destination (and source, when it is a public
	// address) when a database is set: the talk's world map.
	GeoIP geoip.Sides `yaml:"geoip"`
}

// DefaultConfig is the single place the defaults live.
func DefaultConfig() Config {
	return Config{
		Config:   filestream.DefaultConfig(),
		Patterns: []string{"%{SQUID_NATIVE}"},
	}
}

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	var errs []error
	if err := c.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(c.Patterns) == 0 {
		errs = append(errs, errors.New("patterns: at least one pattern is required"))
	}
	errs = append(errs, c.GeoIP.Validate())
	return errors.Join(errs...)
}

func factory(sec config.Section, env inputs.Env) (inputs.Input, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg, inputs.CommonKeys...); err != nil {
		return nil, err
	}
	p, err := NewParser(cfg)
	if err != nil {
		return nil, sec.Errorf("patterns", "%v", err)
	}
	cfg.GeoIP.DataPath = env.DataPath // the verified stamps of the databases
	geo, err := geoip.ForSides(cfg.GeoIP, []string{"destination", "source"}, env.Log, env.Metrics, env.Name)
	if err != nil {
		return nil, sec.Errorf("geoip.database", "%v", err)
	}
	p.geo = geo
	fs, err := filestream.New(cfg.Config, env, func(string) filestream.Parser { return p.forFile() })
	if err != nil {
		geoip.Close(geo)
		return nil, err
	}
	return &Input{Input: fs, geo: geo}, nil
}

// Input is the tail engine plus the GeoIP databases it closes at the end.
type Input struct {
	*filestream.Input
	geo []*geoip.Processor
}

// Release closes the GeoIP databases (and stops their watchers) of an input
// that is built but never run (test config).
func (in *Input) Release() { geoip.Close(in.geo) }

// Run tails until ctx is done, then closes the GeoIP databases.
func (in *Input) Run(ctx context.Context, out pipeline.Client) error {
	defer geoip.Close(in.geo)
	return in.Input.Run(ctx, out)
}

// Parser parses squid access.log lines. It is stateless and safe for
// concurrent use.
type Parser struct {
	g            *grok.Grok
	picks        *grok.Picks // the timestamp, and the captures mapECS reads
	native       bool        // the patterns are the default: matchNative first
	keepOriginal bool
	geo          []*geoip.Processor // private/special addresses are skipped
}

// NewParser compiles the configured patterns.
func NewParser(cfg Config) (*Parser, error) {
	g, err := grok.CompileWith(grok.NewLibrary(), cfg.Patterns, true)
	if err != nil {
		return nil, fmt.Errorf("compile squid patterns: %w", err)
	}
	native := len(cfg.Patterns) == 1 && cfg.Patterns[0] == nativePattern
	return &Parser{g: g, picks: g.Picks("timestamp", pickNames[:]...), native: native, keepOriginal: cfg.KeepOriginal}, nil
}

// Parse implements filestream.Parser; a line that does not match is kept
// with its message and tagged _grokparsefailure.
func (p *Parser) Parse(line []byte, e *event.Event) (bool, error) {
	// One block holds the values of a line (issue 17).
	return p.parse(line, e, grok.EventValues())
}

// forFile returns the parser of one file's lines, which the tail engine
// calls in sequence: it takes the values' blocks from slabs (one
// allocation per 23 lines instead of one per line, issue 17).
func (p *Parser) forFile() filestream.Parser { return &fileParser{p: p} }

type fileParser struct {
	p      *Parser
	blocks grok.Blocks
}

func (f *fileParser) Parse(line []byte, e *event.Event) (bool, error) {
	return f.p.parse(line, e, f.blocks.Next())
}

// parse is Parse boxing the values with vals.
func (p *Parser) parse(line []byte, e *event.Event, vals grok.Values) (bool, error) {
	msg, _ := e.Fields.GetString("message")
	if msg == "" && len(line) > 0 {
		msg = string(line)
		e.Fields.Put("message", msg)
	}
	e.Fields.Add("event.module", "squid")
	e.Fields.Add("event.dataset", "squid.access")
	e.Fields.Add("event.kind", "event")
	if p.keepOriginal {
		e.Fields.Add("event.original", vals.String(msg))
	}
	var picks [len(pickNames)]any
	ts, ok := "", false
	if p.native {
		ts, ok = matchNative(msg, &e.Fields, &vals, &picks)
	}
	if !ok {
		var i int
		if i, ts = p.g.MatchPicks(msg, &e.Fields, &vals, p.picks, picks[:]); i < 0 {
			e.Tag("_grokparsefailure")
			return true, nil
		}
	}
	setTimestamp(e, ts)
	mapECS(e, &picks, &vals)
	if len(p.geo) > 0 {
		// A lookup failure is tagged by the processor; the event ships.
		_ = geoip.Enrich(p.geo, e)
	}
	return true, nil
}
