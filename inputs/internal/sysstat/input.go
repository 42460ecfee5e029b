package sysstat

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/shipper/config"
)

// Config is the configuration shared by the mpstat and pidstat inputs:
// either paths (tail text files something else writes) or command (run it
// every period), plus how to read the text's dates and times.
type Config struct {
	File    filestream.Config `yaml:",inline"`
	Command CommandConfig     `yaml:",inline"`
	// Timezone is the IANA zone of the times in the text ("" = system).
	Timezone string `yaml:"timezone"`
	// DateFormat says how to read the header date (auto, mdy, dmy, ymd).
	DateFormat DateOrder `yaml:"date_format"`

	Loc *time.Location `yaml:"-"`
	// Example is the command the "paths or command is required" error
	// suggests (each input sets its own program's).
	Example string `yaml:"-"`
}

// DefaultConfig holds the defaults both inputs share; README.md shows them.
func DefaultConfig() Config {
	return Config{
		File: filestream.DefaultConfig(),
		Command: CommandConfig{
			Period: 10 * time.Second,
			// Stable text whatever the host's locale; set env: [] to
			// inherit shipper's environment instead.
			Env: []string{"LC_ALL=C", "S_TIME_FORMAT=ISO"},
		},
		DateFormat: DateAuto,
	}
}

// Validate checks that exactly one mode is chosen, then that mode's keys.
func (c *Config) Validate() error {
	var errs []error
	switch {
	case len(c.File.Paths) > 0 && len(c.Command.Command) > 0:
		errs = append(errs, errors.New("command: set either paths (tail files) or command (run it), not both"))
	case len(c.File.Paths) > 0:
		errs = append(errs, c.File.Validate())
	case len(c.Command.Command) > 0:
		if c.Command.Command[0] == "" {
			errs = append(errs, errors.New("command: the program name is empty"))
		}
		errs = append(errs, c.Command.Validate())
	default:
		errs = append(errs, fmt.Errorf("paths: one of paths (tail files) or command (run it) is required, e.g. command: %s", c.Example))
	}
	loc, err := LoadLocation(c.Timezone)
	if err != nil {
		errs = append(errs, fmt.Errorf("timezone: %v", err))
	}
	c.Loc = loc
	return errors.Join(errs...)
}

// Decode decodes an input section over cfg (its defaults).
func Decode(sec config.Section, cfg any) error {
	return sec.Decode(cfg, inputs.CommonKeys...)
}

// NewInput builds the input of either mode around the same parser: the tail
// engine with one parser per file (newParser gets the file's path), or a
// Poller with one parser per run (path "").
func NewInput(file filestream.Config, cmd CommandConfig, src Source, env inputs.Env, newParser func(path string) LineParser) (inputs.Input, error) {
	if len(file.Paths) > 0 {
		in, err := filestream.New(file, env, func(path string) filestream.Parser { return newParser(path) })
		if err != nil {
			return nil, err
		}
		return in, nil
	}
	if src == nil {
		src = CommandSource(cmd)
	}
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{
		Source:    src,
		Period:    cmd.Period,
		Once:      env.Once,
		NewParser: func() LineParser { return newParser("") },
		Log:       log,
		Metrics:   env.Metrics,
		Name:      env.Name,
	}, nil
}
