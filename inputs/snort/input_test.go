package snort

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/geoip"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

type collector struct {
	mu  sync.Mutex
	evs []*event.Event
}

func (c *collector) Publish(_ context.Context, e *event.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evs = append(c.evs, e)
	return nil
}

func runOnce(t *testing.T, cfg Config) []*event.Event {
	t.Helper()
	in, err := New(cfg, inputs.Env{ID: "ids", Name: "input.ids", Once: true, Metrics: monitoring.NewRegistry()}, func() time.Time { return newYear })
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	if err := in.Run(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return c.evs
}

// The tail engine reads the file; a last line snort has not finished
// writing (no newline yet) is not published as half a JSON object.
func TestTailPartialLastLine(t *testing.T) {
	text, err := os.ReadFile("testdata/alert_json.txt")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alert_json.txt")
	partial := `{ "timestamp" : "12/31-22:00:03.000000", "pkt_num" : 1027, "proto" : "TC`
	if err := os.WriteFile(path, append(text, partial...), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.File.Paths = []string{path}
	cfg.Timezone = "Europe/Berlin"
	evs := runOnce(t, cfg)
	if len(evs) != 6 {
		t.Fatalf("%d events, want the 6 complete lines", len(evs))
	}
	for _, e := range evs {
		if m, _ := e.Fields.GetString("message"); m == partial {
			t.Error("the unfinished last line was published")
		}
	}
	if p, _ := evs[0].Fields.GetString("log.file.path"); p != path {
		t.Errorf("log.file.path = %q", p)
	}
}

// With geoip.database set, public source/destination addresses get
// geo and AS fields; private ones are left alone.
func TestGeoIP(t *testing.T) {
	dir := t.TempDir()
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	if err := geoiptest.WriteCityDB(city, geoiptest.Cities()...); err != nil {
		t.Fatal(err)
	}
	if err := geoiptest.WriteASNDB(asn, geoiptest.ASNs()...); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.File.Paths = []string{"testdata/alert_json.txt"}
	cfg.Timezone = "Europe/Berlin"
	cfg.GeoIP = geoip.Sides{Database: city, ASNDatabase: asn}
	evs := runOnce(t, cfg)
	if len(evs) != 6 {
		t.Fatalf("%d events", len(evs))
	}
	// Line 1: 10.0.0.5 → 81.2.69.142 (London in the test database).
	e := evs[0]
	if v, _ := e.Fields.GetString("destination.geo.city_name"); v != "London" {
		t.Errorf("destination.geo.city_name = %q, want London", v)
	}
	if e.Fields.Has("source.geo.location") {
		t.Error("private source address got a location")
	}
	sysstattest.CheckCatalog(t, evs[:1], Fields, filestream.Fields, geoipFields(t))
}

func TestValidate(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err == nil {
		t.Error("no paths accepted")
	}
	cfg.File.Paths = []string{"/var/log/snort/alert_json.txt"}
	cfg.GeoIP.ASNDatabase = "asn.mmdb"
	if err := cfg.Validate(); err == nil {
		t.Error("asn_database without database accepted")
	}
	cfg.GeoIP.ASNDatabase = ""
	cfg.Timezone = "Atlantis/Capital"
	if err := cfg.Validate(); err == nil {
		t.Error("unknown timezone accepted")
	}
}

func geoipFields(t *testing.T) []byte {
	t.Helper()
	p, ok := processors.Lookup("geoip")
	if !ok {
		t.Fatal("geoip processor not registered")
	}
	return p.Fields
}
