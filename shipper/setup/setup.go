// Package setup is `shipper setup`, as Beats' `setup` does it: install the
// index management (ILM policy and the composable index template rendered
// from the field catalog) in Elasticsearch before the first document, and
// import the Kibana dashboards through the saved objects API.
//
// Configuration lives in the `setup` section of shipper.yml (setup.kibana.*,
// setup.ilm.*, setup.template.*); Elasticsearch is reached with
// output.elasticsearch's hosts, credentials and TLS settings.
package setup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/shipper-project/shipper/dashboards"
	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/fields"
)

// Options choose the steps; Run does both when neither is set.
type Options struct {
	IndexManagement bool
	Dashboards      bool
}

// Run performs the chosen steps for a loaded configuration, reporting
// progress to w. Configuration errors are *config.Error values.
func Run(ctx context.Context, cfg *config.Config, opts Options, w io.Writer, log *slog.Logger) error {
	if !opts.IndexManagement && !opts.Dashboards {
		opts.IndexManagement, opts.Dashboards = true, true
	}
	sc, err := Decode(cfg.Setup)
	if err != nil {
		return err
	}
	if opts.IndexManagement {
		if err := runIndexManagement(ctx, cfg, sc, w, log); err != nil {
			return err
		}
	}
	if opts.Dashboards {
		if err := runDashboards(ctx, sc, w, log); err != nil {
			return err
		}
	}
	return nil
}

func runIndexManagement(ctx context.Context, cfg *config.Config, sc Config, w io.Writer, log *slog.Logger) error {
	sec, ok := cfg.Output["elasticsearch"]
	if !ok {
		return &config.Error{File: cfg.File, Msg: "setup --index-management needs output.elasticsearch (the template and the ILM policy are installed there)"}
	}
	ec := elasticsearch.DefaultConfig()
	if err := sec.Decode(&ec); err != nil {
		return err
	}
	out, err := elasticsearch.New(ec, log, nil)
	if err != nil {
		return sec.Errorf("", "%v", err)
	}
	if pfx := strings.TrimSuffix(sc.Template.Pattern, "*"); sc.Template.Enabled && !strings.HasPrefix(ec.Index, pfx) {
		fmt.Fprintf(w, "warning: output.elasticsearch.index %q does not match setup.template.pattern %q: the template will not apply to what the shipper writes\n", ec.Index, sc.Template.Pattern)
	}
	cat, err := fields.Builtin()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "elasticsearch: %s\n", strings.Join(out.Hosts(), ", "))
	return InstallIndexManagement(ctx, out.Client(), sc, cat.Template([]string{sc.Template.Pattern}), w)
}

func runDashboards(ctx context.Context, sc Config, w io.Writer, log *slog.Logger) error {
	k, err := NewKibana(sc.Kibana, log)
	if err != nil {
		return err
	}
	v, err := k.CheckVersion(ctx, dashboards.MinKibana)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "kibana: %s (version %s)\n", k.URL(), v)
	nd, err := dashboards.NDJSON()
	if err != nil {
		return err
	}
	res, err := k.Import(ctx, nd)
	if err != nil {
		return err
	}
	space := sc.Kibana.Space.ID
	prefix := ""
	if space != "" && space != "default" {
		prefix = "/s/" + space
	} else {
		space = "default"
	}
	fmt.Fprintf(w, "dashboards: %d saved objects imported into space %s\n", res.SuccessCount, space)
	fmt.Fprintf(w, "open %s%s/app/dashboards#/view/shipper-overview\n", k.URL(), prefix)
	return nil
}
