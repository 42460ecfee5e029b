package cli

import (
	"fmt"
	"io"
)

// Keystore is not built yet; its owner replaces this file.
func Keystore(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "shipper: this command is not built yet")
	return ExitUsage
}
