package idxmgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/shipper-project/shipper/shipper/config"
)

// ES is what index management needs of an Elasticsearch client:
// elasticsearch.Output.Client() (go-elasticsearch's transport) has it and
// fills in the host, credentials and TLS of output.elasticsearch.
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
		hint = ": the user lacks the cluster privileges manage_index_templates and manage_ilm (or set setup.template.enabled and setup.ilm.enabled to false and install them another way)"
	}
	return fmt.Sprintf("%s: HTTP %d %s: %s%s", e.Op, e.Status, e.Type, e.Reason, hint)
}

// Mode says what Install writes.
type Mode int

const (
	// OnConnect installs what is missing, and what setup.template.overwrite
	// or setup.ilm.overwrite asks for (Beats' behaviour on connect).
	OnConnect Mode = iota
	// Force is `shipper setup --index-management`: the template is always
	// written; the policy when missing or setup.ilm.overwrite.
	Force
)

// Result is what Install did, for the caller to print or log.
type Result struct {
	Notes    []string // one line per step, "ILM policy shipper installed (…)"
	Warnings []string // a server without the APIs, mappings made before the template
}

func do(ctx context.Context, es ES, method, path string, body any) (int, []byte, error) {
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

// redactURLError drops the URL of a *url.Error: it may hold credentials
// (user:password@host).
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// noAPI reports whether an answer means the server has no such API: a
// 400/404/405 that is not an Elasticsearch error object. Elasticsearch's
// and OpenSearch's own "no handler found for uri [...]" has a string as its
// error: the endpoint does not exist there (OpenSearch has no _ilm).
func noAPI(status int, b []byte) bool {
	if status != http.StatusBadRequest && status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
		return false
	}
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil || len(e.Error) == 0 {
		return true
	}
	return e.Error[0] == '"'
}

// putNoAPI is noAPI for a PUT: a PUT creates, so a 404 or 405 means the
// API is missing whatever the body says (a fake or a proxy answering every
// unknown path with an Elasticsearch-shaped 404).
func putNoAPI(status int, b []byte) bool {
	return status == http.StatusNotFound || status == http.StatusMethodNotAllowed || noAPI(status, b)
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

// Policy is the ILM policy body: policy_file's, or rollover in the hot
// phase (and a delete phase when delete_after is set).
func (c ILMConfig) Policy() map[string]any {
	if c.policy != nil {
		return c.policy
	}
	rollover := map[string]any{}
	if c.Rollover.MaxAge != "" {
		rollover["max_age"] = c.Rollover.MaxAge
	}
	if c.Rollover.MaxPrimaryShardSize > 0 {
		rollover["max_primary_shard_size"] = esSize(c.Rollover.MaxPrimaryShardSize)
	}
	phases := map[string]any{
		"hot": map[string]any{"min_age": "0ms", "actions": map[string]any{"rollover": rollover}},
	}
	desc := "shipper data streams: rollover, nothing deleted (Beats' default policy)"
	if c.DeleteAfter != "" {
		phases["delete"] = map[string]any{"min_age": c.DeleteAfter, "actions": map[string]any{"delete": map[string]any{}}}
		desc = "shipper data streams: rollover, then delete after " + c.DeleteAfter
	}
	return map[string]any{"policy": map[string]any{
		"_meta":  map[string]any{"managed_by": "shipper", "description": desc},
		"phases": phases,
	}}
}

// summary describes the policy in a progress line.
func (c ILMConfig) summary() string {
	if c.PolicyFile != "" {
		return "from " + c.PolicyFile
	}
	s := fmt.Sprintf("rollover at %s or %s", c.Rollover.MaxAge, esSize(c.Rollover.MaxPrimaryShardSize))
	if c.DeleteAfter != "" {
		return s + ", delete after " + c.DeleteAfter
	}
	return s + ", nothing deleted"
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
// with the setup.template and setup.ilm settings applied. The catalog
// template is not modified.
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
	index := map[string]any{}
	if s, ok := innerCopy["settings"].(map[string]any); ok {
		if old, ok := s["index"].(map[string]any); ok {
			for k, v := range old {
				index[k] = v
			}
		}
	}
	for k, v := range c.Template.Settings.Index {
		index[k] = v
	}
	if c.ILM.Enabled {
		index["lifecycle"] = map[string]any{"name": c.ILM.PolicyName}
	}
	innerCopy["settings"] = map[string]any{"index": index}
	if len(c.Template.Settings.Source) > 0 {
		m, _ := innerCopy["mappings"].(map[string]any)
		mc := map[string]any{}
		for k, v := range m {
			mc[k] = v
		}
		mc["_source"] = c.Template.Settings.Source
		innerCopy["mappings"] = mc
	}
	t["template"] = innerCopy
	return t
}

// Install puts the ILM policy and the index template in place, so that the
// first document of every shipper-* data stream is mapped by the catalog
// (geo_point, ip, date, numbers) instead of dynamically. Each path segment
// is escaped. A server without these APIs (VictoriaLogs answers 400
// "unsupported path", or 200 with an empty object and stores nothing) is
// not an error: there is nothing to install there, and a warning says so.
// Any other refusal is an error, for the caller to retry.
func Install(ctx context.Context, es ES, c Config, catalogTemplate map[string]any, mode Mode) (Result, error) {
	var r Result
	if c.ILM.Enabled && !c.ILM.CheckExists {
		r.Notes = append(r.Notes, fmt.Sprintf("ILM policy %s not checked nor installed (setup.ilm.check_exists: false)", c.ILM.PolicyName))
	}
	if c.ILM.Enabled && c.ILM.CheckExists {
		name := c.ILM.PolicyName
		path := "/_ilm/policy/" + url.PathEscape(name)
		st, b, err := do(ctx, es, http.MethodGet, path, nil)
		if err != nil {
			return r, err
		}
		exists := st == http.StatusOK && hasKey(b, name)
		switch {
		case noAPI(st, b):
			r.Warnings = append(r.Warnings, fmt.Sprintf("the server has no ILM API (GET _ilm/policy answered HTTP %d without an Elasticsearch error: not Elasticsearch?): policy %s not installed", st, name))
		case exists && !c.ILM.Overwrite:
			r.Notes = append(r.Notes, fmt.Sprintf("ILM policy %s exists; left as it is (setup.ilm.overwrite: true replaces it)", name))
		case st == http.StatusOK || st == http.StatusNotFound:
			st, b, err := do(ctx, es, http.MethodPut, path, c.ILM.Policy())
			if err != nil {
				return r, err
			}
			if putNoAPI(st, b) {
				r.Warnings = append(r.Warnings, fmt.Sprintf("the server has no ILM API (PUT _ilm/policy answered HTTP %d): policy %s not installed", st, name))
				break
			}
			if st >= 300 {
				return r, esError("PUT _ilm/policy/"+name, st, b)
			}
			r.Notes = append(r.Notes, fmt.Sprintf("ILM policy %s installed (%s)", name, c.ILM.summary()))
		default:
			return r, esError("GET _ilm/policy/"+name, st, b)
		}
	}
	if !c.Template.Enabled {
		return r, nil
	}
	name := c.Template.Name
	path := "/_index_template/" + url.PathEscape(name)
	if mode == OnConnect && !c.Template.Overwrite {
		st, b, err := do(ctx, es, http.MethodGet, path, nil)
		if err != nil {
			return r, err
		}
		switch {
		case noAPI(st, b):
			r.Warnings = append(r.Warnings, fmt.Sprintf("the server has no index template API (GET _index_template answered HTTP %d without an Elasticsearch error: not Elasticsearch?): template %s not installed", st, name))
			return r, nil
		case st == http.StatusOK && templateListed(b, name):
			r.Notes = append(r.Notes, fmt.Sprintf("index template %s exists; left as it is (setup.template.overwrite: true replaces it)", name))
			return r, nil
		case st != http.StatusOK && st != http.StatusNotFound:
			return r, esError("GET _index_template/"+name, st, b)
		}
	}
	st, b, err := do(ctx, es, http.MethodPut, path, c.IndexTemplate(catalogTemplate))
	if err != nil {
		return r, err
	}
	if putNoAPI(st, b) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("the server has no index template API (PUT _index_template answered HTTP %d: not Elasticsearch?): template %s not installed", st, name))
		return r, nil
	}
	if st >= 300 {
		return r, esError("PUT _index_template/"+name, st, b)
	}
	r.Notes = append(r.Notes, fmt.Sprintf("index template %s installed for %s (data streams)", name, c.Template.Pattern))
	bad, err := CheckGeoMappings(ctx, es, c.Template.Pattern)
	if err != nil {
		r.Warnings = append(r.Warnings, fmt.Sprintf("could not check the existing mappings: %v", err))
	}
	for _, m := range bad {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s maps %s as %s, not geo_point: its documents never show on a map. "+
			"The new template applies from the next backing index: POST %s/_rollover", m.Index, m.Field, m.Type, m.DataStream))
	}
	return r, nil
}

// hasKey reports whether a JSON object has the key: GET _ilm/policy/NAME
// answers {"NAME": {…}}; VictoriaLogs answers {} to anything.
func hasKey(b []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// templateListed reports whether GET _index_template/NAME listed it.
func templateListed(b []byte, name string) bool {
	var r struct {
		IndexTemplates []struct {
			Name string `json:"name"`
		} `json:"index_templates"`
	}
	if json.Unmarshal(b, &r) != nil {
		return false
	}
	for _, t := range r.IndexTemplates {
		if t.Name == name {
			return true
		}
	}
	return false
}

// BadGeoMapping is an existing index whose geo field is not a geo_point.
type BadGeoMapping struct {
	Index, DataStream, Field, Type string
}

// geoFields are the geo_point fields the dashboards' maps use.
var geoFields = []string{"destination.geo.location", "source.geo.location"}

// CheckGeoMappings reports the indices matching pattern whose geo fields
// were mapped as something else than geo_point (documents that arrived
// before the template: {lat, lon} becomes two floats). A server without
// the mapping API reports nothing.
func CheckGeoMappings(ctx context.Context, es ES, pattern string) ([]BadGeoMapping, error) {
	var q []string
	for _, f := range geoFields {
		q = append(q, f, f+".lat")
	}
	// The pattern's "*" and the fields' "," are syntax here: escape each
	// name, keep the separators.
	path := "/" + url.PathEscape(pattern) + "/_mapping/field/" + escapeList(q) + "?ignore_unavailable=true&allow_no_indices=true"
	path = strings.ReplaceAll(path, "%2A", "*")
	st, b, err := do(ctx, es, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	if st == http.StatusNotFound || noAPI(st, b) {
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

func escapeList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = url.PathEscape(n)
	}
	return strings.Join(out, ",")
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
