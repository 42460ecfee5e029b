package cli

import (
	"fmt"
	"io"
)

// DLQ is not built yet; its owner replaces this file.
func DLQ(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "shipper: this command is not built yet")
	return ExitUsage
}
