package setup

import (
	"context"
	"fmt"
	"io"

	"github.com/shipper-project/shipper/outputs/elasticsearch/idxmgmt"
)

// ES is what index management needs of an Elasticsearch client
// (elasticsearch.Output.Client()).
type ES = idxmgmt.ES

// ESError is a refusal from Elasticsearch.
type ESError = idxmgmt.ESError

// InstallIndexManagement installs the ILM policy (unless it exists and
// setup.ilm.overwrite is off) and, always, the index template, as Beats'
// `setup --index-management` does, then reports the data streams whose
// geo fields were mapped before the template (the empty-map problem) with
// the command that fixes them. Progress goes to w. `shipper run` does the
// same on connect, without replacing what exists (idxmgmt.OnConnect).
func InstallIndexManagement(ctx context.Context, es ES, c Config, catalogTemplate map[string]any, w io.Writer) error {
	r, err := idxmgmt.Install(ctx, es, c.Config, catalogTemplate, idxmgmt.Force)
	for _, n := range r.Notes {
		fmt.Fprintln(w, n)
	}
	for _, n := range r.Warnings {
		fmt.Fprintln(w, "warning:", n)
	}
	return err
}
