package cli

import (
	"fmt"
	"io"
)

// ExportConfig is `shipper export config`, as in Beats: the configuration
// as loaded (${NAME} resolved, -E applied, dotted keys nested), as YAML on
// stdout, with every secret replaced by "[redacted]".
func ExportConfig(args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("export config", stderr)
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shipper export config: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	cfg, err := c.load()
	if err != nil {
		printErr(stderr, "", err)
		return ExitUsage
	}
	b, err := cfg.Export()
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return ExitRuntime
	}
	stdout.Write(b)
	return ExitOK
}
