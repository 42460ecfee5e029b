package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/shipper-project/shipper/shipper/setup"
)

// Setup is `shipper setup [--index-management] [--dashboards]`, as Beats'
// setup: the ILM policy and index template in Elasticsearch (before the
// first document, so that geo_point, ip and date fields are mapped right),
// and the dashboards imported into Kibana. Both when neither flag is given.
func Setup(args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("setup", stderr)
	im := fs.Bool("index-management", false, "install the ILM policy and the index template in Elasticsearch")
	db := fs.Bool("dashboards", false, "import the dashboards into Kibana (setup.kibana.*)")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shipper setup: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	cfg, err := c.load()
	if err != nil {
		printErr(stderr, "", err)
		return ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err = setup.Run(ctx, cfg, setup.Options{IndexManagement: *im, Dashboards: *db}, stdout, c.logger(cfg, stderr))
	if err != nil {
		printErr(stderr, "error: ", err)
		if isConfigError(err) {
			return ExitUsage
		}
		return ExitRuntime
	}
	return ExitOK
}
