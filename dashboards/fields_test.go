package dashboards_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/dashboards"
	"github.com/shipper-project/shipper/dashboards/internal/inspect"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/runner"

	_ "github.com/shipper-project/shipper/inputs/all"
	_ "github.com/shipper-project/shipper/outputs/all"
	_ "github.com/shipper-project/shipper/processors/all"
)

// The field check: every field a dashboard uses (Lens sourceField, formula
// fields, sort fields, map geoField, KQL in queries and filters) must
//  1. be in the index template `shipper setup` installs, with a type that
//     works for the use (geo_point for a map, numeric for sum/average,
//     date for a histogram, aggregatable for terms), and
//  2. be produced by the pipeline when the testdata samples of its source
//     are shipped (runner --once to the file output; SNMP through a
//     scripted agent, snmp_test.go).
// This is the check that prevents the empty map and the "field not
// aggregatable" panel.

var (
	numeric = set("long", "integer", "short", "byte", "unsigned_long", "float", "double", "scaled_float", "half_float")
	// aggregatable: what terms, unique_count and last_value accept.
	aggregatable = set("keyword", "constant_keyword", "ip", "boolean", "date",
		"long", "integer", "short", "byte", "unsigned_long", "float", "double", "scaled_float", "half_float")
)

func set(s ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	return m
}

// typeFits says whether a field of ES type typ can be used for op.
func typeFits(op, typ string) bool {
	switch op {
	case "geo":
		return typ == "geo_point"
	case "date_histogram", "sort":
		return typ == "date"
	case "sum", "average", "avg", "median", "max", "min", "percentile", "percentile_rank",
		"standard_deviation", "counter_rate", "cumulative_sum", "differences", "moving_average", "range":
		return numeric[typ]
	case "terms", "unique_count", "last_value", "count":
		return aggregatable[typ]
	case "kql":
		return typ != "object" && typ != ""
	}
	return false
}

// templateTypes flattens the rendered index template's mappings into
// dotted name → type.
func templateTypes(t *testing.T) map[string]string {
	t.Helper()
	cat := dashboards.CatalogWithFlows(t)
	tmpl := cat.Template([]string{"shipper-*"})
	// Through JSON, as Elasticsearch will see it.
	b, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Template struct {
			Mappings struct {
				Properties map[string]any `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(prefix string, props map[string]any)
	walk = func(prefix string, props map[string]any) {
		for k, v := range props {
			vm, _ := v.(map[string]any)
			name := prefix + k
			if sub, ok := vm["properties"].(map[string]any); ok {
				walk(name+".", sub)
				continue
			}
			typ, _ := vm["type"].(string)
			out[name] = typ
		}
	}
	walk("", m.Template.Mappings.Properties)
	if len(out) == 0 {
		t.Fatal("the template has no mapped fields")
	}
	return out
}

// uses returns every field use of every dashboard.
func uses(t *testing.T) []inspect.Use {
	t.Helper()
	src, err := dashboards.Source()
	if err != nil {
		t.Fatal(err)
	}
	var out []inspect.Use
	for _, f := range src {
		if f.Object["type"] != "dashboard" {
			continue
		}
		ps, err := inspect.Panels(f.Object)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		for _, p := range ps {
			for _, u := range p.Uses {
				u.Where = f.Object["id"].(string) + " / " + p.Title + " / " + u.Where
				out = append(out, u)
			}
		}
	}
	if len(out) < 50 {
		t.Fatalf("only %d field uses found: the inspector is broken", len(out))
	}
	return out
}

func TestFieldsExistInTemplateWithUsableType(t *testing.T) {
	types := templateTypes(t)
	for _, u := range uses(t) {
		typ, ok := types[u.Field]
		if !ok {
			t.Errorf("%s: field %s is not in the index template (no fields.yml declares it)", u.Where, u.Field)
			continue
		}
		if !typeFits(u.Op, typ) {
			t.Errorf("%s: %s(%s): the template maps it as %s, which %s cannot use", u.Where, u.Op, u.Field, typ, u.Op)
		}
	}
}

// Squid and snort destinations and sources in these networks get a
// location from the generated City database.
func cityRecords() []geoiptest.City {
	return append(geoiptest.Cities(),
		geoiptest.City{Network: "93.184.216.0/24", ContinentCode: "NA", ContinentName: "North America", CountryISO: "US",
			CountryName: "United States", CityName: "Norwell", Lat: 42.1508, Lon: -70.8228, TimeZone: "America/New_York"},
		geoiptest.City{Network: "185.15.59.0/24", ContinentCode: "EU", ContinentName: "Europe", CountryISO: "NL",
			CountryName: "Netherlands", CityName: "Amsterdam", Lat: 52.37, Lon: 4.89, TimeZone: "Europe/Amsterdam"},
	)
}

var (
	shipOnce sync.Once
	shipped  map[string][]map[string]any // event.dataset → documents
	shipErr  error
)

// shipTestdata runs the runner once over the testdata samples of every
// file-based source, with GeoIP enrichment as the READMEs configure it, to
// the file output, and returns the documents by data set.
func shipTestdata(t *testing.T) map[string][]map[string]any {
	t.Helper()
	shipOnce.Do(func() { shipped, shipErr = runShipper(t) })
	if shipErr != nil {
		t.Fatal(shipErr)
	}
	return shipped
}

func runShipper(t *testing.T) (map[string][]map[string]any, error) {
	dir, err := os.MkdirTemp("", "dashboards-fields")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	city := filepath.Join(dir, "city.mmdb")
	asn := filepath.Join(dir, "asn.mmdb")
	if err := geoiptest.WriteCityDB(city, cityRecords()...); err != nil {
		return nil, err
	}
	if err := geoiptest.WriteASNDB(asn, geoiptest.ASNs()...); err != nil {
		return nil, err
	}
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	p := func(rel string) string { return filepath.Join(root, rel) }
	geo := func(field string) string {
		return fmt.Sprintf("      - geoip: {field: %s, database: %q, asn_database: %q, ignore_missing: true}\n", field, city, asn)
	}
	yml := "shipper.inputs:\n" +
		fmt.Sprintf("  - type: squid\n    id: squid\n    paths: [%q, %q]\n    processors:\n", p("testdata/squid-access.log"), p("patterns/testdata/squid_native.log")) +
		geo("destination.ip") +
		fmt.Sprintf("  - type: snort\n    id: snort\n    paths: [%q]\n    processors:\n", p("inputs/snort/testdata/alert_json.txt")) +
		geo("source.ip") + geo("destination.ip") +
		fmt.Sprintf("  - type: mpstat\n    id: mpstat\n    paths: [%q]\n", p("inputs/mpstat/testdata/mpstat-P-ALL.C.txt")) +
		fmt.Sprintf("  - type: pidstat\n    id: pidstat\n    paths: [%q, %q, %q]\n",
			p("inputs/pidstat/testdata/pidstat-u.C.txt"), p("inputs/pidstat/testdata/pidstat-r.C.txt"), p("inputs/pidstat/testdata/pidstat-d.C.txt")) +
		fmt.Sprintf("  - type: meminfo\n    id: meminfo\n    paths: [%q]\n", p("inputs/meminfo/testdata/readings.txt")) +
		fmt.Sprintf("output.file:\n  path: %q\n  filename: out.ndjson\n", dir) +
		fmt.Sprintf("path.data: %q\nlogging.level: warning\n", filepath.Join(dir, "data"))
	cfg, err := config.LoadBytes([]byte(yml), "fields-test.yml", nil)
	if err != nil {
		return nil, fmt.Errorf("config:\n%s\n%w", yml, err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := runner.New(cfg, runner.Options{Once: true}, log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := r.Run(ctx); err != nil {
		return nil, fmt.Errorf("run --once: %w", err)
	}
	return readDocs(filepath.Join(dir, "out.ndjson"))
}

func readDocs(path string) (map[string][]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][]map[string]any{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ds, _ := dig(d, "event", "dataset").(string)
		out[ds] = append(out[ds], d)
	}
	return out, sc.Err()
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

// present flattens documents into the set of dotted fields with a value;
// a field the template maps as a leaf (geo_point {lat,lon}) stops there.
func present(docs []map[string]any, leaf map[string]string) map[string]bool {
	out := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			if _, isLeaf := leaf[prefix]; !isLeaf || prefix == "" {
				for k, x := range m {
					name := k
					if prefix != "" {
						name = prefix + "." + k
					}
					walk(name, x)
				}
				return
			}
		}
		if v != nil {
			out[prefix] = true
		}
	}
	for _, d := range docs {
		if ts, ok := d["@timestamp"]; ok && ts != nil {
			out["@timestamp"] = true
		}
		walk("", d)
	}
	return out
}

// dataSets returns the event.dataset values a data view reads, from its
// title (shipper-<dataset>*); nil means all of them.
func dataSets(t *testing.T) map[string][]string {
	t.Helper()
	src, err := dashboards.Source()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range src {
		if f.Object["type"] != "index-pattern" {
			continue
		}
		title := f.Object["attributes"].(map[string]any)["title"].(string)
		ds := strings.TrimSuffix(strings.TrimPrefix(title, "shipper-"), "*")
		if ds == "" {
			out[f.Object["id"].(string)] = nil
		} else {
			out[f.Object["id"].(string)] = []string{ds}
		}
	}
	return out
}

// checkProduced reports every use whose field no shipped document of its
// data view's data sets carries. only limits the check to data views whose
// data sets are in it (nil: all).
func checkProduced(t *testing.T, docs map[string][]map[string]any, only map[string]bool) int {
	t.Helper()
	leaf := templateTypes(t)
	views := dataSets(t)
	have := map[string]map[string]bool{}
	all := map[string]bool{}
	for ds, d := range docs {
		have[ds] = present(d, leaf)
		for f := range have[ds] {
			all[f] = true
		}
	}
	checked := 0
	var missing []string
	for _, u := range uses(t) {
		sets, ok := views[u.DataView]
		if !ok {
			t.Errorf("%s: data view %s is not shipped", u.Where, u.DataView)
			continue
		}
		if sets == nil { // shipper-*: any source
			if only != nil {
				continue
			}
			checked++
			if !all[u.Field] {
				missing = append(missing, fmt.Sprintf("%s: %s(%s): no shipped document of any source has it", u.Where, u.Op, u.Field))
			}
			continue
		}
		if only != nil && !only[sets[0]] {
			continue
		}
		checked++
		if len(docs[sets[0]]) == 0 {
			missing = append(missing, fmt.Sprintf("%s: data set %s produced no document at all", u.Where, sets[0]))
			continue
		}
		if !have[sets[0]][u.Field] {
			missing = append(missing, fmt.Sprintf("%s: %s(%s): no %s document from the testdata samples has it", u.Where, u.Op, u.Field, sets[0]))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Error(m)
	}
	return checked
}

func TestFieldsAreProducedFromTestdata(t *testing.T) {
	docs := shipTestdata(t)
	for _, ds := range []string{"squid.access", "snort.alert", "system.cpu", "system.core", "system.process", "system.memory"} {
		if len(docs[ds]) == 0 {
			t.Errorf("shipping the testdata produced no %s document (got data sets %v)", ds, keys(docs))
		}
	}
	only := map[string]bool{"squid.access": true, "snort.alert": true, "system.cpu": true,
		"system.core": true, "system.process": true, "system.memory": true}
	n := checkProduced(t, docs, only)
	t.Logf("%d field uses checked against %d shipped documents", n, count(docs))
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func count(m map[string][]map[string]any) int {
	n := 0
	for _, l := range m {
		n += len(l)
	}
	return n
}

// TestInterfaceFieldsAreProducedBySNMP runs the real snmp input, through
// the runner, against a scripted SNMPv2c agent serving the snmpd capture
// of inputs/snmp/testdata, until rates are computed, and checks every
// field the Interfaces dashboard uses against those documents.
func TestInterfaceFieldsAreProducedBySNMP(t *testing.T) {
	root, _ := filepath.Abs("..")
	agent := startAgent(t, filepath.Join(root, "inputs/snmp/testdata/debian12-snmpd.walk"))
	dir := t.TempDir()
	yml := fmt.Sprintf(`shipper.inputs:
  - type: snmp
    id: snmp
    hosts: ["udp://%s"]
    period: 300ms
    timeout: 2s
output.file:
  path: %q
  filename: out.ndjson
queue.mem.flush.timeout: 100ms
queue.mem.flush.min_events: 1
path.data: %q
logging.level: warning
`, agent.addr(), dir, filepath.Join(dir, "data"))
	cfg, err := config.LoadBytes([]byte(yml), "snmp-test.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(cfg, runner.Options{}, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	out := filepath.Join(dir, "out.ndjson")
	deadline := time.Now().Add(30 * time.Second)
	var docs map[string][]map[string]any
	for time.Now().Before(deadline) {
		docs, _ = readDocs(out)
		rated := 0
		for _, d := range docs["snmp.interface"] {
			if dig(d, "snmp", "utilization", "in", "pct") != nil {
				rated++
			}
		}
		if rated >= 2 { // eth0 on two polls after the first
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	docs, err = readDocs(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs["snmp.interface"]) == 0 {
		t.Fatalf("no snmp.interface document from the scripted agent (data sets %v)", keys(docs))
	}
	n := checkProduced(t, docs, map[string]bool{"snmp.interface": true})
	t.Logf("%d field uses checked against %d snmp.interface documents", n, len(docs["snmp.interface"]))
	if n == 0 {
		t.Error("no field use of the Interfaces dashboard was checked")
	}
}
