//go:build !linux

package addhostmetadata

import "runtime"

// uname: the shipper runs on Linux; elsewhere (a developer's machine) the Go
// architecture stands in and the kernel is unknown.
func uname() (machine, release string) { return runtime.GOARCH, "" }
