package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the core of shipper.yml. Plugin sections (inputs, processors,
// the output) stay Sections until their factories decode them.
type Config struct {
	File string `yaml:"-"`
	// Overrides are the -E key=value the file was loaded with; an error
	// about a key they set is blamed on them (BlameOverrides).
	Overrides []string `yaml:"-"`
	// Root is the configuration as read: ${NAME} resolved, -E applied,
	// dotted keys expanded, disabled outputs and refused keys removed.
	Root *yaml.Node `yaml:"-"`

	Shipper struct {
		Inputs          []Section     `yaml:"inputs"`
		ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
		Registry        struct {
			// Flush is the minimum interval between two registry writes:
			// offsets of acknowledged events are written at most this
			// often (flash wear on routers), and on shutdown.
			Flush time.Duration `yaml:"flush"`
			// Path is the registry's directory, relative to path.data
			// (filebeat.registry.path); "" is path.data itself.
			Path string `yaml:"-"`
		} `yaml:"registry"`
	} `yaml:"shipper"`

	// Filebeat holds the filebeat.* keys an unchanged filebeat.yml has;
	// LoadBytes maps them onto Shipper (issue 15).
	Filebeat struct {
		Inputs          []Section      `yaml:"inputs"`
		ShutdownTimeout *time.Duration `yaml:"shutdown_timeout"`
		Registry        struct {
			Path            string         `yaml:"path"`
			Flush           *time.Duration `yaml:"flush"`
			FilePermissions string         `yaml:"file_permissions"`
		} `yaml:"registry"`
	} `yaml:"filebeat"`

	Name            string         `yaml:"name"`
	Tags            []string       `yaml:"tags"`
	Fields          map[string]any `yaml:"fields"`
	FieldsUnderRoot bool           `yaml:"fields_under_root"`
	Processors      []Section      `yaml:"processors"`
	// MaxProcs is Beats' max_procs: how many threads run Go code at
	// once (GOMAXPROCS). Default DefaultMaxProcs, 1 (Beats: every CPU);
	// 0: Go's default, every CPU the process may use. GOMAXPROCS in the
	// environment wins.
	MaxProcs int `yaml:"max_procs"`
	// MemoryLimit is the Go runtime's soft memory limit
	// (runtime/debug.SetMemoryLimit): the heap, goroutine stacks and the
	// runtime's own structures, not the binary's pages. The collector runs
	// more often as it is approached, instead of letting the heap grow
	// to three times its live size (issue 17). Named as fleet-server's
	// runtime.memory_limit, beside Beats' max_procs; 0: no limit.
	// GOMEMLIMIT in the environment wins.
	MemoryLimit ByteSize `yaml:"memory_limit"`
	// GCPercent is Beats' gc_percent: the collector's heap growth between
	// collections, in percent (runtime/debug.SetGCPercent). Default 200
	// (Go's is 100; Beats leaves Go's); 0: the default, as in Beats. GOGC
	// in the environment wins, as GOMEMLIMIT wins over memory_limit.
	GCPercent int `yaml:"gc_percent"`

	Output map[string]Section `yaml:"output"`

	Queue struct {
		Mem struct {
			Events int `yaml:"events"`
			// Bytes bounds the estimated size of the events not yet
			// final, beside Events (Beats' queue.mem.bytes); 0: none.
			Bytes ByteSize `yaml:"bytes"`
			Flush struct {
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
		Level     string   `yaml:"level"`
		Selectors []string `yaml:"selectors"`
		ToStderr  bool     `yaml:"to_stderr"`
		JSON      bool     `yaml:"json"`
		ToFiles   bool     `yaml:"to_files"`
		Files     LogFiles `yaml:"files"`
		Metrics   struct {
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

// LogFiles is logging.files, read when logging.to_files is true. Defaults:
// path path.logs, name "shipper", rotateeverybytes 10MiB, keepfiles 7,
// permissions 0600 (Filebeat's).
type LogFiles struct {
	Path             string   `yaml:"path"`
	Name             string   `yaml:"name"`
	RotateEveryBytes ByteSize `yaml:"rotateeverybytes"`
	KeepFiles        int      `yaml:"keepfiles"`
	Permissions      string   `yaml:"permissions"`
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

// DefaultMaxProcs is max_procs' default: one core, on a router whose
// other cores are for its own work; on one core the squid benchmark costs
// less CPU per event than on two (cli.applyMaxProcs; README, CPU).
const DefaultMaxProcs = 1

// DefaultMemoryLimit is memory_limit's default: with the binary's own
// pages (about 11 MiB) the process stays under 32 MiB resident on the squid
// benchmark, also on a busy machine (29 MiB; 33–35 without). 20 MiB gave
// 25 MiB but twice the collections, 15 % more CPU (README, Memory).
const DefaultMemoryLimit = 24 * MiB

// MinMemoryLimit is the smallest memory_limit accepted: an idle shipper's
// runtime already holds about 5 MiB, and below this the collector would run
// almost continuously.
const MinMemoryLimit = 8 * MiB

// DefaultGCPercent is gc_percent's default: the heap of a shipper is small
// and short-lived (a bounded queue of events), and collecting at 200 %
// growth instead of Go's 100 % costs a few MiB and saved about a quarter of
// the CPU per event (200k squid lines: 1.73 → 1.30 CPU-s, RSS 26 → 31 MiB).
const DefaultGCPercent = 200

// DefaultQueueEvents is queue.mem.events' default (Filebeat: 3200): a
// router's RAM, and on one core a queue of 1024 squid events cost less
// CPU per event than one of 2048: the events are encoded while they are
// still in the core's cache (README, CPU).
const DefaultQueueEvents = 1024

// DefaultQueueBytes is queue.mem.bytes' default: above what
// queue.mem.events' 1024 squid events are estimated at (3.0 KB each, 3.0 MB
// in all), so the bound changes nothing for ordinary lines, and stops
// large ones (multiline, big JSON, long URLs) at 8 MiB, within memory_limit.
const DefaultQueueBytes = 8 * MiB

// MinQueueBytes is the smallest queue.mem.bytes accepted (Beats' minimum).
const MinQueueBytes = 32 * KiB

// Defaults returns the configuration every file is decoded over.
func Defaults() Config {
	var c Config
	c.Shipper.ShutdownTimeout = 10 * time.Second
	c.Shipper.Registry.Flush = time.Second
	c.MemoryLimit = DefaultMemoryLimit
	c.GCPercent = DefaultGCPercent
	c.MaxProcs = DefaultMaxProcs
	c.Queue.Mem.Events = DefaultQueueEvents
	c.Queue.Mem.Bytes = DefaultQueueBytes
	c.Queue.Mem.Flush.Timeout = time.Second
	c.Path.Data = "data"
	c.Logging.Level = "info"
	c.Logging.Metrics.Enabled = true
	c.Logging.Metrics.Period = 30 * time.Second
	c.Logging.Files.Name = "shipper"
	c.Logging.Files.RotateEveryBytes = 10 * MiB
	c.Logging.Files.KeepFiles = 7
	c.Logging.Files.Permissions = "0600"
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
//
// Every problem is reported, not only the first (issue 19). When the text
// parsed but some keys are wrong, the returned *Config is not nil: it holds
// what could be read, so that `test config` can go on to build the plugins
// and report their problems too. Callers that run it must check err first.
func LoadBytes(data []byte, file string, overrides []string, opts ...Option) (*Config, error) {
	root, err := Parse(data, file, overrides, opts...)
	if err != nil {
		return nil, BlameOverrides(err, overrides)
	}
	rs := Section{Node: root, File: file}
	var errs []error
	errs = append(errs, dropDisabledOutputs(root, file)...)
	errs = append(errs, refuseUnsupported(root, file)...)
	c := Defaults()
	c.File = file
	if err := rs.Decode(&c); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.mapFilebeat(rs)...)
	for i := range c.Shipper.Inputs {
		c.Shipper.Inputs[i].File = file
		if c.Shipper.Inputs[i].Path == "" {
			c.Shipper.Inputs[i].Path = fmt.Sprintf("shipper.inputs[%d]", i)
		}
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
	if err := c.validate(rs); err != nil {
		errs = append(errs, err)
	}
	c.Overrides, c.Root = overrides, root
	return &c, BlameOverrides(errors.Join(errs...), overrides)
}

// mapFilebeat moves the filebeat.* keys of an unchanged filebeat.yml onto
// their shipper.* homes; the same setting in both spellings is an error
// naming both lines.
func (c *Config) mapFilebeat(root Section) []error {
	var errs []error
	both := func(fb, sh string) bool {
		a, b := root.Lookup(fb), root.Lookup(sh)
		if a == nil || b == nil {
			return false
		}
		errs = append(errs, root.keyErrorf(fb, "set twice: also as %s on line %d; keep one", sh, b.Line))
		return true
	}
	fb := &c.Filebeat
	if len(fb.Inputs) > 0 && !both("filebeat.inputs", "shipper.inputs") {
		c.Shipper.Inputs = fb.Inputs
		for i := range c.Shipper.Inputs {
			c.Shipper.Inputs[i].Path = fmt.Sprintf("filebeat.inputs[%d]", i)
		}
	}
	if fb.ShutdownTimeout != nil && !both("filebeat.shutdown_timeout", "shipper.shutdown_timeout") {
		c.Shipper.ShutdownTimeout = *fb.ShutdownTimeout
	}
	if fb.Registry.Flush != nil && !both("filebeat.registry.flush", "shipper.registry.flush") {
		c.Shipper.Registry.Flush = *fb.Registry.Flush
	}
	c.Shipper.Registry.Path = fb.Registry.Path
	if p := fb.Registry.FilePermissions; p != "" {
		if m, err := strconv.ParseUint(p, 8, 32); err != nil || m != 0o600 {
			errs = append(errs, root.Errorf("filebeat.registry.file_permissions", "only 0600 is supported (the registry is always written 0600), got %s", p))
		}
	}
	return errs
}

// dropDisabledOutputs removes the outputs with enabled: false, as Beats
// does before it checks that exactly one output is set, and takes the
// enabled key out of the others (the framework's key, not the plugin's).
func dropDisabledOutputs(root *yaml.Node, file string) []error {
	out := Section{Node: root}.Lookup("output")
	if out == nil || out.Kind != yaml.MappingNode {
		return nil
	}
	var errs []error
	var kept []*yaml.Node
	for i := 0; i+1 < len(out.Content); i += 2 {
		k, v := out.Content[i], out.Content[i+1]
		sec := Section{Node: v, File: file, Path: "output." + k.Value}
		on, err := sec.Enabled()
		if err != nil {
			errs = append(errs, err)
		}
		if !on {
			continue
		}
		if v.Kind == yaml.MappingNode {
			cp := *v
			cp.Content = nil
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value != "enabled" {
					cp.Content = append(cp.Content, v.Content[j], v.Content[j+1])
				}
			}
			v = &cp
		}
		kept = append(kept, k, v)
	}
	out.Content = kept
	return errs
}

// Enabled reports the section's `enabled` key (default true), read as
// Beats reads a bool.
func (s Section) Enabled() (bool, error) {
	n := s.Lookup("enabled")
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return true, nil
	}
	switch strings.ToLower(strings.TrimSpace(n.Value)) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return true, s.Errorf("enabled", "want true or false, got %q", n.Value)
}

func (c *Config) validate(root Section) error {
	var errs []error
	if len(c.Output) == 0 {
		errs = append(errs, &Error{File: c.File, Msg: "no enabled output: set exactly one of output.elasticsearch, output.file, output.console"})
	}
	if len(c.Output) > 1 {
		var names []string
		for k := range c.Output {
			names = append(names, "output."+k)
		}
		sort.Strings(names)
		errs = append(errs, root.Errorf("output", "exactly one enabled output is allowed, found %d: %s (disable the others with enabled: false)", len(names), strings.Join(names, ", ")))
	}
	enabled := 0
	for _, in := range c.Shipper.Inputs {
		if on, _ := in.Enabled(); on {
			enabled++
		}
	}
	if enabled == 0 {
		msg := "no enabled inputs: add at least one under filebeat.inputs (or shipper.inputs)"
		switch {
		case root.Lookup("filebeat.inputs") != nil:
			errs = append(errs, root.keyErrorf("filebeat.inputs", "%s", msg))
		case root.Lookup("shipper.inputs") != nil:
			errs = append(errs, root.keyErrorf("shipper.inputs", "%s", msg))
		default:
			errs = append(errs, &Error{File: c.File, Msg: msg})
		}
	}
	if c.Queue.Mem.Events <= 0 {
		errs = append(errs, root.Errorf("queue.mem.events", "must be > 0, got %d", c.Queue.Mem.Events))
	}
	if b := c.Queue.Mem.Bytes; b != 0 && b < MinQueueBytes {
		errs = append(errs, root.Errorf("queue.mem.bytes", "must be 0 (no byte bound) or at least %dKiB (as in Beats), got %d bytes", MinQueueBytes/KiB, b))
	}
	if c.Queue.Mem.Flush.MinEvents < 0 {
		errs = append(errs, root.Errorf("queue.mem.flush.min_events", "must be >= 0, got %d", c.Queue.Mem.Flush.MinEvents))
	}
	if c.Shipper.Registry.Flush < 0 {
		errs = append(errs, root.Errorf("shipper.registry.flush", "must be >= 0, got %s", c.Shipper.Registry.Flush))
	}
	if c.MaxProcs < 0 {
		errs = append(errs, root.Errorf("max_procs", "must be >= 0 (0: every CPU), got %d", c.MaxProcs))
	}
	if c.MemoryLimit != 0 && c.MemoryLimit < MinMemoryLimit {
		errs = append(errs, root.Errorf("memory_limit", "must be 0 (no limit) or at least %dMiB, got %d bytes", MinMemoryLimit/MiB, c.MemoryLimit))
	}
	if c.GCPercent < 0 {
		errs = append(errs, root.Errorf("gc_percent", "must be > 0 (0: the default, %d; GOGC=off in the environment turns the collector off), got %d", DefaultGCPercent, c.GCPercent))
	}
	if _, err := ParseLevel(c.Logging.Level); err != nil {
		errs = append(errs, root.Errorf("logging.level", "%v", err))
	}
	if c.Logging.ToFiles {
		f := c.Logging.Files
		if f.RotateEveryBytes <= 0 {
			errs = append(errs, root.Errorf("logging.files.rotateeverybytes", "must be > 0, got %d", f.RotateEveryBytes))
		}
		if f.KeepFiles < 2 || f.KeepFiles > 1024 {
			errs = append(errs, root.Errorf("logging.files.keepfiles", "must be between 2 and 1024 (as in Filebeat), got %d", f.KeepFiles))
		}
		if _, err := strconv.ParseUint(f.Permissions, 8, 32); err != nil {
			errs = append(errs, root.Errorf("logging.files.permissions", "want an octal mode such as 0600, got %q", f.Permissions))
		}
		if f.Name == "" || strings.ContainsRune(f.Name, '/') {
			errs = append(errs, root.Errorf("logging.files.name", "want a file name without /, got %q", f.Name))
		}
	}
	seen := map[string]string{}
	for _, in := range c.Shipper.Inputs {
		if on, err := in.Enabled(); err != nil {
			errs = append(errs, err)
			continue
		} else if !on {
			continue // as Filebeat: a disabled input is not read further
		}
		if in.Node == nil || in.String("type") == "" {
			errs = append(errs, in.Errorf("", "type is required (e.g. type: filestream)"))
			continue
		}
		id := in.String("id")
		if id == "" {
			continue
		}
		if other, dup := seen[id]; dup {
			errs = append(errs, in.Errorf("id", "id %q is also used by %s; ids must be unique (they key the registry)", id, other))
		}
		seen[id] = in.Path
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
