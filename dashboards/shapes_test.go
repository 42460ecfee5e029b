package dashboards

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPanelsMatchKibanaShapes checks every object and panel we ship against
// the persisted shapes of shapes.go (read from Kibana's source, at the
// typeMigrationVersion we declare).
func TestPanelsMatchKibanaShapes(t *testing.T) {
	for _, f := range source(t) {
		for _, e := range CheckShapes(f.Object) {
			t.Error(e)
		}
	}
}

// TestShapesRejectOutdatedLensState feeds the check the states older Lens
// versions persisted, which Kibana does not migrate in a by-value panel of
// a dashboard declaring 8.7.0: each must be refused, naming the key.
func TestShapesRejectOutdatedLensState(t *testing.T) {
	var pie Object
	for _, f := range source(t) {
		if f.Object["id"] != "shipper-squid" {
			continue
		}
		b, _ := json.Marshal(f.Object)
		json.Unmarshal(b, &pie)
	}
	if pie == nil {
		t.Fatal("no shipper-squid dashboard")
	}
	panel := func(o Object, visType string) map[string]any {
		for _, p := range o["attributes"].(map[string]any)["panelsJSON"].([]any) {
			pm := p.(map[string]any)
			a, _ := pm["embeddableConfig"].(map[string]any)["attributes"].(map[string]any)
			if a != nil && a["visualizationType"] == visType {
				return a
			}
		}
		t.Fatalf("no %s panel", visType)
		return nil
	}
	f := func(name, want string, mutate func(o Object)) {
		t.Helper()
		var o Object
		b, _ := json.Marshal(pie)
		json.Unmarshal(b, &o)
		mutate(o)
		errs := CheckShapes(o)
		for _, e := range errs {
			if strings.Contains(e, want) {
				return
			}
		}
		t.Errorf("%s: CheckShapes = %q, want an error containing %q", name, errs, want)
	}
	f("pre-8.6 donut (metric, not metrics)", `lnsPie.layer has key "metric"`, func(o Object) {
		l := panel(o, "lnsPie")["state"].(map[string]any)["visualization"].(map[string]any)["layers"].([]any)[0].(map[string]any)
		l["metric"] = l["metrics"].([]any)[0]
		delete(l, "metrics")
	})
	f("pre-8.5 donut (groups)", `lnsPie.layer lacks "primaryGroups"`, func(o Object) {
		l := panel(o, "lnsPie")["state"].(map[string]any)["visualization"].(map[string]any)["layers"].([]any)[0].(map[string]any)
		l["groups"] = l["primaryGroups"]
		delete(l, "primaryGroups")
	})
	f("pre-8.5 metric (accessor)", `lnsMetric lacks "metricAccessor"`, func(o Object) {
		v := panel(o, "lnsMetric")["state"].(map[string]any)["visualization"].(map[string]any)
		v["accessor"] = v["metricAccessor"]
		delete(v, "metricAccessor")
	})
	f("pre-8.6 datasource (indexpattern)", `lens.datasourceStates lacks "formBased"`, func(o Object) {
		ds := panel(o, "lnsXY")["state"].(map[string]any)["datasourceStates"].(map[string]any)
		ds["indexpattern"] = ds["formBased"]
		delete(ds, "formBased")
	})
	f("pre-8.1 count (Records)", `want ___records___`, func(o Object) {
		st := panel(o, "lnsMetric")["state"].(map[string]any)
		for _, l := range st["datasourceStates"].(map[string]any)["formBased"].(map[string]any)["layers"].(map[string]any) {
			for _, c := range l.(map[string]any)["columns"].(map[string]any) {
				c.(map[string]any)["sourceField"] = "Records"
			}
		}
	})
	f("pre-8.3 XY value labels (inside)", `valueLabels = inside`, func(o Object) {
		panel(o, "lnsXY")["state"].(map[string]any)["visualization"].(map[string]any)["valueLabels"] = "inside"
	})
	f("accessor naming no column", `names no column`, func(o Object) {
		v := panel(o, "lnsMetric")["state"].(map[string]any)["visualization"].(map[string]any)
		v["metricAccessor"] = "nope"
	})
	f("a 9.x-only key", `has key "secondaryTrend"`, func(o Object) {
		panel(o, "lnsMetric")["state"].(map[string]any)["visualization"].(map[string]any)["secondaryTrend"] = map[string]any{"type": "none"}
	})
}
