package dashboards

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"

	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/dashboards/internal/inspect"
)

// The saved object types we ship and the newest typeMigrationVersion each
// may carry: the versions of Kibana 8.8.0 (MinKibana). A newer one would be
// refused by an 8.8 Kibana ("belongs to a more recent version of Kibana").
var maxTypeVersion = map[string]string{
	"index-pattern": "8.0.0",
	"dashboard":     "8.7.0",
}

// Lens visualisation types that exist in Kibana 8.8.
var lensTypes = map[string]bool{
	"lnsXY": true, "lnsMetric": true, "lnsPie": true, "lnsHeatmap": true,
	"lnsDatatable": true, "lnsGauge": true, "lnsTagcloud": true,
}

func source(t *testing.T) []SourceFile {
	t.Helper()
	src, err := Source()
	if err != nil {
		t.Fatal(err)
	}
	if len(src) == 0 {
		t.Fatal("no saved objects embedded")
	}
	return src
}

func TestObjectsParseAndAreWellFormed(t *testing.T) {
	for _, f := range source(t) {
		o := f.Object
		id, _ := o["id"].(string)
		typ, _ := o["type"].(string)
		if id == "" || typ == "" {
			t.Errorf("%s: id %q type %q, want both", f.Name, id, typ)
			continue
		}
		if want := typ + "/" + id + ".json"; f.Name != want {
			t.Errorf("%s: file name does not match type/id %s", f.Name, want)
		}
		if _, ok := o["attributes"].(map[string]any); !ok {
			t.Errorf("%s: no attributes object", f.Name)
		}
		max, ok := maxTypeVersion[typ]
		if !ok {
			t.Errorf("%s: type %q is not one we ship (index-pattern, dashboard)", f.Name, typ)
			continue
		}
		if got := o["coreMigrationVersion"]; got != MinKibana {
			t.Errorf("%s: coreMigrationVersion %v, want %s", f.Name, got, MinKibana)
		}
		if got, _ := o["typeMigrationVersion"].(string); compareVersions(got, max) > 0 || got == "" {
			t.Errorf("%s: typeMigrationVersion %q, want <= %s (Kibana %s)", f.Name, got, max, MinKibana)
		}
		for _, k := range []string{"version", "updated_at", "namespaces", "migrationVersion"} {
			if _, ok := o[k]; ok {
				t.Errorf("%s: instance-local key %q must not be shipped", f.Name, k)
			}
		}
		if typ == "index-pattern" {
			a := o["attributes"].(map[string]any)
			if a["timeFieldName"] != "@timestamp" || !strings.HasPrefix(a["title"].(string), "shipper-") {
				t.Errorf("%s: data view title %v timeFieldName %v", f.Name, a["title"], a["timeFieldName"])
			}
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, f := range source(t) {
		wire, err := Encode(f.Object)
		if err != nil {
			t.Fatalf("Encode(%s): %v", f.Name, err)
		}
		if bytes.Contains(wire, []byte("\n")) {
			t.Errorf("Encode(%s) is not one line", f.Name)
		}
		// The wire form has the JSON-in-string attributes as strings.
		var raw map[string]any
		if err := json.Unmarshal(wire, &raw); err != nil {
			t.Fatalf("Encode(%s) is not JSON: %v", f.Name, err)
		}
		attrs := raw["attributes"].(map[string]any)
		for _, k := range encodedAttrs {
			parent, key := walk(attrs, k)
			if parent == nil {
				continue
			}
			if v, ok := parent[key]; ok {
				s, isString := v.(string)
				if !isString || !json.Valid([]byte(s)) {
					t.Errorf("Encode(%s): attributes.%s is %T, want a JSON string", f.Name, k, v)
				}
			}
		}
		if ps, ok := attrs["panelsJSON"].(string); ok {
			var panels []map[string]any
			if err := json.Unmarshal([]byte(ps), &panels); err != nil {
				t.Fatal(err)
			}
			for _, p := range panels {
				if p["type"] != "map" {
					continue
				}
				a := dig(p, "embeddableConfig", "attributes").(map[string]any)
				for _, k := range encodedPanelAttrs {
					if _, ok := a[k].(string); !ok {
						t.Errorf("Encode(%s): map panel %v %s is %T, want a string", f.Name, p["title"], k, a[k])
					}
				}
			}
		}
		back, err := Decode(wire)
		if err != nil {
			t.Fatalf("Decode(Encode(%s)): %v", f.Name, err)
		}
		if !reflect.DeepEqual(back, f.Object) {
			t.Errorf("Decode(Encode(%s)) differs from the source", f.Name)
		}
		again, err := Encode(back)
		if err != nil || !bytes.Equal(again, wire) {
			t.Errorf("Encode(Decode(Encode(%s))) is not stable", f.Name)
		}
	}
}

func TestNDJSON(t *testing.T) {
	b, err := NDJSON()
	if err != nil {
		t.Fatal(err)
	}
	src := source(t)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 16<<20)
	n := 0
	seenDashboard := false
	for sc.Scan() {
		var o map[string]any
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		switch o["type"] {
		case "dashboard":
			seenDashboard = true
		case "index-pattern":
			if seenDashboard {
				t.Errorf("line %d: data view %v after a dashboard; data views must come first", n+1, o["id"])
			}
		}
		n++
	}
	if n != len(src) {
		t.Errorf("NDJSON has %d lines, want %d objects", n, len(src))
	}
}

// TestReferencesResolve checks every reference of every dashboard: it
// names a shipped object, the embedded panels' own references are repeated
// at the dashboard level with the panel prefix, and every Lens layer and
// map layer has its reference.
func TestReferencesResolve(t *testing.T) {
	src := source(t)
	shipped := map[string]bool{}
	for _, f := range src {
		shipped[f.Object["type"].(string)+"/"+f.Object["id"].(string)] = true
	}
	for _, f := range src {
		if f.Object["type"] != "dashboard" {
			continue
		}
		dashRefs := map[string]string{}
		for _, r := range f.Object["references"].([]any) {
			rm := r.(map[string]any)
			key := rm["type"].(string) + "/" + rm["id"].(string)
			if !shipped[key] {
				t.Errorf("%s: reference %v → %s is not shipped", f.Name, rm["name"], key)
			}
			name := rm["name"].(string)
			if _, dup := dashRefs[name]; dup {
				t.Errorf("%s: reference name %s twice", f.Name, name)
			}
			dashRefs[name] = key
		}
		used := map[string]bool{}
		panels := f.Object["attributes"].(map[string]any)["panelsJSON"].([]any)
		for _, p := range panels {
			pm := p.(map[string]any)
			pid := pm["panelIndex"].(string)
			attrs, _ := dig(pm, "embeddableConfig", "attributes").(map[string]any)
			if attrs == nil {
				continue
			}
			// A map layer names its index pattern; the reference is the
			// dashboard's alone (the by-value map attributes carry none).
			layers, _ := attrs["layerListJSON"].([]any)
			for _, l := range layers {
				if n, ok := dig(l.(map[string]any), "sourceDescriptor", "indexPatternRefName").(string); ok {
					if dashRefs[pid+":"+n] == "" {
						t.Errorf("%s: panel %q map layer names %s, no dashboard reference", f.Name, pm["title"], n)
					}
					used[pid+":"+n] = true
				}
			}
			refs, _ := attrs["references"].([]any)
			for _, r := range refs {
				rm := r.(map[string]any)
				name := pid + ":" + rm["name"].(string)
				key := rm["type"].(string) + "/" + rm["id"].(string)
				if dashRefs[name] != key {
					t.Errorf("%s: panel %q reference %s → %s has no matching dashboard reference (got %q)", f.Name, pm["title"], rm["name"], key, dashRefs[name])
				}
				used[name] = true
			}
		}
		for name := range dashRefs {
			if !used[name] {
				t.Errorf("%s: dashboard reference %s is used by no panel", f.Name, name)
			}
		}
		// inspect.Panels fails on a Lens or map layer without reference.
		if _, err := inspect.Panels(f.Object); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
}

func TestPanelGrid(t *testing.T) {
	for _, f := range source(t) {
		if f.Object["type"] != "dashboard" {
			continue
		}
		panels, err := inspect.Panels(f.Object)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if len(panels) == 0 {
			t.Errorf("%s: no panels", f.Name)
		}
		seen := map[string]bool{}
		for i, p := range panels {
			if p.Index == "" || p.GridI != p.Index {
				t.Errorf("%s: panel %q: gridData.i %q, panelIndex %q (want equal, not empty)", f.Name, p.Title, p.GridI, p.Index)
			}
			if seen[p.Index] {
				t.Errorf("%s: panelIndex %s twice", f.Name, p.Index)
			}
			seen[p.Index] = true
			if p.Title == "" {
				t.Errorf("%s: panel %d has no title", f.Name, i)
			}
			if p.X < 0 || p.Y < 0 || p.W <= 0 || p.H <= 0 || p.X+p.W > 48 {
				t.Errorf("%s: panel %q grid x=%d y=%d w=%d h=%d outside the 48-column grid", f.Name, p.Title, p.X, p.Y, p.W, p.H)
			}
			for _, q := range panels[:i] {
				if p.X < q.X+q.W && q.X < p.X+p.W && p.Y < q.Y+q.H && q.Y < p.Y+p.H {
					t.Errorf("%s: panels %q and %q overlap", f.Name, q.Title, p.Title)
				}
			}
		}
	}
}

// TestNoLegacyVisualizations: by-value Lens and Maps only (plus the
// markdown of the overview's links), as package-spec requires of
// integrations: no aggregation-based or TSVB visualisations.
func TestNoLegacyVisualizations(t *testing.T) {
	maps := 0
	for _, f := range source(t) {
		if f.Object["type"] != "dashboard" {
			continue
		}
		raw := f.Object["attributes"].(map[string]any)["panelsJSON"].([]any)
		panels, err := inspect.Panels(f.Object)
		if err != nil {
			t.Fatal(err)
		}
		mapsHere := 0
		for i, p := range panels {
			pm := raw[i].(map[string]any)
			if _, byRef := pm["panelRefName"]; byRef {
				t.Errorf("%s: panel %q is by reference; want by value", f.Name, p.Title)
			}
			switch p.Type {
			case "lens":
				if !lensTypes[p.VisType] {
					t.Errorf("%s: panel %q Lens type %q unknown", f.Name, p.Title, p.VisType)
				}
			case "map":
				mapsHere++
			case "visualization":
				if p.VisType != "markdown" {
					t.Errorf("%s: panel %q is a legacy %q visualisation", f.Name, p.Title, p.VisType)
				}
			default:
				t.Errorf("%s: panel %q has type %q", f.Name, p.Title, p.Type)
			}
		}
		if mapsHere > 1 {
			t.Errorf("%s: %d map panels, want at most one", f.Name, mapsHere)
		}
		maps += mapsHere
	}
	if maps < 2 {
		t.Errorf("%d map panels in all, want the squid and snort maps", maps)
	}
}

var viewLink = regexp.MustCompile(`\(#/view/([^)]+)\)`)

func TestOverviewLinksEveryDashboard(t *testing.T) {
	ids, err := IDs()
	if err != nil {
		t.Fatal(err)
	}
	var md string
	for _, f := range source(t) {
		if f.Object["id"] != "shipper-overview" {
			continue
		}
		ps, _ := inspect.Panels(f.Object)
		for _, p := range ps {
			md += p.Markdown
		}
	}
	linked := map[string]bool{}
	for _, m := range viewLink.FindAllStringSubmatch(md, -1) {
		linked[m[1]] = true
	}
	for _, id := range ids {
		if id != "shipper-overview" && !linked[id] {
			t.Errorf("the overview does not link dashboard %s", id)
		}
	}
	for id := range linked {
		found := false
		for _, x := range ids {
			found = found || x == id
		}
		if !found {
			t.Errorf("the overview links %s, which is not shipped", id)
		}
	}
}

func TestDecodeRejectsBrokenStrings(t *testing.T) {
	f := func(line string) {
		t.Helper()
		if _, err := Decode([]byte(line)); err == nil {
			t.Errorf("Decode(%s) = nil error, want one", line)
		}
	}
	f(`{"id":"x","type":"dashboard","attributes":{"panelsJSON":"[{"}}`)
	f(`{"id":"x","type":"dashboard"}`)
	f(`not json`)
}

// compareVersions compares dotted numeric versions.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			fmt.Sscan(pa[i], &x)
		}
		if i < len(pb) {
			fmt.Sscan(pb[i], &y)
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
