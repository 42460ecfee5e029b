package dashboards

import (
	"fmt"
	"sort"
	"strings"
)

// This file is the schema of what we ship: the persisted shape Kibana
// expects of every object, panel, Lens visualisation, Lens column and Maps
// layer the generator emits, at the typeMigrationVersion we declare. It is
// written from Kibana's own source (elastic/kibana; the file is named in
// each Shape's Source) and checked against every panel by
// TestPanelsMatchKibanaShapes. No Kibana runs in our tests, so this is the
// check that a panel renders.
//
// Why the declared version matters: Kibana migrates a by-value panel with
// the embeddable migrations newer than the *dashboard's*
// typeMigrationVersion (src/platform/plugins/shared/dashboard/server/
// dashboard_saved_object/migrations/dashboard_saved_object_migrations.ts maps
// every embeddable migration version to migrateByValueDashboardPanels), and
// never runs the older ones. Our dashboards declare 8.7.0, so every Lens
// migration up to and including 8.7.0 must already be applied in the file:
// x-pack/platform/plugins/shared/lens/server/migrations/saved_object_migrations.ts
// lists them — 8.1.0 (renameRecordsField: count's sourceField
// "___records___"; addParentFormatter), 8.2.0 (last_value showArrayValues,
// date_histogram includeEmptyRows), 8.3.0 (valueLabels "hide"|"show"),
// 8.5.0 (migrateMetricIds: lnsMetric is the new metric, metricAccessor;
// partition "groups" → "primaryGroups"), 8.6.0 (datasourceStates.indexpattern
// → formBased; partition "metric" → "metrics": [..]). Lens 8.9.0
// (migrateMetricFormatter) is newer than 8.7.0 and runs on import in 8.9+
// and 9.x, so the files must not anticipate it.
//
// Kibana 9.x imports these 8.x objects unchanged: the dashboard type keeps
// the legacy migration map next to its model versions 1–4
// (dashboard_saved_object.ts: modelVersions plus migrations()), and Lens
// applies its runtime-state converters to older persisted state on load
// (x-pack/platform/plugins/shared/lens/public/visualizations/{metric,xy}/
// runtime_state/converters). One export serves 8.8+ and 9.x; a 9.x-only
// shape (e.g. the metric's secondaryTrend) would make 8.8 render wrongly
// and is refused here as an unknown key.

// Shape is the persisted form of one kind of JSON object: the keys it must
// have, the ones it may have, and the values some keys may take. A key not
// in Required or Optional is an error (a misspelt or out-of-version key is
// silently ignored by Kibana, which is how the pre-8.6 donut passed).
type Shape struct {
	Required []string
	Optional []string
	Enums    map[string][]string
	Source   string // the elastic/kibana file the shape is read from
}

// Kibana source files, named once.
const (
	srcDashAttrs   = "src/platform/plugins/shared/dashboard/server/dashboard_saved_object/schema/v1/v1.ts (attributes, unknowns: 'forbid')"
	srcDashPanel   = "src/platform/plugins/shared/dashboard/server/dashboard_saved_object/migrations/dashboard_panel_converters.ts (SavedDashboardPanel)"
	srcGridData    = "src/platform/plugins/shared/dashboard/server/dashboard_saved_object/schema/v3/v3.ts (gridDataSchema)"
	srcLensAttrs   = "x-pack/platform/plugins/shared/lens/server/migrations/saved_object_migrations.ts (LensDocShape, 8.6.0 formBased)"
	srcLensTypes   = "x-pack/platform/plugins/shared/lens/common/types.ts"
	srcXY          = "x-pack/platform/plugins/shared/lens/public/visualizations/xy/types.ts (XYState, XYDataLayerConfig)"
	srcMetric      = "x-pack/platform/plugins/shared/lens/public/visualizations/metric/visualization.tsx (MetricVisualizationState, 8.x)"
	srcHeatmap     = "x-pack/platform/plugins/shared/lens/public/visualizations/heatmap/types.ts + src/platform/plugins/shared/chart_expressions/expression_heatmap/common/types"
	srcDatatable   = "x-pack/platform/plugins/shared/lens/common/expressions/datatable (DatatableVisualizationState, ColumnState)"
	srcFormBased   = "x-pack/platform/plugins/shared/lens/public/datasources/form_based/types.ts (FormBasedLayer) and operations/definitions/column_types.ts"
	srcOperations  = "x-pack/platform/plugins/shared/lens/public/datasources/form_based/operations/definitions/"
	srcMapAttrs    = "x-pack/platform/plugins/shared/maps/common/content_management (MapAttributes); by-value panel as in elastic/integrations packages/squid/kibana/dashboard"
	srcMapLayers   = "x-pack/platform/plugins/shared/maps/common/descriptor_types/layer_descriptor_types.ts"
	srcMapSources  = "x-pack/platform/plugins/shared/maps/common/descriptor_types/source_descriptor_types.ts + common/constants.ts (GRID_RESOLUTION, RENDER_AS)"
	srcVisMarkdown = "src/platform/plugins/shared/visualizations/common/types.ts (SerializedVis) + vis_types/markdown (MarkdownVisParams)"
	srcDataView    = "src/platform/plugins/shared/data_views/common/types.ts (DataViewAttributes)"
)

var columnBase = []string{"label", "dataType", "operationType", "isBucketed", "scale"}
var columnOptional = []string{"sourceField", "customLabel", "params", "filter", "timeScale", "timeShift", "reducedTimeRange", "references"}

// Shapes are the object kinds we emit, keyed by what they are.
var Shapes = map[string]Shape{
	"index-pattern.attributes": {
		Required: []string{"title", "timeFieldName"},
		Optional: []string{"name", "allowNoIndex", "fields", "fieldFormatMap", "runtimeFieldMap", "sourceFilters", "fieldAttrs", "typeMeta"},
		Source:   srcDataView,
	},
	// One fieldFormatMap entry: a field formatter id and its params.
	"index-pattern.fieldFormat": {
		Required: []string{"id"}, Optional: []string{"params"},
		Enums:  map[string][]string{"id": {"bytes", "percent", "duration", "number"}},
		Source: "src/platform/plugins/shared/field_formats/common/converters/{bytes,percent,duration,number}.ts (FIELD_FORMAT_IDS)",
	},
	"index-pattern.fieldFormat.duration": {
		Required: []string{"inputFormat", "outputFormat"},
		Optional: []string{"outputPrecision", "showSuffix", "useShortSuffix", "includeSpaceWithSuffix"},
		Enums: map[string][]string{
			"inputFormat":  {"picoseconds", "nanoseconds", "microseconds", "milliseconds", "seconds", "minutes", "hours", "days", "weeks", "months", "years"},
			"outputFormat": {"humanize", "humanizePrecise", "asMilliseconds", "asSeconds", "asMinutes", "asHours", "asDays", "asWeeks", "asMonths", "asYears"},
		},
		Source: "src/platform/plugins/shared/field_formats/common/converters/duration.ts (inputFormats, outputFormats)",
	},
	"dashboard.attributes": {
		Required: []string{"title", "panelsJSON"},
		Optional: []string{"description", "version", "timeRestore", "timeFrom", "timeTo", "refreshInterval", "optionsJSON", "kibanaSavedObjectMeta", "controlGroupInput", "hits"},
		Source:   srcDashAttrs,
	},
	"panel": {
		Required: []string{"panelIndex", "gridData", "type", "embeddableConfig"},
		Optional: []string{"title", "version", "panelRefName", "id"},
		Enums:    map[string][]string{"type": {"lens", "map", "visualization"}},
		Source:   srcDashPanel,
	},
	"panel.gridData": {
		Required: []string{"x", "y", "w", "h", "i"},
		Optional: []string{"sectionId"},
		Source:   srcGridData,
	},
	"lens.embeddableConfig": {
		Required: []string{"attributes"},
		Optional: []string{"enhancements", "hidePanelTitles", "syncColors", "syncCursor", "syncTooltips", "filters", "query", "title", "description"},
		Source:   srcLensAttrs,
	},
	"lens.attributes": {
		Required: []string{"title", "visualizationType", "type", "references", "state"},
		Optional: []string{"description"},
		Enums:    map[string][]string{"visualizationType": {"lnsXY", "lnsMetric", "lnsPie", "lnsHeatmap", "lnsDatatable"}, "type": {"lens"}},
		Source:   srcLensAttrs,
	},
	"lens.state": {
		Required: []string{"visualization", "query", "filters", "datasourceStates"},
		Optional: []string{"internalReferences", "adHocDataViews", "needsRefresh"},
		Source:   srcLensAttrs,
	},
	// 8.6.0 migrateIndexPatternDatasource: indexpattern → formBased.
	"lens.datasourceStates": {
		Required: []string{"formBased"},
		Optional: []string{"textBased"},
		Source:   srcLensAttrs,
	},
	"lens.formBased.layer": {
		Required: []string{"columns", "columnOrder"},
		Optional: []string{"incompleteColumns", "sampling", "ignoreGlobalFilters", "linkToLayers"},
		Source:   srcFormBased,
	},
	// Columns: the base keys, then each operation's params.
	"column": {
		Required: columnBase, Optional: columnOptional,
		Enums: map[string][]string{
			"dataType":      {"string", "number", "date", "ip", "boolean"},
			"scale":         {"ordinal", "interval", "ratio"},
			"operationType": {"count", "sum", "average", "median", "min", "max", "unique_count", "percentile", "last_value", "terms", "date_histogram", "range", "counter_rate"},
		},
		Source: srcFormBased,
	},
	"params.count":          {Optional: []string{"emptyAsNull", "format"}, Source: srcOperations + "count.tsx"},
	"params.sum":            {Optional: []string{"emptyAsNull", "format"}, Source: srcOperations + "metrics.tsx"},
	"params.average":        {Optional: []string{"emptyAsNull", "format"}, Source: srcOperations + "metrics.tsx"},
	"params.median":         {Optional: []string{"emptyAsNull", "format"}, Source: srcOperations + "metrics.tsx"},
	"params.min":            {Optional: []string{"emptyAsNull", "format"}, Source: srcOperations + "metrics.tsx"},
	"params.max":            {Optional: []string{"emptyAsNull", "format"}, Source: srcOperations + "metrics.tsx"},
	"params.unique_count":   {Optional: []string{"emptyAsNull", "format"}, Source: srcOperations + "cardinality.tsx"},
	"params.counter_rate":   {Optional: []string{"format"}, Source: srcOperations + "calculations/counter_rate.tsx"},
	"params.percentile":     {Required: []string{"percentile"}, Optional: []string{"format"}, Source: srcOperations + "percentile.tsx"},
	"params.last_value":     {Required: []string{"sortField", "showArrayValues"}, Optional: []string{"format"}, Source: srcOperations + "last_value.tsx (8.2.0 setLastValueShowArrayValues)"},
	"params.date_histogram": {Required: []string{"interval", "includeEmptyRows"}, Optional: []string{"dropPartials", "ignoreTimeRange"}, Source: srcOperations + "date_histogram.tsx (7.14.0 removed timeZone; 8.2.0 includeEmptyRows)"},
	"params.terms": {
		Required: []string{"size", "orderBy", "orderDirection"},
		Optional: []string{"otherBucket", "missingBucket", "parentFormat", "secondaryFields", "accuracyMode", "include", "exclude", "includeIsRegex", "excludeIsRegex", "format"},
		Enums:    map[string][]string{"orderDirection": {"asc", "desc"}},
		Source:   srcOperations + "terms/types.ts (8.1.0 addParentFormatter)",
	},
	"params.range": {
		Required: []string{"type", "ranges", "maxBars"},
		Optional: []string{"includeEmptyRows", "format", "parentFormat"},
		Enums:    map[string][]string{"type": {"histogram", "range"}},
		Source:   srcOperations + "ranges/ranges.tsx",
	},
	"params.format": {
		Required: []string{"id"}, Optional: []string{"params"},
		Enums:  map[string][]string{"id": {"number", "percent", "bytes", "bits", "duration", "custom"}},
		Source: "x-pack/platform/plugins/shared/lens/public/datasources/form_based/operations/definitions/column_types.ts (ValueFormatConfig)",
	},
	// Visualisations.
	"lnsXY": {
		Required: []string{"preferredSeriesType", "legend", "layers"},
		Optional: []string{"valueLabels", "fittingFunction", "emphasizeFitting", "endValue", "xExtent", "yLeftExtent", "yRightExtent", "xTitle", "yTitle", "yRightTitle", "yLeftScale", "yRightScale", "axisTitlesVisibilitySettings", "tickLabelsVisibilitySettings", "gridlinesVisibilitySettings", "labelsOrientation", "curveType", "fillOpacity", "hideEndzones", "showCurrentTimeMarker"},
		// 8.3.0 fixValueLabelsInXY: "inside"/"outside" became "show".
		Enums:  map[string][]string{"valueLabels": {"hide", "show"}, "fittingFunction": {"None", "Zero", "Linear", "Carry", "Lookahead", "Average", "Nearest"}},
		Source: srcXY,
	},
	"lnsXY.layer": {
		Required: []string{"layerId", "accessors", "layerType", "seriesType"},
		Optional: []string{"xAccessor", "splitAccessor", "yConfig", "palette", "collapseFn", "xScaleType", "isHistogram", "simpleView"},
		Enums: map[string][]string{
			"layerType":  {"data"},
			"seriesType": {"bar", "line", "area", "bar_stacked", "area_stacked", "bar_horizontal", "bar_percentage_stacked", "bar_horizontal_stacked", "area_percentage_stacked", "bar_horizontal_percentage_stacked"},
		},
		Source: srcXY,
	},
	"lnsXY.legend": {
		Required: []string{"isVisible", "position"},
		Optional: []string{"showSingleSeries", "isInside", "horizontalAlignment", "verticalAlignment", "floatingColumns", "maxLines", "shouldTruncate", "legendSize"},
		Enums:    map[string][]string{"position": {"top", "bottom", "left", "right"}},
		Source:   "src/platform/plugins/shared/chart_expressions/expression_xy/common/types/expression_functions.ts (LegendConfig)",
	},
	// 8.5.0 migrateMetricIds: from 8.5 "lnsMetric" is the new metric, whose
	// state has metricAccessor; the old state's "accessor" belongs to
	// lnsLegacyMetric and would render an empty panel.
	"lnsMetric": {
		Required: []string{"layerId", "layerType", "metricAccessor"},
		Optional: []string{"secondaryMetricAccessor", "maxAccessor", "breakdownByAccessor", "collapseFn", "subtitle", "secondaryPrefix", "progressDirection", "showBar", "color", "palette", "maxCols", "trendlineLayerId", "trendlineLayerType", "trendlineTimeAccessor", "trendlineMetricAccessor", "trendlineSecondaryMetricAccessor", "trendlineBreakdownByAccessor"},
		Enums:    map[string][]string{"layerType": {"data"}},
		Source:   srcMetric,
	},
	// 8.5.0 migratePartitionChartGroups (groups → primaryGroups) and 8.6.0
	// migratePartitionMetrics (metric → metrics[]): a by-value donut in a
	// dashboard declaring 8.7.0 is never migrated, and the partition
	// renderer reads layer.metrics.
	"lnsPie": {
		Required: []string{"shape", "layers"},
		Optional: []string{"palette"},
		Enums:    map[string][]string{"shape": {"pie", "donut", "treemap", "mosaic", "waffle"}},
		Source:   srcLensTypes + " (PieVisualizationState)",
	},
	"lnsPie.layer": {
		Required: []string{"layerId", "layerType", "primaryGroups", "metrics", "numberDisplay", "categoryDisplay", "legendDisplay"},
		Optional: []string{"secondaryGroups", "allowMultipleMetrics", "colorsByDimension", "collapseFns", "legendPosition", "nestedLegend", "percentDecimals", "emptySizeRatio", "legendMaxLines", "legendSize", "truncateLegend", "showValuesInLegend"},
		Enums: map[string][]string{
			"layerType":       {"data"},
			"numberDisplay":   {"hidden", "percent", "value"},
			"categoryDisplay": {"default", "inside", "hide"},
			"legendDisplay":   {"default", "show", "hide"},
		},
		Source: srcLensTypes + " (SharedPieLayerState, 8.6+)",
	},
	"lnsHeatmap": {
		Required: []string{"shape", "layerId", "layerType", "xAccessor", "valueAccessor", "legend", "gridConfig"},
		Optional: []string{"yAccessor", "palette", "percentageMode", "lastRangeIsRightOpen"},
		Enums:    map[string][]string{"shape": {"heatmap"}, "layerType": {"data"}},
		Source:   srcHeatmap,
	},
	"lnsHeatmap.legend": {
		Required: []string{"isVisible", "position", "type"},
		Optional: []string{"maxLines", "shouldTruncate", "legendSize"},
		Enums:    map[string][]string{"type": {"heatmap_legend"}},
		Source:   srcHeatmap + " (HeatmapLegendConfig)",
	},
	"lnsHeatmap.gridConfig": {
		Required: []string{"type", "isCellLabelVisible", "isYAxisLabelVisible", "isXAxisLabelVisible"},
		Optional: []string{"isYAxisTitleVisible", "isXAxisTitleVisible", "xTitle", "yTitle", "strokeWidth", "strokeColor"},
		Enums:    map[string][]string{"type": {"heatmap_grid"}},
		Source:   srcHeatmap + " (HeatmapGridConfig)",
	},
	// 7.12.0 transformTableState: one layer, columns as objects.
	"lnsDatatable": {
		Required: []string{"layerId", "layerType", "columns"},
		Optional: []string{"sorting", "rowHeight", "rowHeightLines", "headerRowHeight", "headerRowHeightLines", "paging"},
		Enums:    map[string][]string{"layerType": {"data"}},
		Source:   srcDatatable,
	},
	"lnsDatatable.column": {
		Required: []string{"columnId"},
		Optional: []string{"width", "hidden", "isTransposed", "transposable", "alignment", "palette", "colorMode", "summaryRow", "summaryLabel", "collapseFn", "oneClickFilter"},
		Source:   srcDatatable + " (ColumnState)",
	},
	// Maps, by value: layerListJSON/mapStateJSON/uiStateJSON are JSON
	// strings on the wire (decoded in our files); index patterns are
	// references of the dashboard named <panelIndex>:layer_N_source_index_pattern.
	"map.embeddableConfig": {
		Required: []string{"attributes"},
		Optional: []string{"enhancements", "mapCenter", "mapBuffer", "isLayerTOCOpen", "openTOCDetails", "hiddenLayers", "hidePanelTitles", "title", "description"},
		Source:   srcMapAttrs,
	},
	"map.attributes": {
		Required: []string{"title", "layerListJSON", "mapStateJSON"},
		Optional: []string{"description", "uiStateJSON"},
		Source:   srcMapAttrs,
	},
	"map.layer": {
		Required: []string{"id", "type", "sourceDescriptor", "visible"},
		Optional: []string{"label", "style", "alpha", "minZoom", "maxZoom", "includeInFitToBounds", "joins", "disableTooltips", "locale", "areLabelsOnTop", "query", "parent"},
		Enums:    map[string][]string{"type": {"EMS_VECTOR_TILE", "GEOJSON_VECTOR", "HEATMAP", "MVT_VECTOR"}},
		Source:   srcMapLayers,
	},
	"map.source.EMS_TMS": {
		Required: []string{"type"},
		Optional: []string{"id", "isAutoSelect", "lightModeDefault"},
		Source:   srcMapSources,
	},
	"map.source.ES_GEO_GRID": {
		Required: []string{"type", "id", "geoField", "requestType", "resolution", "metrics", "indexPatternRefName"},
		Optional: []string{"applyGlobalQuery", "applyGlobalTime", "applyForceRefresh", "splitField"},
		Enums:    map[string][]string{"requestType": {"point", "grid", "heatmap", "hexagon"}, "resolution": {"COARSE", "FINE", "MOST_FINE", "SUPER_FINE"}},
		Source:   srcMapSources + " (ESGeoGridSourceDescriptor)",
	},
	// The overview's links: a by-value legacy markdown visualisation, the
	// only non-Lens panel type kept (package-spec allows markdown too).
	"markdown.embeddableConfig": {
		Required: []string{"savedVis"},
		Optional: []string{"enhancements", "hidePanelTitles", "title"},
		Source:   srcVisMarkdown,
	},
	"markdown.savedVis": {
		Required: []string{"type", "params"},
		Optional: []string{"title", "description", "uiState", "data", "id"},
		Enums:    map[string][]string{"type": {"markdown"}},
		Source:   srcVisMarkdown,
	},
	"markdown.params": {
		Required: []string{"markdown"},
		Optional: []string{"fontSize", "openLinksInNewTab"},
		Source:   srcVisMarkdown,
	},
}

// check compares m with the shape named kind and returns one line per
// difference, each prefixed with where.
func check(kind, where string, v any) []string {
	s, ok := Shapes[kind]
	if !ok {
		return []string{fmt.Sprintf("%s: no shape %q in the schema", where, kind)}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: %s is %T, want an object", where, kind, v)}
	}
	var errs []string
	known := map[string]bool{}
	for _, k := range s.Required {
		known[k] = true
		if _, ok := m[k]; !ok {
			errs = append(errs, fmt.Sprintf("%s: %s lacks %q (Kibana: %s)", where, kind, k, s.Source))
		}
	}
	for _, k := range s.Optional {
		known[k] = true
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			errs = append(errs, fmt.Sprintf("%s: %s has key %q that Kibana does not read at this version (Kibana: %s)", where, kind, k, s.Source))
		}
	}
	for k, allowed := range s.Enums {
		val, ok := m[k]
		if !ok {
			continue
		}
		str, _ := val.(string)
		found := false
		for _, a := range allowed {
			found = found || a == str
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %s.%s = %v, want one of %s (Kibana: %s)", where, kind, k, val, strings.Join(allowed, ", "), s.Source))
		}
	}
	return errs
}

// CheckShapes checks one saved object in source form (as Source returns
// it) against Shapes and returns every difference, or nil.
func CheckShapes(o Object) []string {
	id, _ := o["id"].(string)
	switch o["type"] {
	case "index-pattern":
		errs := check("index-pattern.attributes", id, o["attributes"])
		a, _ := o["attributes"].(map[string]any)
		ffm, _ := a["fieldFormatMap"].(map[string]any)
		for name, f := range ffm {
			where := id + " fieldFormatMap " + name
			errs = append(errs, check("index-pattern.fieldFormat", where, f)...)
			if fm, _ := f.(map[string]any); fm["id"] == "duration" {
				errs = append(errs, check("index-pattern.fieldFormat.duration", where, fm["params"])...)
			}
		}
		return errs
	case "dashboard":
	default:
		return []string{fmt.Sprintf("%s: type %v is not one we ship", id, o["type"])}
	}
	errs := check("dashboard.attributes", id, o["attributes"])
	attrs, _ := o["attributes"].(map[string]any)
	panels, _ := attrs["panelsJSON"].([]any)
	for i, p := range panels {
		pm, _ := p.(map[string]any)
		where := fmt.Sprintf("%s panel %d %q", id, i, pm["title"])
		errs = append(errs, check("panel", where, p)...)
		errs = append(errs, check("panel.gridData", where, pm["gridData"])...)
		ec, _ := pm["embeddableConfig"].(map[string]any)
		switch pm["type"] {
		case "lens":
			errs = append(errs, check("lens.embeddableConfig", where, ec)...)
			errs = append(errs, checkLens(where, ec["attributes"])...)
		case "map":
			errs = append(errs, check("map.embeddableConfig", where, ec)...)
			errs = append(errs, checkMap(where, ec["attributes"])...)
		case "visualization":
			errs = append(errs, check("markdown.embeddableConfig", where, ec)...)
			sv, _ := ec["savedVis"].(map[string]any)
			errs = append(errs, check("markdown.savedVis", where, sv)...)
			errs = append(errs, check("markdown.params", where, sv["params"])...)
		}
	}
	return errs
}

func checkLens(where string, v any) []string {
	errs := check("lens.attributes", where, v)
	a, _ := v.(map[string]any)
	st, _ := a["state"].(map[string]any)
	errs = append(errs, check("lens.state", where, st)...)
	ds, _ := st["datasourceStates"].(map[string]any)
	errs = append(errs, check("lens.datasourceStates", where, ds)...)
	fb, _ := ds["formBased"].(map[string]any)
	layers, _ := fb["layers"].(map[string]any)
	cols := map[string]map[string]any{} // column id → column, over all layers
	for lid, l := range layers {
		lw := where + " layer " + lid
		errs = append(errs, check("lens.formBased.layer", lw, l)...)
		lm, _ := l.(map[string]any)
		cm, _ := lm["columns"].(map[string]any)
		order, _ := lm["columnOrder"].([]any)
		if len(order) != len(cm) {
			errs = append(errs, fmt.Sprintf("%s: columnOrder has %d ids for %d columns", lw, len(order), len(cm)))
		}
		for _, id := range order {
			if _, ok := cm[fmt.Sprint(id)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: columnOrder names %v, not a column", lw, id))
			}
		}
		for cid, c := range cm {
			cw := lw + " column " + cid
			errs = append(errs, check("column", cw, c)...)
			col, _ := c.(map[string]any)
			cols[cid] = col
			op, _ := col["operationType"].(string)
			if _, ok := col["sourceField"]; !ok {
				errs = append(errs, fmt.Sprintf("%s: %s column without sourceField", cw, op))
			}
			if op == "count" && col["sourceField"] != "___records___" {
				errs = append(errs, fmt.Sprintf("%s: count's sourceField is %v, want ___records___ (Lens 8.1.0 renameRecordsField)", cw, col["sourceField"]))
			}
			if p, ok := col["params"]; ok {
				errs = append(errs, check("params."+op, cw, p)...)
				pm, _ := p.(map[string]any)
				if f, ok := pm["format"]; ok {
					errs = append(errs, check("params.format", cw, f)...)
				}
			} else if len(Shapes["params."+op].Required) > 0 {
				errs = append(errs, fmt.Sprintf("%s: %s column without params", cw, op))
			}
		}
	}
	vis := st["visualization"]
	vt, _ := a["visualizationType"].(string)
	errs = append(errs, check(vt, where, vis)...)
	vm, _ := vis.(map[string]any)
	// Accessors name columns of the layer.
	ref := func(key string, v any) {
		if v == nil {
			return
		}
		if _, ok := cols[fmt.Sprint(v)]; !ok {
			errs = append(errs, fmt.Sprintf("%s: %s.%s = %v names no column", where, vt, key, v))
		}
	}
	refs := func(key string, v any) {
		l, ok := v.([]any)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: %s.%s is %T, want a list of column ids", where, vt, key, v))
			return
		}
		for _, e := range l {
			ref(key, e)
		}
	}
	layerID := func(l map[string]any) {
		if _, ok := layers[fmt.Sprint(l["layerId"])]; !ok {
			errs = append(errs, fmt.Sprintf("%s: %s layerId %v is not a formBased layer", where, vt, l["layerId"]))
		}
	}
	switch vt {
	case "lnsXY":
		errs = append(errs, check("lnsXY.legend", where, vm["legend"])...)
		ls, _ := vm["layers"].([]any)
		for _, l := range ls {
			errs = append(errs, check("lnsXY.layer", where, l)...)
			lm, _ := l.(map[string]any)
			layerID(lm)
			refs("accessors", lm["accessors"])
			ref("xAccessor", lm["xAccessor"])
			ref("splitAccessor", lm["splitAccessor"])
		}
	case "lnsPie":
		ls, _ := vm["layers"].([]any)
		for _, l := range ls {
			errs = append(errs, check("lnsPie.layer", where, l)...)
			lm, _ := l.(map[string]any)
			layerID(lm)
			refs("primaryGroups", lm["primaryGroups"])
			refs("metrics", lm["metrics"])
		}
	case "lnsMetric":
		layerID(vm)
		ref("metricAccessor", vm["metricAccessor"])
	case "lnsHeatmap":
		layerID(vm)
		errs = append(errs, check("lnsHeatmap.legend", where, vm["legend"])...)
		errs = append(errs, check("lnsHeatmap.gridConfig", where, vm["gridConfig"])...)
		ref("xAccessor", vm["xAccessor"])
		ref("yAccessor", vm["yAccessor"])
		ref("valueAccessor", vm["valueAccessor"])
	case "lnsDatatable":
		layerID(vm)
		cs, _ := vm["columns"].([]any)
		if len(cs) != len(cols) {
			errs = append(errs, fmt.Sprintf("%s: lnsDatatable shows %d of %d columns", where, len(cs), len(cols)))
		}
		for _, c := range cs {
			errs = append(errs, check("lnsDatatable.column", where, c)...)
			cm, _ := c.(map[string]any)
			ref("columns.columnId", cm["columnId"])
		}
	}
	return errs
}

func checkMap(where string, v any) []string {
	errs := check("map.attributes", where, v)
	a, _ := v.(map[string]any)
	ls, ok := a["layerListJSON"].([]any)
	if !ok {
		return append(errs, fmt.Sprintf("%s: layerListJSON is %T, want the decoded list", where, a["layerListJSON"]))
	}
	for i, l := range ls {
		lw := fmt.Sprintf("%s map layer %d", where, i)
		errs = append(errs, check("map.layer", lw, l)...)
		lm, _ := l.(map[string]any)
		sd, _ := lm["sourceDescriptor"].(map[string]any)
		st, _ := sd["type"].(string)
		errs = append(errs, check("map.source."+st, lw, sd)...)
	}
	return errs
}
