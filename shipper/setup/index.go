package setup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/shipper-project/shipper/shipper/config"
)

// ES is what index management needs of an Elasticsearch client:
// *elasticsearch.Client (go-elasticsearch) has it and fills in the host,
// credentials and TLS of output.elasticsearch.
type ES interface {
	Perform(*http.Request) (*http.Response, error)
}

// ESError is a refusal from Elasticsearch.
type ESError struct {
	Op     string // "PUT _index_template/shipper"
	Status int
	Type   string
	Reason string
}

func (e *ESError) Error() string {
	hint := ""
	switch e.Status {
	case http.StatusUnauthorized:
		hint = ": Elasticsearch refused the credentials (check output.elasticsearch.username/password or api_key)"
	case http.StatusForbidden:
		hint = ": the user lacks the cluster privileges manage_index_templates and manage_ilm"
	}
	return fmt.Sprintf("%s: HTTP %d %s: %s%s", e.Op, e.Status, e.Type, e.Reason, hint)
}

func esDo(ctx context.Context, es ES, method, path string, body any) (int, []byte, error) {
	op := method + " " + strings.TrimPrefix(path, "/")
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := es.Perform(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: elasticsearch is unreachable: %v", op, redactURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s: read response: %w", op, err)
	}
	return resp.StatusCode, b, nil
}

func esError(op string, status int, b []byte) error {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	ee := &ESError{Op: op, Status: status}
	if json.Unmarshal(b, &e) == nil && len(e.Error) > 0 {
		var d struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(e.Error, &d) == nil && d.Type != "" {
			ee.Type, ee.Reason = d.Type, d.Reason
		} else {
			ee.Reason = strings.Trim(string(e.Error), `"`)
		}
	} else {
		ee.Reason = strings.TrimSpace(string(b))
	}
	if len(ee.Reason) > 400 {
		ee.Reason = ee.Reason[:400] + "…"
	}
	return ee
}

// Policy is the ILM policy body: rollover in the hot phase, then delete.
func (c ILMConfig) Policy() map[string]any {
	rollover := map[string]any{}
	if c.Rollover.MaxAge != "" {
		rollover["max_age"] = c.Rollover.MaxAge
	}
	if c.Rollover.MaxPrimaryShardSize > 0 {
		rollover["max_primary_shard_size"] = esSize(c.Rollover.MaxPrimaryShardSize)
	}
	return map[string]any{"policy": map[string]any{
		"_meta": map[string]any{"managed_by": "shipper", "description": "shipper data streams: rollover, then delete (small single-node cluster)"},
		"phases": map[string]any{
			"hot":    map[string]any{"min_age": "0ms", "actions": map[string]any{"rollover": rollover}},
			"delete": map[string]any{"min_age": c.DeleteAfter, "actions": map[string]any{"delete": map[string]any{}}},
		},
	}}
}

// esSize writes a size in Elasticsearch's units.
func esSize(b config.ByteSize) string {
	switch {
	case b%config.GiB == 0:
		return fmt.Sprintf("%dgb", b/config.GiB)
	case b%config.MiB == 0:
		return fmt.Sprintf("%dmb", b/config.MiB)
	case b%config.KiB == 0:
		return fmt.Sprintf("%dkb", b/config.KiB)
	}
	return fmt.Sprintf("%db", b)
}

// IndexTemplate returns the catalog's template (fields.Catalog.Template)
// with the setup.template and setup.ilm settings applied.
func (c Config) IndexTemplate(catalogTemplate map[string]any) map[string]any {
	t := map[string]any{}
	for k, v := range catalogTemplate {
		t[k] = v
	}
	t["index_patterns"] = []string{c.Template.Pattern}
	t["priority"] = c.Template.Priority
	inner, _ := t["template"].(map[string]any)
	innerCopy := map[string]any{}
	for k, v := range inner {
		innerCopy[k] = v
	}
	index := map[string]any{
		"number_of_shards":   c.Template.Settings.Index.NumberOfShards,
		"number_of_replicas": c.Template.Settings.Index.NumberOfReplicas,
	}
	if s, ok := innerCopy["settings"].(map[string]any); ok {
		if old, ok := s["index"].(map[string]any); ok {
			for k, v := range old {
				if _, set := index[k]; !set {
					index[k] = v
				}
			}
		}
	}
	if c.ILM.Enabled {
		index["lifecycle"] = map[string]any{"name": c.ILM.PolicyName}
	}
	innerCopy["settings"] = map[string]any{"index": index}
	t["template"] = innerCopy
	return t
}

// InstallIndexManagement installs the ILM policy (unless it exists and
// overwrite is off) and the index template, so that the first document of
// every shipper-* data stream is mapped by the catalog (geo_point, ip,
// date, numbers) instead of dynamically. It then checks the data streams
// that already exist and reports those whose geo fields were mapped
// before the template (the empty-map problem) with the command that fixes
// them. Progress goes to w.
func InstallIndexManagement(ctx context.Context, es ES, c Config, catalogTemplate map[string]any, w io.Writer) error {
	if c.ILM.Enabled {
		name := c.ILM.PolicyName
		st, b, err := esDo(ctx, es, http.MethodGet, "/_ilm/policy/"+name, nil)
		if err != nil {
			return err
		}
		switch {
		case st == http.StatusOK && !c.ILM.Overwrite:
			fmt.Fprintf(w, "ILM policy %s exists; left as it is (setup.ilm.overwrite: true replaces it)\n", name)
		case st == http.StatusOK || st == http.StatusNotFound:
			st, b, err := esDo(ctx, es, http.MethodPut, "/_ilm/policy/"+name, c.ILM.Policy())
			if err != nil {
				return err
			}
			if st >= 300 {
				return esError("PUT _ilm/policy/"+name, st, b)
			}
			fmt.Fprintf(w, "ILM policy %s installed (rollover at %s or %s, delete after %s)\n", name,
				c.ILM.Rollover.MaxAge, esSize(c.ILM.Rollover.MaxPrimaryShardSize), c.ILM.DeleteAfter)
		default:
			return esError("GET _ilm/policy/"+name, st, b)
		}
	}
	if c.Template.Enabled {
		name := c.Template.Name
		st, b, err := esDo(ctx, es, http.MethodPut, "/_index_template/"+name, c.IndexTemplate(catalogTemplate))
		if err != nil {
			return err
		}
		if st >= 300 {
			return esError("PUT _index_template/"+name, st, b)
		}
		fmt.Fprintf(w, "index template %s installed for %s (%d shard, %d replicas, data streams)\n", name,
			c.Template.Pattern, c.Template.Settings.Index.NumberOfShards, c.Template.Settings.Index.NumberOfReplicas)
		bad, err := CheckGeoMappings(ctx, es, c.Template.Pattern)
		if err != nil {
			fmt.Fprintf(w, "warning: could not check the existing mappings: %v\n", err)
		}
		for _, m := range bad {
			fmt.Fprintf(w, "warning: %s maps %s as %s, not geo_point: its documents never show on a map. "+
				"The new template applies from the next backing index: POST %s/_rollover\n", m.Index, m.Field, m.Type, m.DataStream)
		}
	}
	return nil
}

// BadGeoMapping is an existing index whose geo field is not a geo_point.
type BadGeoMapping struct {
	Index, DataStream, Field, Type string
}

// geoFields are the geo_point fields the dashboards' maps use.
var geoFields = []string{"destination.geo.location", "source.geo.location"}

// CheckGeoMappings reports the indices matching pattern whose geo fields
// were mapped as something else than geo_point (documents that arrived
// before the template: {lat, lon} becomes two floats).
func CheckGeoMappings(ctx context.Context, es ES, pattern string) ([]BadGeoMapping, error) {
	var q []string
	for _, f := range geoFields {
		q = append(q, f, f+".lat")
	}
	path := "/" + pattern + "/_mapping/field/" + strings.Join(q, ",") + "?ignore_unavailable=true&allow_no_indices=true"
	st, b, err := esDo(ctx, es, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	if st == http.StatusNotFound {
		return nil, nil
	}
	if st >= 300 {
		return nil, esError("GET _mapping/field", st, b)
	}
	var resp map[string]struct {
		Mappings map[string]struct {
			FullName string                    `json:"full_name"`
			Mapping  map[string]map[string]any `json:"mapping"`
		} `json:"mappings"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, fmt.Errorf("GET _mapping/field: %w", err)
	}
	var bad []BadGeoMapping
	for index, m := range resp {
		for _, f := range geoFields {
			typ := ""
			if fm, ok := m.Mappings[f]; ok {
				for _, v := range fm.Mapping {
					typ, _ = v["type"].(string)
				}
			} else if _, ok := m.Mappings[f+".lat"]; ok {
				typ = "an object of numbers (lat, lon)"
			}
			if typ != "" && typ != "geo_point" {
				bad = append(bad, BadGeoMapping{Index: index, DataStream: dataStreamOf(index), Field: f, Type: typ})
			}
		}
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].Index+bad[i].Field < bad[j].Index+bad[j].Field })
	return bad, nil
}

// dataStreamOf returns the data stream of a backing index
// (.ds-shipper-squid.access-2026.01.01-000001 → shipper-squid.access).
func dataStreamOf(index string) string {
	s := strings.TrimPrefix(index, ".ds-")
	if s == index {
		return index
	}
	// Drop "-yyyy.MM.dd-NNNNNN".
	parts := strings.Split(s, "-")
	if len(parts) >= 3 {
		return strings.Join(parts[:len(parts)-2], "-")
	}
	return s
}
