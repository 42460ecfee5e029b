package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/runner"
)

// TestConfig is `shipper test config`: load the file, build every plugin
// (so plugin-level errors show too) without starting anything. Warnings
// the plugins give while starting (a GeoIP database older than max_age,
// TLS verification disabled…) are printed too.
func TestConfig(args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("test config", stderr)
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	// Every problem, not only the first (issue 19): when the file parsed,
	// the plugins are built from what could be read, and their problems
	// are reported after the loader's.
	cfg, err := c.load()
	if cfg != nil {
		warn := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		err = errors.Join(err, config.BlameOverrides(runner.Check(cfg, warn), cfg.Overrides))
	}
	if err != nil {
		printErr(stderr, "", err)
		return ExitUsage
	}
	fmt.Fprintln(stdout, "Config OK")
	return ExitOK
}
