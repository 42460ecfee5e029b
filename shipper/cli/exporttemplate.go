package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/shipper-project/shipper/shipper/fields"
)

// ExportTemplate is `shipper export template`: the composable index template
// rendered from the field catalog, as JSON on stdout.
func ExportTemplate(args []string, stdout, stderr io.Writer) int {
	fs, _ := newFlags("export template", stderr)
	pattern := fs.String("index-pattern", "shipper-*", "index pattern the template applies to")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	cat, err := fields.Builtin()
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return ExitRuntime
	}
	b, err := json.MarshalIndent(cat.Template([]string{*pattern}), "", "  ")
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return ExitRuntime
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return ExitOK
}
