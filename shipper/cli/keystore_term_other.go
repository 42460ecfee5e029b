//go:build !linux

package cli

import "os"

// noEcho is implemented on Linux only (the shipper's platform); elsewhere a
// typed secret is echoed, so prefer --stdin from a file or a pipe.
func noEcho(*os.File) (restore func(), ok bool) { return nil, false }
