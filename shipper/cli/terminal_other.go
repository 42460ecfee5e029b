//go:build !linux

package cli

import "os"

// isTerminal approximates a terminal by a character device elsewhere
// (Linux asks the tty driver).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && f.Name() != os.DevNull
}
