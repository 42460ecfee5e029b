// Package meminfo is the `meminfo` input: /proc/meminfo as a Metricbeat-style
// system.memory event per reading, read from /proc every period (the
// default), produced by a command, or tailed from files of readings
// something else writes.
package meminfo

import (
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/config"
)

//go:embed fields.yml
var fieldsYAML []byte

// Fields is this input's field catalog (fields.yml).
var Fields = fieldsYAML

func init() {
	inputs.Register(inputs.Plugin{Name: "meminfo", Factory: Factory, Fields: fieldsYAML})
}

// Config is the meminfo input's configuration (see README.md).
type Config struct {
	File    filestream.Config     `yaml:",inline"`
	Command sysstat.CommandConfig `yaml:",inline"`
	// Hostfs is the root under which proc/meminfo is read when neither
	// paths nor command is set (Metricbeat's system.hostfs): "/" on the
	// router, the host's root mounted into a container, or a test tree.
	Hostfs   string `yaml:"hostfs"`
	Timezone string `yaml:"timezone"`

	loc *time.Location
}

// DefaultConfig returns the defaults README.md shows.
func DefaultConfig() Config {
	return Config{
		File:    filestream.DefaultConfig(),
		Command: sysstat.CommandConfig{Period: 10 * time.Second},
		Hostfs:  "/",
	}
}

// Validate checks the chosen mode's keys.
func (c *Config) Validate() error {
	var errs []error
	switch {
	case len(c.File.Paths) > 0 && len(c.Command.Command) > 0:
		errs = append(errs, errors.New("command: set either paths (tail files) or command (run it), not both"))
	case len(c.File.Paths) > 0:
		errs = append(errs, c.File.Validate())
	default:
		if len(c.Command.Command) > 0 && c.Command.Command[0] == "" {
			errs = append(errs, errors.New("command: the program name is empty"))
		}
		errs = append(errs, c.Command.Validate())
	}
	if c.Hostfs == "" {
		errs = append(errs, errors.New("hostfs: must not be empty (\"/\" reads /proc/meminfo)"))
	}
	loc, err := sysstat.LoadLocation(c.Timezone)
	if err != nil {
		errs = append(errs, fmt.Errorf("timezone: %v", err))
	}
	c.loc = loc
	return errors.Join(errs...)
}

// Factory decodes the section and builds the input.
func Factory(sec config.Section, env inputs.Env) (inputs.Input, error) {
	cfg := DefaultConfig()
	if err := sysstat.Decode(sec, &cfg); err != nil {
		return nil, err
	}
	return New(cfg, env)
}

// New builds the input from a config (validated here if it was not).
func New(cfg Config, env inputs.Env) (inputs.Input, error) {
	if cfg.loc == nil {
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	var src sysstat.Source
	if len(cfg.File.Paths) == 0 && len(cfg.Command.Command) == 0 {
		src = sysstat.FileSource(filepath.Join(cfg.Hostfs, "proc", "meminfo"))
	}
	return sysstat.NewInput(cfg.File, cfg.Command, src, env, func(string) sysstat.LineParser {
		return NewParser(cfg.loc, time.Now)
	})
}
