// Package pidstat is the `pidstat` input: sysstat's per-process CPU,
// memory and disk I/O report (`pidstat -u -r -d interval [count]`) as
// Metricbeat-style system.process events, from text files something else
// writes (paths) or by running pidstat itself every period (command).
package pidstat

import (
	_ "embed"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/config"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	inputs.Register(inputs.Plugin{Name: "pidstat", Factory: Factory, Fields: fieldsYAML})
}

// Fields is this input's field catalog (fields.yml).
var Fields = fieldsYAML

// Config is the pidstat input's configuration (see README.md).
type Config = sysstat.Config

// DefaultConfig returns the defaults README.md shows.
func DefaultConfig() Config {
	c := sysstat.DefaultConfig()
	c.Example = `[pidstat, -h, -u, -r, -d, "1", "1"]`
	return c
}

// Factory decodes the section and builds the input.
func Factory(sec config.Section, env inputs.Env) (inputs.Input, error) {
	cfg := DefaultConfig()
	if err := sysstat.Decode(sec, &cfg); err != nil {
		return nil, err
	}
	return New(cfg, env)
}

// New builds the input from a validated config.
func New(cfg Config, env inputs.Env) (inputs.Input, error) {
	if cfg.Loc == nil {
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	return sysstat.NewInput(cfg.File, cfg.Command, nil, env, func(path string) sysstat.LineParser {
		p := NewParser(cfg.Loc, cfg.DateFormat, time.Now)
		p.path = path
		return p
	})
}
