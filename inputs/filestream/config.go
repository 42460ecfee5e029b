package filestream

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/shipper/config"
)

// Config is the tailing part of every file-based input; plugins embed it
// with `yaml:",inline"`. Keys and meanings are Filebeat's filestream ones
// (filebeat/input/filestream/config.go); README.md lists where a default
// differs and why, and the keys that are refused.
type Config struct {
	Paths []string `yaml:"paths"`
	// ExcludeFiles is the log input's spelling of
	// prospector.scanner.exclude_files (regexes on the full path); both
	// lists apply.
	ExcludeFiles regexList      `yaml:"exclude_files"`
	Prospector   prospectorConf `yaml:"prospector"`
	Close        closeConf      `yaml:"close"`
	FileIdentity fileIdentity   `yaml:"file_identity"` // fingerprint (default), native (device+inode) or path
	StartPos     string         `yaml:"start_position"`
	IgnoreOlder  time.Duration  `yaml:"ignore_older"`
	// IgnoreInactive skips files not written since the shipper's first
	// start (since_first_start) or its last one (since_last_start).
	IgnoreInactive string          `yaml:"ignore_inactive"`
	MaxBytes       config.ByteSize `yaml:"message_max_bytes"`
	HarvesterLim   int             `yaml:"harvester_limit"`
	BufferSize     config.ByteSize `yaml:"buffer_size"`
	CleanRemoved   bool            `yaml:"clean_removed"`
	// CleanInactive forgets the cursor of a file not updated for this long
	// (0 or negative, Filebeat's -1: never). It must exceed ignore_older, or a forgotten file
	// that is still in the glob would be read again from the start.
	CleanInactive time.Duration `yaml:"clean_inactive"`
	// Backoff between two reads of a file at its end when no event says it
	// grew (fsnotify usually wakes the reader earlier).
	Backoff backoffConf `yaml:"backoff"`

	// The reader chain: encoding, line splitting, parsers (in the order
	// listed), then include_lines/exclude_lines, then the plugin's parser.
	Encoding       encoding     `yaml:"encoding"`
	LineTerminator string       `yaml:"line_terminator"`
	IncludeLines   regexList    `yaml:"include_lines"`
	ExcludeLines   regexList    `yaml:"exclude_lines"`
	Parsers        parsers      `yaml:"parsers"`
	Rotation       rotationConf `yaml:"rotation"`

	// Filebeat keys that are refused, each with the reason.
	TakeOver       unsupported[whyTakeOver] `yaml:"take_over"`
	AllowIDDup     unsupported[whyIDDup]    `yaml:"allow_deprecated_id_duplication"`
	Delete         unsupported[whyDelete]   `yaml:"delete"`
	Compression    unsupported[whyGzip]     `yaml:"compression"`
	GzipExperiment unsupported[whyGzip]     `yaml:"gzip_experimental"`
}

type prospectorConf struct {
	Scanner scannerConf `yaml:"scanner"`
}

type scannerConf struct {
	CheckInterval time.Duration `yaml:"check_interval"`
	// ExcludeFiles and IncludeFiles are regexes matched against the full
	// path (Filebeat's match.Matcher): a file is read when it matches no
	// exclude and, if include_files is set, one include.
	ExcludeFiles regexList `yaml:"exclude_files"`
	IncludeFiles regexList `yaml:"include_files"`
	// RecursiveGlob expands `**` in paths to up to 8 directory levels.
	RecursiveGlob bool `yaml:"recursive_glob"`
	// Symlinks: read files that are symlinks (off, as in Filebeat).
	Symlinks bool `yaml:"symlinks"`
	// Fingerprint: the identity of a file is the SHA-256 of `length`
	// bytes from `offset`; a file shorter than that is read under a
	// provisional identity (its inode) until it grows.
	Fingerprint struct {
		Enabled bool  `yaml:"enabled"`
		Offset  int64 `yaml:"offset"`
		Length  int64 `yaml:"length"`
	} `yaml:"fingerprint"`
	ResendOnTouch unsupported[whyTouch] `yaml:"resend_on_touch"`
}

type closeConf struct {
	OnStateChange struct {
		Inactive      time.Duration `yaml:"inactive"`
		Removed       bool          `yaml:"removed"`
		Renamed       bool          `yaml:"renamed"`
		CheckInterval time.Duration `yaml:"check_interval"`
	} `yaml:"on_state_change"`
	Reader struct {
		OnEOF         bool          `yaml:"on_eof"`
		AfterInterval time.Duration `yaml:"after_interval"`
	} `yaml:"reader"`
}

type backoffConf struct {
	Init time.Duration `yaml:"init"`
	Max  time.Duration `yaml:"max"`
}

// rotationConf is Filebeat's rotation.external.strategy.copytruncate: the
// rotated copies (original name + suffix) continue the original. The tail
// engine does that by fingerprint identity (a copy has the first bytes of
// its original), so the strategy needs that identity and the rotated names
// in paths; suffix_regex is checked, dateformat only validated.
type rotationConf struct {
	External struct {
		Strategy struct {
			CopyTruncate *struct {
				SuffixRegex string `yaml:"suffix_regex"`
				DateFormat  string `yaml:"dateformat"`
			} `yaml:"copytruncate"`
		} `yaml:"strategy"`
	} `yaml:"external"`
	Internal unsupported[whyRotationInternal] `yaml:"internal"`
}

// fileIdentity is a file_identity: a name (`file_identity: native`, this
// project's spelling) or Filebeat's namespace (`file_identity.native: ~`).
type fileIdentity string

// UnmarshalYAML accepts a name or a one-key mapping.
func (f *fileIdentity) UnmarshalYAML(n *yaml.Node) error {
	name := n.Value
	if n.Kind == yaml.MappingNode {
		if len(n.Content) != 2 {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want exactly one of fingerprint, native or path", n.Line)}}
		}
		name = n.Content[0].Value
		if name == "inode_marker" {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: file_identity.inode_marker is not supported (a marker file on a volume whose device id changes; use fingerprint, the default)", n.Line)}}
		}
		if v := n.Content[1]; !(v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "")) && !(v.Kind == yaml.MappingNode && len(v.Content) == 0) {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: file_identity.%s takes no options", v.Line, name)}}
		}
	} else if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want fingerprint, native or path", n.Line)}}
	}
	switch name {
	case "fingerprint", "native", "path":
		*f = fileIdentity(name)
		return nil
	case "inode_marker":
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: file_identity.inode_marker is not supported (a marker file on a volume whose device id changes; use fingerprint, the default)", n.Line)}}
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: unknown file_identity %q (want fingerprint, native or path)", n.Line, name)}}
}

// DefaultConfig is the single place the defaults live; README.md shows the
// same values.
func DefaultConfig() Config {
	c := Config{
		FileIdentity:   "fingerprint",
		StartPos:       "beginning",
		MaxBytes:       10 * config.MiB,
		BufferSize:     64 * config.KiB,
		CleanRemoved:   true,
		Encoding:       "plain",
		LineTerminator: "auto",
	}
	c.Prospector.Scanner.CheckInterval = 10 * time.Second
	c.Prospector.Scanner.ExcludeFiles = mustRegexes(`\.gz$`)
	c.Prospector.Scanner.RecursiveGlob = true
	c.Prospector.Scanner.Fingerprint.Enabled = true
	c.Prospector.Scanner.Fingerprint.Length = 256
	c.Close.OnStateChange.Inactive = 5 * time.Minute
	c.Close.OnStateChange.Removed = true
	c.Close.OnStateChange.CheckInterval = 5 * time.Second
	c.Backoff.Init = 250 * time.Millisecond
	c.Backoff.Max = 2 * time.Second
	return c
}

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Paths) == 0 {
		errs = append(errs, errors.New("paths: at least one path is required"))
	}
	for _, p := range c.Paths {
		if _, err := filepath.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("paths: bad glob %q: %v", p, err))
		}
	}
	if _, err := c.globs(); err != nil {
		errs = append(errs, fmt.Errorf("paths: %v", err))
	}
	switch c.FileIdentity {
	case "fingerprint", "native", "path":
	default:
		errs = append(errs, fmt.Errorf("file_identity: unknown %q (want fingerprint, native or path)", c.FileIdentity))
	}
	if c.FileIdentity == "fingerprint" && !c.Prospector.Scanner.Fingerprint.Enabled {
		errs = append(errs, errors.New("prospector.scanner.fingerprint.enabled: file_identity fingerprint (the default) needs it; set file_identity: native to read without fingerprints"))
	}
	if fp := c.Prospector.Scanner.Fingerprint; fp.Length < 64 || fp.Length > 1<<20 || fp.Offset < 0 {
		errs = append(errs, fmt.Errorf("prospector.scanner.fingerprint: want 64 <= length <= 1MiB and offset >= 0, got length %d offset %d", fp.Length, fp.Offset))
	}
	switch c.StartPos {
	case "beginning", "end":
	default:
		errs = append(errs, fmt.Errorf("start_position: unknown %q (want beginning or end)", c.StartPos))
	}
	switch c.IgnoreInactive {
	case "", "since_first_start", "since_last_start":
	default:
		errs = append(errs, fmt.Errorf("ignore_inactive: unknown %q (want since_first_start or since_last_start)", c.IgnoreInactive))
	}
	switch c.LineTerminator {
	case "auto", "line_feed":
	default:
		errs = append(errs, fmt.Errorf("line_terminator: %q is not supported (only auto and line_feed: lines end at \\n, a \\r before it is dropped with auto)", c.LineTerminator))
	}
	if c.MaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("message_max_bytes: must be > 0, got %d", c.MaxBytes))
	}
	if c.BufferSize < 512 {
		errs = append(errs, fmt.Errorf("buffer_size: must be >= 512, got %d", c.BufferSize))
	}
	if c.CleanInactive > 0 && (c.IgnoreOlder == 0 || c.CleanInactive <= c.IgnoreOlder+c.Prospector.Scanner.CheckInterval) {
		errs = append(errs, fmt.Errorf("clean_inactive: must be greater than ignore_older + prospector.scanner.check_interval (%s + %s), got %s; otherwise files still in the glob are read again from the start", c.IgnoreOlder, c.Prospector.Scanner.CheckInterval, c.CleanInactive))
	}
	if c.HarvesterLim < 0 {
		errs = append(errs, fmt.Errorf("harvester_limit: must be >= 0, got %d", c.HarvesterLim))
	}
	if c.Prospector.Scanner.CheckInterval <= 0 {
		errs = append(errs, fmt.Errorf("prospector.scanner.check_interval: must be > 0, got %s", c.Prospector.Scanner.CheckInterval))
	}
	if c.Close.OnStateChange.CheckInterval <= 0 {
		errs = append(errs, fmt.Errorf("close.on_state_change.check_interval: must be > 0, got %s", c.Close.OnStateChange.CheckInterval))
	}
	if c.Close.Reader.AfterInterval < 0 {
		errs = append(errs, fmt.Errorf("close.reader.after_interval: must be >= 0, got %s", c.Close.Reader.AfterInterval))
	}
	if c.Backoff.Init <= 0 || c.Backoff.Max < c.Backoff.Init {
		errs = append(errs, fmt.Errorf("backoff: want 0 < init <= max, got init %s max %s", c.Backoff.Init, c.Backoff.Max))
	}
	if ct := c.Rotation.External.Strategy.CopyTruncate; ct != nil {
		if ct.SuffixRegex == "" {
			errs = append(errs, errors.New("rotation.external.strategy.copytruncate.suffix_regex: required"))
		} else if _, err := regexp.Compile(ct.SuffixRegex); err != nil {
			errs = append(errs, fmt.Errorf("rotation.external.strategy.copytruncate.suffix_regex: invalid regular expression: %v", err))
		}
		if c.FileIdentity != "fingerprint" {
			errs = append(errs, fmt.Errorf("rotation.external.strategy.copytruncate: needs file_identity fingerprint (copies are told from their original by their first bytes), got %s", c.FileIdentity))
		}
	}
	return errors.Join(errs...)
}

// excluded reports whether path is left out by exclude_files / include_files.
func (c *Config) excluded(path string) bool {
	sc := &c.Prospector.Scanner
	if sc.ExcludeFiles.matchString(path) || c.ExcludeFiles.matchString(path) {
		return true
	}
	return len(sc.IncludeFiles) > 0 && !sc.IncludeFiles.matchString(path)
}

// why* name the reason a Filebeat key is refused.
type (
	whyTakeOver         struct{}
	whyIDDup            struct{}
	whyDelete           struct{}
	whyGzip             struct{}
	whyTouch            struct{}
	whyRotationInternal struct{}
)

func (whyTakeOver) why() string {
	return "taking over the log input's registry needs Filebeat's registry; the shipper keeps its own under path.data"
}
func (whyIDDup) why() string {
	return "input ids key the registry and must be unique"
}
func (whyDelete) why() string {
	return "the shipper never deletes the files it reads"
}
func (whyGzip) why() string {
	return "gzip files are not read (they are excluded by default: prospector.scanner.exclude_files)"
}
func (whyTouch) why() string {
	return "a touched file of the same size is not read again"
}
func (whyRotationInternal) why() string {
	return "only rotation.external.strategy.copytruncate exists"
}

type reason interface{ why() string }

// unsupported is a Filebeat key the shipper refuses: any value is an error
// that names the key (by its line) and the reason.
type unsupported[R reason] struct{}

// UnmarshalYAML refuses the key, unless it says "off" (false, none, or
// enabled: false), which is what the shipper does anyway.
func (unsupported[R]) UnmarshalYAML(n *yaml.Node) error {
	off := func(v *yaml.Node) bool {
		return v.Kind == yaml.ScalarNode && (v.Value == "false" || v.Value == "none" || v.Value == "" || v.Tag == "!!null")
	}
	if off(n) {
		return nil
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "enabled" && off(n.Content[1]) {
		return nil
	}
	var r R
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: not supported: %s", n.Line, r.why())}}
}
