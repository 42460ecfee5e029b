package cli

import (
	"fmt"
	"io"
	"runtime"

	"github.com/shipper-project/shipper/shipper/version"
)

// Version is `shipper version`.
func Version(stdout io.Writer) int {
	fmt.Fprintf(stdout, "shipper version %s (%s/%s), commit %s, built with %s\n",
		version.Version, runtime.GOOS, runtime.GOARCH, version.CommitOrVCS(), runtime.Version())
	return ExitOK
}
