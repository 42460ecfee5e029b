package cli

import (
	"fmt"
	"io"
	"log/slog"

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
	cfg, err := c.load()
	if err != nil {
		printErr(stderr, "", err)
		return ExitUsage
	}
	warn := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := runner.Check(cfg, warn); err != nil {
		printErr(stderr, "", err)
		return ExitUsage
	}
	fmt.Fprintln(stdout, "Config OK")
	return ExitOK
}
