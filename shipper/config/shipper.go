package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"
)

// Config is the core of shipper.yml. Plugin sections (inputs, processors,
// the output) stay Sections until their factories decode them.
type Config struct {
	File string `yaml:"-"`

	Shipper struct {
		Inputs          []Section     `yaml:"inputs"`
		ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
		Registry        struct {
			// Flush is the minimum interval between two registry writes:
			// offsets of acknowledged events are written at most this
			// often (flash wear on routers), and on shutdown.
			Flush time.Duration `yaml:"flush"`
		} `yaml:"registry"`
	} `yaml:"shipper"`

	Name       string         `yaml:"name"`
	Tags       []string       `yaml:"tags"`
	Fields     map[string]any `yaml:"fields"`
	Processors []Section      `yaml:"processors"`

	Output map[string]Section `yaml:"output"`

	Queue struct {
		Mem struct {
			Events int `yaml:"events"`
			Flush  struct {
				// MinEvents caps a batch below the output's
				// bulk_max_size; 0 (default): bulk_max_size.
				MinEvents int           `yaml:"min_events"`
				Timeout   time.Duration `yaml:"timeout"`
			} `yaml:"flush"`
		} `yaml:"mem"`
		// Disk, when present, puts a disk queue in front of the memory
		// queue: inputs go on reading while the output is down, up to
		// max_size on disk (then they pause).
		Disk *DiskQueue `yaml:"disk"`
	} `yaml:"queue"`

	Path struct {
		Home   string `yaml:"home"`
		Data   string `yaml:"data"`
		Logs   string `yaml:"logs"`
		Config string `yaml:"config"`
	} `yaml:"path"`

	Logging struct {
		Level    string `yaml:"level"`
		ToStderr bool   `yaml:"to_stderr"`
		JSON     bool   `yaml:"json"`
		Metrics  struct {
			Enabled bool          `yaml:"enabled"`
			Period  time.Duration `yaml:"period"`
		} `yaml:"metrics"`
	} `yaml:"logging"`

	HTTP struct {
		Enabled bool   `yaml:"enabled"`
		Host    string `yaml:"host"`
		Port    int    `yaml:"port"`
	} `yaml:"http"`

	Setup Section `yaml:"setup"`
}

// DiskQueue is queue.disk. Zero values take the defaults: path
// <path.data>/diskqueue, max_size 32MiB (router flash), segment_size 4MiB,
// sync_interval 1s.
type DiskQueue struct {
	Path         string        `yaml:"path"`
	MaxSize      ByteSize      `yaml:"max_size"`
	SegmentSize  ByteSize      `yaml:"segment_size"`
	SyncInterval time.Duration `yaml:"sync_interval"`
}

// Defaults returns the configuration every file is decoded over.
func Defaults() Config {
	var c Config
	c.Shipper.ShutdownTimeout = 10 * time.Second
	c.Shipper.Registry.Flush = time.Second
	c.Queue.Mem.Events = 2048
	c.Queue.Mem.Flush.Timeout = time.Second
	c.Path.Data = "data"
	c.Logging.Level = "info"
	c.Logging.Metrics.Enabled = true
	c.Logging.Metrics.Period = 30 * time.Second
	c.HTTP.Host = "127.0.0.1"
	c.HTTP.Port = 5066
	return c
}

// Load reads, expands and strictly decodes the file at path, applying -E
// overrides. Every problem found is returned at once.
func Load(path string, overrides []string, opts ...Option) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return LoadBytes(data, path, overrides, opts...)
}

// LoadBytes is Load for text already read; file names it in errors.
func LoadBytes(data []byte, file string, overrides []string, opts ...Option) (*Config, error) {
	root, err := Parse(data, file, overrides, opts...)
	if err != nil {
		return nil, err
	}
	c := Defaults()
	c.File = file
	if err := (Section{Node: root, File: file}).Decode(&c); err != nil {
		return nil, err
	}
	for i := range c.Shipper.Inputs {
		c.Shipper.Inputs[i].File = file
		c.Shipper.Inputs[i].Path = fmt.Sprintf("shipper.inputs[%d]", i)
	}
	for i := range c.Processors {
		c.Processors[i].File = file
		c.Processors[i].Path = fmt.Sprintf("processors[%d]", i)
	}
	for k, s := range c.Output {
		s.File = file
		s.Path = "output." + k
		c.Output[k] = s
	}
	c.Setup.File, c.Setup.Path = file, "setup"
	if err := c.validate(Section{Node: root, File: file}); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) validate(root Section) error {
	var errs []error
	if len(c.Output) == 0 {
		errs = append(errs, &Error{File: c.File, Msg: "no output configured: set exactly one of output.elasticsearch, output.file, output.console"})
	}
	if len(c.Output) > 1 {
		var names []string
		for k := range c.Output {
			names = append(names, "output."+k)
		}
		sort.Strings(names)
		errs = append(errs, root.Errorf("output", "exactly one output may be set, found %d: %s", len(names), strings.Join(names, ", ")))
	}
	if len(c.Shipper.Inputs) == 0 {
		errs = append(errs, root.Errorf("shipper", "no inputs configured: add at least one under shipper.inputs"))
	}
	if c.Queue.Mem.Events <= 0 {
		errs = append(errs, root.Errorf("queue.mem.events", "must be > 0, got %d", c.Queue.Mem.Events))
	}
	if c.Queue.Mem.Flush.MinEvents < 0 {
		errs = append(errs, root.Errorf("queue.mem.flush.min_events", "must be >= 0, got %d", c.Queue.Mem.Flush.MinEvents))
	}
	if c.Shipper.Registry.Flush < 0 {
		errs = append(errs, root.Errorf("shipper.registry.flush", "must be >= 0, got %s", c.Shipper.Registry.Flush))
	}
	if _, err := ParseLevel(c.Logging.Level); err != nil {
		errs = append(errs, root.Errorf("logging.level", "%v", err))
	}
	seen := map[string]int{}
	for i, in := range c.Shipper.Inputs {
		if in.Node == nil || in.String("type") == "" {
			errs = append(errs, in.Errorf("", "type is required (e.g. type: squid)"))
			continue
		}
		id := in.String("id")
		if id == "" {
			continue
		}
		if j, dup := seen[id]; dup {
			errs = append(errs, in.Errorf("id", "id %q is also used by shipper.inputs[%d]; ids must be unique (they key the registry)", id, j))
		}
		seen[id] = i
	}
	return errors.Join(errs...)
}

// ParseLevel maps Beats' level names (debug, info, warning, error) to slog.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warning", "warn":
		return slog.LevelWarn, nil
	case "error", "critical":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown level %q (want debug, info, warning or error)", s)
}

// PluginName returns the single key of a processor section such as
// `- grok: {...}` and its body.
func (s Section) PluginName() (string, Section, error) {
	if s.Node == nil || s.Node.Kind != 4 /* yaml.MappingNode */ || len(s.Node.Content) != 2 {
		return "", Section{}, s.Errorf("", "a processor is a mapping with exactly one key, its name (e.g. - grok: {...})")
	}
	name := s.Node.Content[0].Value
	return name, Section{Node: s.Node.Content[1], File: s.File, Path: s.Path + "." + name}, nil
}
