package runner

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// capture is a test output keeping the events themselves (with their Go
// types), so that they can be checked against the catalog.
type capture struct {
	mu  sync.Mutex
	evs []*event.Event
}

var captured = &capture{}

func init() {
	outputs.Register(outputs.Plugin{Name: "capture_for_tests", Factory: func(config.Section, outputs.Env) (outputs.Output, outputs.Settings, error) {
		return captured, outputs.Settings{BatchSize: 256}, nil
	}})
}

func (c *capture) Publish(_ context.Context, b *pipeline.Batch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range b.Len() {
		c.evs = append(c.evs, b.Event(i))
	}
	b.AckAll()
	return nil
}

func (c *capture) Close() error { return nil }

// Every source's testdata, through the whole pipeline: every field of every
// document is in the field catalog with a value of the right type.
func TestEverySourceMatchesTheCatalog(t *testing.T) {
	root := "../.."
	p := func(rel string) string { return filepath.Join(root, rel) }
	d := t.TempDir()
	city := filepath.Join(d, "city.mmdb")
	if err := geoiptest.WriteCityDB(city, geoiptest.Cities()...); err != nil {
		t.Fatal(err)
	}
	asn := filepath.Join(d, "asn.mmdb")
	if err := geoiptest.WriteASNDB(asn, geoiptest.ASNs()...); err != nil {
		t.Fatal(err)
	}
	yml := "shipper.inputs:\n" +
		fmt.Sprintf("  - {type: squid, id: squid, paths: [%q, %q], geoip: {database: %q, asn_database: %q}}\n", p("testdata/squid-access.log"), p("patterns/testdata/squid_native.log"), city, asn) +
		fmt.Sprintf("  - {type: snort, id: snort, paths: [%q], timezone: UTC, geoip: {database: %q, asn_database: %q}}\n", p("inputs/snort/testdata/alert_json.txt"), city, asn) +
		fmt.Sprintf("  - {type: mpstat, id: mpstat, paths: [%q, %q]}\n", p("inputs/mpstat/testdata/mpstat-P-ALL.C.txt"), p("inputs/mpstat/testdata/mpstat-P-ALL.en_US.UTF-8.txt")) +
		fmt.Sprintf("  - {type: pidstat, id: pidstat, paths: [%q, %q, %q]}\n", p("inputs/pidstat/testdata/pidstat-r.C.txt"), p("inputs/pidstat/testdata/pidstat-d.C.txt"), p("inputs/pidstat/testdata/pidstat-hr.en_US.UTF-8.txt")) +
		fmt.Sprintf("  - {type: meminfo, id: meminfo, paths: [%q]}\n", p("inputs/meminfo/testdata/readings.txt")) +
		fmt.Sprintf("output.capture_for_tests: {}\npath.data: %q\nlogging.metrics.enabled: false\n", filepath.Join(d, "data"))
	cfg, err := config.LoadBytes([]byte(yml), "catalog.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(cfg, Options{Once: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	cat, err := fields.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	perSet := map[string]int{}
	captured.mu.Lock()
	defer captured.mu.Unlock()
	for _, e := range captured.evs {
		ds, _ := e.Fields.GetString("event.dataset")
		perSet[ds]++
		// snort keeps alert_json fields it does not know under snort.*, on
		// purpose (the fixture has a line with such fields): they are
		// mapped by the template's dynamic rules, not the catalog.
		var known event.Fields
		for _, f := range e.Fields {
			switch f.Key {
			case "snort.snort_future_field", "snort.appid", "snort.weird_key":
				continue
			}
			known = append(known, f)
		}
		check := &event.Event{Timestamp: e.Timestamp, Fields: known}
		if err := cat.Check(check); err != nil {
			m, _ := e.Fields.GetString("message")
			t.Errorf("%s document %q: %v", ds, m, err)
		}
	}
	var sets []string
	for k, n := range perSet {
		sets = append(sets, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(sets)
	t.Logf("documents per data set: %v", sets)
	for _, ds := range []string{"squid.access", "snort.alert", "system.core", "system.cpu", "system.process", "system.memory"} {
		if perSet[ds] == 0 {
			t.Errorf("no %s document from the testdata (got %v)", ds, sets)
		}
	}
}
