package elasticsearch

import (
	"context"
	"fmt"
	"strings"

	"github.com/shipper-project/shipper/outputs/elasticsearch/idxmgmt"
	"github.com/shipper-project/shipper/shipper/fields"
)

// ManageIndices turns on index management on connect, as Beats does
// (libbeat/idxmgmt's connect callback): before the first bulk request the
// output installs the ILM policy and the index template that are missing
// (or that setup.*.overwrite asks to replace). catalog renders the field
// catalog's template for an index pattern. The factory calls it with the
// configuration's setup section; outputs built with New alone (tests,
// `test output`, `dlq replay`) do not manage indices.
func (o *Output) ManageIndices(c idxmgmt.Config, catalog func(pattern string) (map[string]any, error)) {
	if !c.ILM.Enabled && !c.Template.Enabled {
		return
	}
	o.im, o.catalog = &c, catalog
}

// catalogTemplate is the built-in field catalog's template.
func catalogTemplate(pattern string) (map[string]any, error) {
	cat, err := fields.Builtin()
	if err != nil {
		return nil, err
	}
	return cat.Template([]string{pattern}), nil
}

// installIndexManagement is the connect step of ManageIndices. A failure
// is returned: the batch waits and is retried with backoff, never sent to
// a data stream without its mappings (geo_point, ip, date).
func (o *Output) installIndexManagement(ctx context.Context) error {
	if o.im == nil {
		return nil
	}
	tmpl, err := o.catalog(o.im.Template.Pattern)
	if err != nil {
		return fmt.Errorf("index template: %w", err)
	}
	if o.im.Template.Enabled {
		if pfx := strings.TrimSuffix(o.im.Template.Pattern, "*"); !strings.HasPrefix(o.cfg.Index, pfx) {
			o.log.Warn("output.elasticsearch.index does not match setup.template.pattern: the template will not apply to what the shipper writes",
				"index", o.cfg.Index, "pattern", o.im.Template.Pattern)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	r, err := idxmgmt.Install(ctx, o.client, *o.im, tmpl, idxmgmt.OnConnect)
	for _, n := range r.Notes {
		o.log.Info(n)
	}
	for _, n := range r.Warnings {
		o.log.Warn(n)
	}
	if err != nil {
		return o.redact(fmt.Errorf("index management on connect to %s (setup.ilm, setup.template): %w", strings.Join(o.hosts, ","), err))
	}
	return nil
}
