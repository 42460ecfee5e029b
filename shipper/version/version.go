// Package version holds the build's version, stamped at link time:
// go build -ldflags "-X github.com/shipper-project/shipper/shipper/version.Version=1.2.3 -X ...Commit=abc".
package version

import "runtime/debug"

// Stamped at link time.
var (
	Version = "0.1.0-dev"
	Commit  = ""
	Date    = ""
)

// ECS is the ECS version the documents follow.
const ECS = "8.11.0"

// CommitOrVCS returns Commit, or the VCS revision Go recorded in the binary.
func CommitOrVCS() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
	}
	return "unknown"
}
