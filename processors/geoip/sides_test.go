package geoip

import (
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
	"github.com/shipper-project/shipper/shipper/event"
)

// TestSidesShareDatabases: the processors ForSides builds map and check
// each database once, are both reloaded by one replacement (each counts
// it, the log says it once), and the databases stay open until the last
// processor is closed.
func TestSidesShareDatabases(t *testing.T) {
	env := newTestEnv(t)
	ps, err := ForSides(Sides{Database: env.city, ASNDatabase: env.asn}, []string{"destination", "source"},
		env.penv().Log, env.metrics, "input.t")
	if err != nil {
		t.Fatal(err)
	}
	defer Close(ps)
	dst, src := ps[0], ps[1]
	if dst.dbs != src.dbs {
		t.Fatal("the sides opened the databases twice")
	}
	country := func(e *event.Event, side string) string {
		c, _ := e.Fields.GetString(side + ".geo.country_iso_code")
		return c
	}
	enrich := func() *event.Event {
		e := event.New(time.Unix(0, 0), 8)
		e.Fields.Add("destination.ip", "81.2.69.160")
		e.Fields.Add("source.ip", "81.2.69.161")
		if err := Enrich(ps, e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	if e := enrich(); country(e, "destination") != "GB" || country(e, "source") != "GB" {
		t.Fatalf("before reload: %v", e.Fields)
	}
	moved := geoiptest.Cities()[1]
	moved.Network = "81.2.69.0/24"
	env.writeCity(geoiptest.Options{}, moved)
	env.waitFor("reload", func() bool {
		e := enrich()
		return country(e, "destination") == "SE" && country(e, "source") == "SE"
	})
	// The counters and the log line follow the swap.
	env.waitFor("reload counted and logged", func() bool {
		return env.metrics.Counter("input.t.geoip.source.reloads").Load() >= 1 &&
			strings.Contains(env.logs.String(), "geoip database reloaded")
	})
	for _, side := range []string{"destination", "source"} {
		if n := env.metrics.Counter("input.t.geoip." + side + ".reloads").Load(); n != 1 {
			t.Errorf("%s reloads = %d, want 1", side, n)
		}
		if n := env.metrics.Counter("input.t.geoip." + side + ".database_age_seconds").Load(); n > 60 {
			t.Errorf("%s database_age_seconds = %d, want the age of a fresh database", side, n)
		}
	}
	if n := strings.Count(env.logs.String(), "geoip database reloaded"); n != 1 {
		t.Errorf("%d reload log lines, want 1:\n%s", n, env.logs)
	}
	dst.Close()
	dst.Close() // twice is harmless
	e := event.New(time.Unix(0, 0), 8)
	e.Fields.Add("source.ip", "81.2.69.161")
	if _, err := src.Run(e); err != nil || country(e, "source") != "SE" {
		t.Fatalf("source after closing destination: %v, %v", e.Fields, err)
	}
	src.Close()
	if src.dbs.city != nil || src.dbs.asn != nil {
		t.Error("the databases are still open after the last Close")
	}
}
