package filestream

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/shipper-project/shipper/shipper/config"
)

// Config is the tailing part of every file-based input; plugins embed it
// with `yaml:",inline"`.
type Config struct {
	Paths        []string        `yaml:"paths"`
	ExcludeFiles []string        `yaml:"exclude_files"`
	Prospector   prospectorConf  `yaml:"prospector"`
	Close        closeConf       `yaml:"close"`
	FileIdentity string          `yaml:"file_identity"` // fingerprint (default), native (device+inode) or path
	StartPos     string          `yaml:"start_position"`
	IgnoreOlder  time.Duration   `yaml:"ignore_older"`
	MaxBytes     config.ByteSize `yaml:"message_max_bytes"`
	HarvesterLim int             `yaml:"harvester_limit"`
	BufferSize   config.ByteSize `yaml:"buffer_size"`
	CleanRemoved bool            `yaml:"clean_removed"`
	// CleanInactive forgets the cursor of a file not updated for this long
	// (0: never). It must exceed ignore_older, or a forgotten file that is
	// still in the glob would be read again from the start.
	CleanInactive time.Duration `yaml:"clean_inactive"`
	// Backoff between two reads of a file at its end when no event says it
	// grew (fsnotify usually wakes the reader earlier).
	Backoff backoffConf `yaml:"backoff"`
}

type prospectorConf struct {
	Scanner struct {
		CheckInterval time.Duration `yaml:"check_interval"`
		// Fingerprint: the identity of a file is the SHA-256 of `length`
		// bytes from `offset`; a file shorter than that is read under a
		// provisional identity (its inode) until it grows.
		Fingerprint struct {
			Offset int64 `yaml:"offset"`
			Length int64 `yaml:"length"`
		} `yaml:"fingerprint"`
	} `yaml:"scanner"`
}

type closeConf struct {
	OnStateChange struct {
		Inactive time.Duration `yaml:"inactive"`
		Removed  bool          `yaml:"removed"`
	} `yaml:"on_state_change"`
}

type backoffConf struct {
	Init time.Duration `yaml:"init"`
	Max  time.Duration `yaml:"max"`
}

// DefaultConfig is the single place the defaults live; README.md shows the
// same values.
func DefaultConfig() Config {
	c := Config{
		FileIdentity: "fingerprint",
		ExcludeFiles: []string{"*.gz"},
		StartPos:     "beginning",
		MaxBytes:     10 * config.MiB,
		BufferSize:   64 * config.KiB,
		CleanRemoved: true,
	}
	c.Prospector.Scanner.CheckInterval = 10 * time.Second
	c.Prospector.Scanner.Fingerprint.Length = 256
	c.Close.OnStateChange.Inactive = 5 * time.Minute
	c.Close.OnStateChange.Removed = true
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
	for _, p := range append(append([]string(nil), c.Paths...), c.ExcludeFiles...) {
		if _, err := filepath.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("paths: bad glob %q: %v", p, err))
		}
	}
	switch c.FileIdentity {
	case "fingerprint", "native", "path":
	default:
		errs = append(errs, fmt.Errorf("file_identity: unknown %q (want fingerprint, native or path)", c.FileIdentity))
	}
	if fp := c.Prospector.Scanner.Fingerprint; fp.Length < 64 || fp.Length > 1<<20 || fp.Offset < 0 {
		errs = append(errs, fmt.Errorf("prospector.scanner.fingerprint: want 64 <= length <= 1MiB and offset >= 0, got length %d offset %d", fp.Length, fp.Offset))
	}
	switch c.StartPos {
	case "beginning", "end":
	default:
		errs = append(errs, fmt.Errorf("start_position: unknown %q (want beginning or end)", c.StartPos))
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
	if c.Backoff.Init <= 0 || c.Backoff.Max < c.Backoff.Init {
		errs = append(errs, fmt.Errorf("backoff: want 0 < init <= max, got init %s max %s", c.Backoff.Init, c.Backoff.Max))
	}
	return errors.Join(errs...)
}
