package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/shipper-project/shipper/shipper/runner"
)

// TestConfig is `shipper test config`: load the file, build every plugin
// (so plugin-level errors show too) without starting anything.
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
	if err := runner.Check(cfg, slog.New(slog.DiscardHandler)); err != nil {
		printErr(stderr, "", err)
		return ExitUsage
	}
	_ = os.Stdout
	fmt.Fprintln(stdout, "Config OK")
	return ExitOK
}
