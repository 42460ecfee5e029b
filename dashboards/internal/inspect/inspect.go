// Package inspect reads dashboards in source form (as package dashboards
// holds them) and lists their panels and every field each panel uses, with
// what it is used for. The offline checks (dashboards_test.go) and the
// preview renderer are built on it.
package inspect

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Panel is one dashboard panel.
type Panel struct {
	Index      string // panelIndex
	Title      string
	Type       string // lens, map, visualization
	VisType    string // lnsXY, lnsMetric…; markdown; map
	X, Y, W, H int
	GridI      string
	DataViews  []string // data view ids the panel reads
	Uses       []Use
	Markdown   string
	Series     string   // XY series type
	Columns    []string // every Lens column as op(field) or count(), in order
	Query      string   // the panel's KQL query
}

// Use is one field a panel uses.
type Use struct {
	Field    string
	Op       string // terms, date_histogram, sum, average, …, geo, kql, sort
	DataView string // data view id
	Where    string // column label or layer label
}

// Panels lists the panels of a dashboard object in source form.
func Panels(dash map[string]any) ([]Panel, error) {
	attrs, _ := dash["attributes"].(map[string]any)
	raw, ok := attrs["panelsJSON"].([]any)
	if !ok {
		return nil, fmt.Errorf("dashboard %v: panelsJSON is not a decoded array", dash["id"])
	}
	refs := references(dash)
	var out []Panel
	for i, r := range raw {
		pm, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("panel %d is not an object", i)
		}
		p := Panel{Index: str(pm["panelIndex"]), Title: str(pm["title"]), Type: str(pm["type"])}
		g, _ := pm["gridData"].(map[string]any)
		p.X, p.Y, p.W, p.H = num(g["x"]), num(g["y"]), num(g["w"]), num(g["h"])
		p.GridI = str(g["i"])
		ec, _ := pm["embeddableConfig"].(map[string]any)
		switch p.Type {
		case "lens":
			a, _ := ec["attributes"].(map[string]any)
			if p.Title == "" {
				p.Title = str(a["title"])
			}
			if err := lensUses(&p, a, refs); err != nil {
				return nil, fmt.Errorf("panel %q: %w", p.Title, err)
			}
		case "map":
			p.VisType = "map"
			a, _ := ec["attributes"].(map[string]any)
			if err := mapUses(&p, a, refs); err != nil {
				return nil, fmt.Errorf("panel %q: %w", p.Title, err)
			}
		case "visualization":
			sv, _ := ec["savedVis"].(map[string]any)
			p.VisType = str(sv["type"])
			if params, ok := sv["params"].(map[string]any); ok {
				p.Markdown = str(params["markdown"])
			}
		default:
			p.VisType = p.Type
		}
		out = append(out, p)
	}
	return out, nil
}

// references maps a dashboard's reference names to ids.
func references(o map[string]any) map[string]string {
	m := map[string]string{}
	rs, _ := o["references"].([]any)
	for _, r := range rs {
		rm, _ := r.(map[string]any)
		m[str(rm["name"])] = str(rm["id"])
	}
	return m
}

func lensUses(p *Panel, a map[string]any, dashRefs map[string]string) error {
	p.VisType = str(a["visualizationType"])
	st, _ := a["state"].(map[string]any)
	if st == nil {
		return fmt.Errorf("lens attributes have no state")
	}
	if vis, ok := st["visualization"].(map[string]any); ok {
		if ls, ok := vis["layers"].([]any); ok && len(ls) > 0 {
			if l, ok := ls[0].(map[string]any); ok {
				p.Series = str(l["seriesType"])
			}
		}
	}
	layers, _ := dig(st, "datasourceStates", "formBased", "layers").(map[string]any)
	if len(layers) == 0 {
		return fmt.Errorf("lens state has no formBased layers")
	}
	queryDV := ""
	ids := make([]string, 0, len(layers))
	for id := range layers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, layerID := range ids {
		dv, ok := dashRefs[p.Index+":indexpattern-datasource-layer-"+layerID]
		if !ok {
			return fmt.Errorf("layer %s has no dashboard reference %s:indexpattern-datasource-layer-%s", layerID, p.Index, layerID)
		}
		queryDV = dv
		p.DataViews = appendUnique(p.DataViews, dv)
		layer, _ := layers[layerID].(map[string]any)
		cols, _ := layer["columns"].(map[string]any)
		order, _ := layer["columnOrder"].([]any)
		for _, cid := range order {
			c, _ := cols[str(cid)].(map[string]any)
			if c == nil {
				return fmt.Errorf("columnOrder names %v, which is not a column", cid)
			}
			op, label := str(c["operationType"]), str(c["label"])
			if f := str(c["sourceField"]); f != "" && f != "___records___" {
				p.Columns = append(p.Columns, op+"("+f+")")
			} else {
				p.Columns = append(p.Columns, op+"()")
			}
			if f := str(c["sourceField"]); f != "" && f != "___records___" {
				p.Uses = append(p.Uses, Use{Field: f, Op: op, DataView: dv, Where: label})
			}
			params, _ := c["params"].(map[string]any)
			if sf := str(params["sortField"]); sf != "" {
				p.Uses = append(p.Uses, Use{Field: sf, Op: "sort", DataView: dv, Where: label})
			}
			if op == "formula" {
				for _, f := range FormulaFields(str(params["formula"])) {
					p.Uses = append(p.Uses, Use{Field: f.Field, Op: f.Op, DataView: dv, Where: label})
				}
			}
			if fl, ok := c["filter"].(map[string]any); ok {
				for _, f := range KQLFields(str(fl["query"])) {
					p.Uses = append(p.Uses, Use{Field: f, Op: "kql", DataView: dv, Where: label + " filter"})
				}
			}
		}
	}
	if q, ok := st["query"].(map[string]any); ok {
		p.Query = str(q["query"])
		for _, f := range KQLFields(str(q["query"])) {
			p.Uses = append(p.Uses, Use{Field: f, Op: "kql", DataView: queryDV, Where: "panel query"})
		}
	}
	return nil
}

func mapUses(p *Panel, a map[string]any, dashRefs map[string]string) error {
	layers, ok := a["layerListJSON"].([]any)
	if !ok {
		return fmt.Errorf("layerListJSON is not a decoded array")
	}
	for _, l := range layers {
		lm, _ := l.(map[string]any)
		sd, _ := lm["sourceDescriptor"].(map[string]any)
		ref := str(sd["indexPatternRefName"])
		if ref == "" {
			continue // base map
		}
		dv, ok := dashRefs[p.Index+":"+ref]
		if !ok {
			return fmt.Errorf("map layer %q: no dashboard reference %s:%s", str(lm["label"]), p.Index, ref)
		}
		p.DataViews = appendUnique(p.DataViews, dv)
		if gf := str(sd["geoField"]); gf != "" {
			p.Uses = append(p.Uses, Use{Field: gf, Op: "geo", DataView: dv, Where: str(lm["label"])})
		}
	}
	return nil
}

var (
	kqlField    = regexp.MustCompile(`(?:^|[\s(])([A-Za-z_@][A-Za-z0-9_.@]*)\s*(?::|<=|>=|<|>)`)
	kqlQuoted   = regexp.MustCompile(`"([^"]+)"\s*:`)
	formulaCall = regexp.MustCompile(`\b([a-z_]+)\(\s*([A-Za-z_@][A-Za-z0-9_.@]*)\s*[,)]`)
	formulaKQL  = regexp.MustCompile(`kql\s*=\s*'([^']*)'`)
)

// KQLFields returns the field names a KQL query compares.
func KQLFields(q string) []string {
	var out []string
	for _, m := range kqlQuoted.FindAllStringSubmatch(q, -1) {
		out = appendUnique(out, m[1])
	}
	q = kqlQuoted.ReplaceAllString(q, " ")
	for _, m := range kqlField.FindAllStringSubmatch(q, -1) {
		out = appendUnique(out, m[1])
	}
	return out
}

// FormulaField is a field a Lens formula aggregates.
type FormulaField struct{ Op, Field string }

// FormulaFields returns the fields of a Lens formula such as
// "8 * counter_rate(max(system.network.in.bytes))" with their functions,
// plus the fields of its kql='…' filters.
func FormulaFields(f string) []FormulaField {
	var out []FormulaField
	for _, m := range formulaCall.FindAllStringSubmatch(f, -1) {
		if m[1] == "kql" || m[1] == "lucene" {
			continue
		}
		out = append(out, FormulaField{Op: m[1], Field: m[2]})
	}
	for _, m := range formulaKQL.FindAllStringSubmatch(f, -1) {
		for _, k := range KQLFields(m[1]) {
			out = append(out, FormulaField{Op: "kql", Field: k})
		}
	}
	return out
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int {
	switch x := v.(type) {
	case json.Number:
		n, _ := strconv.Atoi(x.String())
		return n
	case float64:
		return int(x)
	case int:
		return x
	}
	return -1
}

func appendUnique(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

// Describe is a one-line summary of a use, for messages.
func (u Use) String() string {
	return strings.TrimSpace(fmt.Sprintf("%s(%s) on %s [%s]", u.Op, u.Field, u.DataView, u.Where))
}
