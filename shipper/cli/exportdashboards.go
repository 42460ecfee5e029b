package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/shipper-project/shipper/dashboards"
)

// ExportDashboards is `shipper export dashboards [-o FILE]`: the data views
// and dashboards as the NDJSON Kibana imports (Stack Management → Saved
// Objects → Import), on stdout or into FILE.
func ExportDashboards(args []string, stdout, stderr io.Writer) int {
	fs, _ := newFlags("export dashboards", stderr)
	outFile := fs.String("o", "", "write to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	b, err := dashboards.NDJSON()
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return ExitRuntime
	}
	if *outFile == "" {
		if _, err := stdout.Write(b); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return ExitRuntime
		}
		return ExitOK
	}
	if err := os.WriteFile(*outFile, b, 0o644); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return ExitRuntime
	}
	fmt.Fprintf(stderr, "wrote %s (Kibana %s or newer: Stack Management → Saved Objects → Import)\n", *outFile, dashboards.MinKibana)
	return ExitOK
}
