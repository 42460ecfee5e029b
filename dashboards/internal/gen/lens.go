package main

import (
	"crypto/sha1"
	"fmt"
	"strings"
)

// obj is a JSON object under construction.
type obj = map[string]any

// uid returns a stable UUID-shaped id for a name, so that regenerating the
// files gives the same ids (and Kibana overwrites instead of duplicating).
func uid(parts ...string) string {
	h := sha1.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	b := h.Sum(nil)
	b[6] = b[6]&0x0f | 0x50 // version 5 (name-based, SHA-1)
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// column is one Lens column: its id (set when the panel is built) and body.
type column struct {
	key  string // local name inside the panel, turned into an id
	body obj
}

// Field data types as Lens names them.
const (
	dtString = "string"
	dtNumber = "number"
	dtIP     = "ip"
	dtDate   = "date"
)

func dateHistogram() column {
	return column{key: "x-time", body: obj{
		"label": "@timestamp", "dataType": dtDate, "operationType": "date_histogram",
		"sourceField": "@timestamp", "isBucketed": true, "scale": "interval",
		"params": obj{"interval": "auto", "includeEmptyRows": true, "dropPartials": false},
	}}
}

// terms is a top-N bucket column ordered by the column named orderBy.
func terms(key, field, dataType string, size int, label, orderBy string) column {
	return column{key: key, body: obj{
		"label": label, "customLabel": true, "dataType": dataType, "operationType": "terms",
		"sourceField": field, "isBucketed": true, "scale": "ordinal",
		"params": obj{
			"size": size, "orderBy": obj{"type": "column", "columnId": refPrefix + orderBy},
			"orderDirection": "desc", "otherBucket": true, "missingBucket": false,
			"parentFormat": obj{"id": "terms"},
		},
	}}
}

// rangeHistogram is a numeric histogram bucket column.
func rangeHistogram(key, field, label string) column {
	return column{key: key, body: obj{
		"label": label, "customLabel": true, "dataType": dtNumber, "operationType": "range",
		"sourceField": field, "isBucketed": true, "scale": "interval",
		"params": obj{
			"type": "histogram", "maxBars": "auto", "includeEmptyRows": true,
			"ranges": []any{obj{"from": 0, "to": 1000, "label": ""}},
		},
	}}
}

func count(key, label string) column {
	return column{key: key, body: obj{
		"label": label, "customLabel": true, "dataType": dtNumber, "operationType": "count",
		"sourceField": "___records___", "isBucketed": false, "scale": "ratio",
		"params": obj{"emptyAsNull": true},
	}}
}

// Number formats.
var (
	fmtBytes   = obj{"id": "bytes", "params": obj{"decimals": 1}}
	fmtBits    = obj{"id": "bits", "params": obj{"decimals": 1, "suffix": "/s"}}
	fmtPercent = obj{"id": "percent", "params": obj{"decimals": 1}}
	fmtNumber  = obj{"id": "number", "params": obj{"decimals": 2}}
	fmtMs      = obj{"id": "number", "params": obj{"decimals": 0, "suffix": " ms"}}
	fmtBytesPS = obj{"id": "bytes", "params": obj{"decimals": 1, "suffix": "/s"}}
)

// metric is a numeric aggregation (sum, average, median, max, min,
// unique_count) of field.
func metric(key, op, field, label string, format obj) column {
	params := obj{"emptyAsNull": true}
	if format != nil {
		params["format"] = format
	}
	return column{key: key, body: obj{
		"label": label, "customLabel": true, "dataType": dtNumber, "operationType": op,
		"sourceField": field, "isBucketed": false, "scale": "ratio", "params": params,
	}}
}

func percentile(key, field string, pct int, label string, format obj) column {
	c := metric(key, "percentile", field, label, format)
	p := c.body["params"].(obj)
	delete(p, "emptyAsNull")
	p["percentile"] = pct
	return c
}

// lastValue is the most recent value of field (a keyword or a number).
func lastValue(key, field, dataType, label string, format obj) column {
	params := obj{"sortField": "@timestamp", "showArrayValues": false}
	if format != nil {
		params["format"] = format
	}
	scale := "ordinal"
	if dataType == dtNumber {
		scale = "ratio"
	}
	return column{key: key, body: obj{
		"label": label, "customLabel": true, "dataType": dataType, "operationType": "last_value",
		"sourceField": field, "isBucketed": false, "scale": scale, "params": params,
		"filter": obj{"query": "\"" + field + "\": *", "language": "kuery"},
	}}
}

// panel is one dashboard panel before layout.
type panel struct {
	title string
	desc  string
	w, h  int
	// lens
	dataView string
	visType  string
	cols     []column
	vis      func(layer string, id func(string) string) obj
	query    string // KQL applied to the panel
	// map
	mapLayers []mapLayer
	// markdown
	markdown string
}

// ids resolves the panel's local column keys to stable ids.
func (p *panel) ids(dash string) func(string) string {
	return func(key string) string { return uid(dash, p.title, "col", key) }
}

// lensAttributes builds the by-value Lens saved object attributes.
func (p *panel) lensAttributes(dash string) (obj, string) {
	id := p.ids(dash)
	layer := uid(dash, p.title, "layer")
	cols := obj{}
	// Column order is aggregation order: breakdowns before the date
	// histogram (so that "top 10" is over the whole time range, not per
	// bucket), metrics last.
	var buckets, dates, metrics []string
	for _, c := range p.cols {
		b := deepCopy(c.body)
		resolveRefs(b, id)
		cols[id(c.key)] = b
		switch {
		case b["operationType"] == "date_histogram":
			dates = append(dates, id(c.key))
		case b["isBucketed"] == true:
			buckets = append(buckets, id(c.key))
		default:
			metrics = append(metrics, id(c.key))
		}
	}
	order := append(append(buckets, dates...), metrics...)
	refName := "indexpattern-datasource-layer-" + layer
	return obj{
		"title":             p.title,
		"description":       p.desc,
		"visualizationType": p.visType,
		"type":              "lens",
		"references": []any{
			obj{"type": "index-pattern", "id": p.dataView, "name": refName},
		},
		"state": obj{
			"visualization": p.vis(layer, id),
			"query":         obj{"query": p.query, "language": "kuery"},
			"filters":       []any{},
			"datasourceStates": obj{
				"formBased": obj{"layers": obj{layer: obj{
					"columns": cols, "columnOrder": order, "incompleteColumns": obj{},
				}}},
			},
			"internalReferences": []any{},
			"adHocDataViews":     obj{},
		},
	}, refName
}

// refPrefix marks a string that names another column of the panel.
const refPrefix = "$column:"

// resolveRefs turns "$column:key" strings (column references) into column ids.
func resolveRefs(v any, id func(string) string) {
	switch x := v.(type) {
	case obj:
		for k, e := range x {
			if s, ok := e.(string); ok && strings.HasPrefix(s, refPrefix) {
				x[k] = id(s[len(refPrefix):])
				continue
			}
			resolveRefs(e, id)
		}
	case []any:
		for i, e := range x {
			if s, ok := e.(string); ok && strings.HasPrefix(s, refPrefix) {
				x[i] = id(s[len(refPrefix):])
				continue
			}
			resolveRefs(e, id)
		}
	}
}

func deepCopy(v obj) obj {
	out := obj{}
	for k, e := range v {
		switch x := e.(type) {
		case obj:
			out[k] = deepCopy(x)
		case []any:
			l := make([]any, len(x))
			for i, y := range x {
				if m, ok := y.(obj); ok {
					l[i] = deepCopy(m)
				} else {
					l[i] = y
				}
			}
			out[k] = l
		default:
			out[k] = e
		}
	}
	return out
}

// Visualisation builders. Column arguments are local keys.

func xy(series string, x, split string, ys ...string) func(string, func(string) string) obj {
	return func(layer string, id func(string) string) obj {
		acc := make([]any, len(ys))
		for i, y := range ys {
			acc[i] = id(y)
		}
		l := obj{
			"layerId": layer, "layerType": "data", "seriesType": series,
			"accessors": acc, "xAccessor": id(x),
		}
		if split != "" {
			l["splitAccessor"] = id(split)
		}
		return obj{
			"legend":                       obj{"isVisible": true, "position": "right"},
			"valueLabels":                  "hide",
			"fittingFunction":              "None",
			"preferredSeriesType":          series,
			"layers":                       []any{l},
			"axisTitlesVisibilitySettings": obj{"x": true, "yLeft": true, "yRight": true},
			"tickLabelsVisibilitySettings": obj{"x": true, "yLeft": true, "yRight": true},
			"gridlinesVisibilitySettings":  obj{"x": true, "yLeft": true, "yRight": true},
		}
	}
}

func metricVis(m string) func(string, func(string) string) obj {
	return func(layer string, id func(string) string) obj {
		return obj{"layerId": layer, "layerType": "data", "metricAccessor": id(m)}
	}
}

// pie is a partition chart in the Lens 8.6+ shape: "metrics" is a list
// (Lens migration 8.6.0 migratePartitionMetrics turned "metric" into it, and
// a by-value panel of a dashboard declaring 8.7.0 is never migrated; see
// dashboards/shapes.go).
func pie(shape, group, m string) func(string, func(string) string) obj {
	return func(layer string, id func(string) string) obj {
		return obj{
			"shape": shape,
			"layers": []any{obj{
				"layerId": layer, "layerType": "data", "primaryGroups": []any{id(group)},
				"metrics": []any{id(m)}, "numberDisplay": "percent", "categoryDisplay": "default",
				"legendDisplay": "default", "nestedLegend": false,
			}},
		}
	}
}

func heatmap(x, y, v string) func(string, func(string) string) obj {
	return func(layer string, id func(string) string) obj {
		return obj{
			"shape": "heatmap", "layerId": layer, "layerType": "data",
			"xAccessor": id(x), "yAccessor": id(y), "valueAccessor": id(v),
			"legend":     obj{"isVisible": true, "position": "right", "type": "heatmap_legend"},
			"gridConfig": obj{"type": "heatmap_grid", "isCellLabelVisible": true, "isYAxisLabelVisible": true, "isXAxisLabelVisible": true, "isYAxisTitleVisible": true, "isXAxisTitleVisible": true},
		}
	}
}

func table(cols ...string) func(string, func(string) string) obj {
	return func(layer string, id func(string) string) obj {
		cs := make([]any, len(cols))
		for i, c := range cols {
			cs[i] = obj{"columnId": id(c)}
		}
		return obj{"layerId": layer, "layerType": "data", "columns": cs}
	}
}

// mapLayer is one Elasticsearch layer of a map panel.
type mapLayer struct {
	label    string
	dataView string
	geoField string
	color    string // color ramp of the grid cells
}
