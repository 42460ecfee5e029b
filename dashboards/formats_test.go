package dashboards

import (
	"fmt"
	"testing"

	_ "github.com/shipper-project/shipper/inputs/all"
	_ "github.com/shipper-project/shipper/processors/all"
)

// TestDataViewFieldFormats: bytes, 0–1 percentages and durations are
// formatted in every data view (Discover, tooltips, new panels), each
// format names a numeric catalog field, and a Lens column that formats a
// field as bytes or percent agrees with its data view.
func TestDataViewFieldFormats(t *testing.T) {
	cat := CatalogWithFlows(t)
	numeric := map[string]bool{"long": true, "integer": true, "short": true, "float": true, "double": true, "scaled_float": true, "half_float": true, "unsigned_long": true}
	formats := map[string]map[string]any{} // data view id → fieldFormatMap
	for _, f := range source(t) {
		if f.Object["type"] != "index-pattern" {
			continue
		}
		ffm, _ := f.Object["attributes"].(map[string]any)["fieldFormatMap"].(map[string]any)
		formats[f.Object["id"].(string)] = ffm
		for name, v := range ffm {
			if !numeric[cat[name].Type] {
				t.Errorf("%s: fieldFormatMap formats %s, which is %q in the catalog, not a number", f.Name, name, cat[name].Type)
			}
			m, _ := v.(map[string]any)
			switch m["id"] {
			case "bytes", "percent":
			case "duration":
				p, _ := m["params"].(map[string]any)
				if p["inputFormat"] == nil || p["outputFormat"] == nil {
					t.Errorf("%s: %s duration without inputFormat/outputFormat: %v", f.Name, name, p)
				}
			default:
				t.Errorf("%s: %s has format %v, want bytes, percent or duration", f.Name, name, m["id"])
			}
		}
	}
	want := map[string]map[string]string{
		"shipper-squid.access":   {"http.response.bytes": "bytes", "event.duration": "duration:nanoseconds", "squid.request.duration": "duration:milliseconds"},
		"shipper-snort.alert":    {"network.bytes": "bytes", "snort.client.bytes": "bytes"},
		"shipper-snmp.interface": {"snmp.utilization.in.pct": "percent", "snmp.agent.uptime": "duration:seconds"},
		"shipper-system.core":    {"system.core.user.pct": "percent", "system.core.total.pct": "percent"},
		"shipper-system.cpu":     {"system.cpu.total.norm.pct": "percent"},
		"shipper-system.memory":  {"system.memory.actual.free": "bytes", "system.memory.total": "bytes", "system.memory.actual.used.pct": "percent"},
		"shipper-system.process": {"system.process.memory.rss.bytes": "bytes", "system.process.memory.size": "bytes", "system.process.io.read_bytes_per_sec": "bytes", "system.process.cpu.total.pct": "percent"},
		"shipper-flows":          {"network.bytes": "bytes", "netflow.octet_delta_count": "bytes", "netflow.flow_duration_milliseconds": "duration:milliseconds", "sflow.sample.frame_length": "bytes", "netflow.min_flow_start_seconds": "<nil>", "netflow.source_ipv4_prefix_length": "<nil>"},
		"shipper-all":            {"http.response.bytes": "bytes", "system.core.user.pct": "percent", "event.duration": "duration:nanoseconds"},
	}
	for dv, fs := range want {
		for name, w := range fs {
			m, _ := formats[dv][name].(map[string]any)
			got := fmt.Sprint(m["id"])
			if p, ok := m["params"].(map[string]any); ok && m["id"] == "duration" {
				got += ":" + fmt.Sprint(p["inputFormat"])
			}
			if got != w {
				t.Errorf("data view %s: %s formatted %s, want %s", dv, name, got, w)
			}
		}
	}
	// Lens columns that format a field as bytes or percent agree with the
	// field's format in the panel's data view.
	for _, f := range source(t) {
		if f.Object["type"] != "dashboard" {
			continue
		}
		for _, p := range f.Object["attributes"].(map[string]any)["panelsJSON"].([]any) {
			a, _ := dig(p, "embeddableConfig", "attributes").(map[string]any)
			refs, _ := a["references"].([]any)
			if len(refs) == 0 {
				continue
			}
			dv := refs[0].(map[string]any)["id"].(string)
			layers, _ := dig(a, "state", "datasourceStates", "formBased", "layers").(map[string]any)
			for _, l := range layers {
				for _, c := range l.(map[string]any)["columns"].(map[string]any) {
					cm := c.(map[string]any)
					id, _ := dig(cm, "params", "format", "id").(string)
					field, _ := cm["sourceField"].(string)
					if id != "bytes" && id != "percent" {
						continue
					}
					got, _ := dig(formats[dv][field], "id").(string)
					if got != id {
						t.Errorf("%s / %v: column formats %s as %s, data view %s as %q", f.Name, p.(map[string]any)["title"], field, id, dv, got)
					}
				}
			}
		}
	}
}
