package main

import "fmt"

// Kibana versions the objects are written for: the oldest supported
// Kibana (8.8.0, the first to export coreMigrationVersion and
// typeMigrationVersion) and the migration version each type had there, so
// that newer Kibanas migrate them forward on import.
const (
	kibanaVersion    = "8.8.0"
	dashboardVersion = "8.7.0"
	lensVersion      = "8.6.0"
	mapVersion       = "8.4.0"
	dataViewVersion  = "8.0.0"
)

// dashboard is one dashboard before it becomes a saved object.
type dashboard struct {
	id, title, desc string
	panels          []panel
}

// dataView is one Kibana data view (index-pattern saved object).
type dataView struct {
	id, title, name string
	catalogs        []string // fields.yml files of its sources, for fieldFormatMap
}

func (dv dataView) object(formats obj) obj {
	return obj{
		"id":                   dv.id,
		"type":                 "index-pattern",
		"coreMigrationVersion": kibanaVersion,
		"typeMigrationVersion": dataViewVersion,
		"managed":              false,
		"references":           []any{},
		"attributes": obj{
			"title":           dv.title,
			"name":            dv.name,
			"timeFieldName":   "@timestamp",
			"allowNoIndex":    true,
			"fields":          []any{},
			"fieldFormatMap":  formats,
			"runtimeFieldMap": obj{},
			"sourceFilters":   []any{},
			"fieldAttrs":      obj{},
			"typeMeta":        obj{},
		},
	}
}

// layout places panels left to right in rows of the 48-column grid, the
// next row starting under the tallest panel of the row.
func layout(ps []panel) [][4]int {
	out := make([][4]int, len(ps))
	x, y, rowH := 0, 0, 0
	for i, p := range ps {
		if x+p.w > 48 {
			x, y, rowH = 0, y+rowH, 0
		}
		out[i] = [4]int{x, y, p.w, p.h}
		x += p.w
		if p.h > rowH {
			rowH = p.h
		}
	}
	return out
}

func (d dashboard) object() obj {
	grid := layout(d.panels)
	var panels []any
	refs := []any{}
	for i, p := range d.panels {
		pid := uid(d.id, p.title, "panel")
		g := grid[i]
		pj := obj{
			"panelIndex": pid,
			"gridData":   obj{"x": g[0], "y": g[1], "w": g[2], "h": g[3], "i": pid},
			"version":    kibanaVersion,
			"title":      p.title,
		}
		switch {
		case p.markdown != "":
			pj["type"] = "visualization"
			pj["embeddableConfig"] = obj{
				"enhancements": obj{},
				"savedVis": obj{
					"title": p.title, "description": p.desc, "type": "markdown",
					"params":  obj{"fontSize": 12, "openLinksInNewTab": false, "markdown": p.markdown},
					"uiState": obj{},
					"data": obj{"aggs": []any{}, "searchSource": obj{
						"query": obj{"query": "", "language": "kuery"}, "filter": []any{},
					}},
				},
			}
		case len(p.mapLayers) > 0:
			attrs, names := p.mapAttributes(d.id)
			pj["type"] = "map"
			pj["embeddableConfig"] = obj{
				"enhancements":   obj{},
				"attributes":     attrs,
				"mapCenter":      obj{"lat": 25, "lon": 10, "zoom": 1.2},
				"isLayerTOCOpen": false, "openTOCDetails": []any{}, "hiddenLayers": []any{},
			}
			for j, n := range names {
				refs = append(refs, obj{"type": "index-pattern", "id": p.mapLayers[j].dataView, "name": pid + ":" + n})
			}
		default:
			attrs, refName := p.lensAttributes(d.id)
			pj["type"] = "lens"
			pj["embeddableConfig"] = obj{"enhancements": obj{}, "attributes": attrs}
			refs = append(refs, obj{"type": "index-pattern", "id": p.dataView, "name": pid + ":" + refName})
		}
		panels = append(panels, pj)
	}
	return obj{
		"id":                   d.id,
		"type":                 "dashboard",
		"coreMigrationVersion": kibanaVersion,
		"typeMigrationVersion": dashboardVersion,
		"managed":              false,
		"references":           refs,
		"attributes": obj{
			"title":           d.title,
			"description":     d.desc,
			"version":         1,
			"timeRestore":     true,
			"timeFrom":        "now-24h",
			"timeTo":          "now",
			"refreshInterval": obj{"pause": false, "value": 60000},
			"optionsJSON": obj{
				"useMargins": true, "syncColors": false, "syncCursor": true,
				"syncTooltips": false, "hidePanelTitles": false,
			},
			"panelsJSON": panels,
			"kibanaSavedObjectMeta": obj{"searchSourceJSON": obj{
				"query": obj{"query": "", "language": "kuery"}, "filter": []any{},
			}},
		},
	}
}

// mapAttributes builds a by-value map: a base map and one grid layer per
// mapLayer, each counting documents per cell of its geo_point field.
func (p *panel) mapAttributes(dash string) (obj, []string) {
	layers := []any{obj{
		"id": "basemap", "type": "EMS_VECTOR_TILE", "label": nil,
		"sourceDescriptor": obj{"type": "EMS_TMS", "isAutoSelect": true, "lightModeDefault": "road_map_desaturated"},
		"style":            obj{"type": "EMS_VECTOR_TILE", "color": ""},
		"alpha":            1, "visible": true, "minZoom": 0, "maxZoom": 24, "includeInFitToBounds": true,
	}}
	// The layers' index patterns are references of the dashboard, named
	// <panelIndex>:layer_N_source_index_pattern (as in the squid dashboard of
	// elastic/integrations); the by-value attributes carry none.
	var names []string
	for i, l := range p.mapLayers {
		name := fmt.Sprintf("layer_%d_source_index_pattern", i+1)
		names = append(names, name)
		layers = append(layers, obj{
			"id": uid(dash, p.title, l.label, "layer"), "type": "GEOJSON_VECTOR", "label": l.label,
			"sourceDescriptor": obj{
				"type": "ES_GEO_GRID", "id": uid(dash, p.title, l.label, "source"),
				"geoField": l.geoField, "requestType": "point", "resolution": "COARSE",
				"metrics":          []any{obj{"type": "count"}},
				"applyGlobalQuery": true, "applyGlobalTime": true, "applyForceRefresh": true,
				"indexPatternRefName": name,
			},
			"style": obj{"type": "VECTOR", "isTimeAware": true, "properties": obj{
				"icon":        obj{"type": "STATIC", "options": obj{"value": "marker"}},
				"symbolizeAs": obj{"options": obj{"value": "circle"}},
				"fillColor": obj{"type": "DYNAMIC", "options": obj{
					"color": l.color, "colorCategory": "palette_0", "type": "ORDINAL",
					"field":            obj{"name": "doc_count", "origin": "source"},
					"fieldMetaOptions": obj{"isEnabled": true, "sigma": 3},
				}},
				"lineColor": obj{"type": "STATIC", "options": obj{"color": "#FFFFFF"}},
				"lineWidth": obj{"type": "STATIC", "options": obj{"size": 1}},
				"iconSize": obj{"type": "DYNAMIC", "options": obj{
					"minSize": 4, "maxSize": 32,
					"field":            obj{"name": "doc_count", "origin": "source"},
					"fieldMetaOptions": obj{"isEnabled": true, "sigma": 3},
				}},
			}},
			"alpha": 0.75, "visible": true, "minZoom": 0, "maxZoom": 24, "includeInFitToBounds": true,
			"joins": []any{},
		})
	}
	return obj{
		"title":         p.title,
		"description":   p.desc,
		"layerListJSON": layers,
		"mapStateJSON": obj{
			"zoom": 1.2, "center": obj{"lat": 25, "lon": 10},
			"timeFilters":   obj{"from": "now-24h", "to": "now"},
			"refreshConfig": obj{"isPaused": true, "interval": 0},
			"query":         obj{"query": "", "language": "kuery"},
			"filters":       []any{},
			"settings":      obj{"autoFitToDataBounds": false, "initialLocation": "LAST_SAVED_LOCATION", "showSpatialFilters": true},
		},
		"uiStateJSON": obj{"isLayerTOCOpen": false, "openTOCDetails": []any{}},
	}, names
}
