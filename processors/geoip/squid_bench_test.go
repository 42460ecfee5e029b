package geoip_test

// External test package: the squid input may import geoip (it enriches by
// default), so this benchmark must not live in package geoip.

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/squid"
	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/geoip"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
	"github.com/shipper-project/shipper/shipper/event"
)

// squidLines are access.log lines whose destinations rotate over 256
// addresses: a quarter in the test database (London, Linköping, Milton,
// Japan), a quarter public but unknown, a quarter private (a LAN proxy
// peer), a quarter with no address (HIER_NONE, cache hits).
func squidLines() [][]byte {
	var lines [][]byte
	for i := range 256 {
		var hier string
		switch i % 8 {
		case 0:
			hier = fmt.Sprintf("HIER_DIRECT/81.2.69.%d", i)
		case 1:
			hier = fmt.Sprintf("HIER_DIRECT/89.160.20.%d", 112+i%16)
		case 2:
			hier = fmt.Sprintf("HIER_DIRECT/8.8.%d.%d", i%7, i)
		case 3:
			hier = fmt.Sprintf("HIER_DIRECT/2a00:1450:4001::%x", i)
		case 4, 5:
			hier = fmt.Sprintf("FIRSTUP_PARENT/192.168.%d.1", i%4)
		default:
			hier = "HIER_NONE/-"
		}
		lines = append(lines, fmt.Appendf(nil,
			"1795594310.%03d    120 192.168.1.%d TCP_MISS/200 5120 GET http://www.example.org/path/%d?q=1 - %s text/html",
			i%1000, i%250+1, i, hier))
	}
	return lines
}

// BenchmarkSquidPipeline is squid line → grok → (geoip) → JSON encoding, the
// work the file output does per event; the two sub-benchmarks side by side
// give what GeoIP adds (issue 7's goal: ≤ 15 %).
func BenchmarkSquidPipeline(b *testing.B) {
	parser, err := squid.NewParser(squid.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	if err := geoiptest.WriteCityDB(city, geoiptest.Cities()...); err != nil {
		b.Fatal(err)
	}
	if err := geoiptest.WriteASNDB(asn, geoiptest.ASNs()...); err != nil {
		b.Fatal(err)
	}
	cfg := geoip.DefaultConfig()
	cfg.Field, cfg.Database, cfg.ASNDatabase, cfg.IgnoreMissing = "destination.ip", city, asn, true
	g, err := geoip.New(cfg, processors.Env{})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	lines := squidLines()
	for _, withGeoIP := range []bool{false, true} {
		b.Run(fmt.Sprint("geoip=", withGeoIP), func(b *testing.B) {
			var buf []byte
			var bytes int64
			enriched := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				line := lines[i%len(lines)]
				i++
				bytes += int64(len(line))
				e := event.New(time.Time{}, 32)
				if _, err := parser.Parse(line, e); err != nil {
					b.Fatal(err)
				}
				if withGeoIP {
					if _, err := g.Run(e); err != nil {
						b.Fatal(err)
					}
					if e.Fields.Has("destination.geo.country_iso_code") {
						enriched++
					}
				}
				buf = event.AppendJSON(buf[:0], e)
			}
			b.SetBytes(bytes / int64(b.N))
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ev/s")
			if withGeoIP && b.N >= len(lines) && enriched == 0 {
				b.Fatal("no event was enriched")
			}
		})
	}
}
