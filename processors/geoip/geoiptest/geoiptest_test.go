package geoiptest

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/oschwald/geoip2-golang"
)

// The generated files read as GeoLite2 databases with the official reader.
func TestReadableByGeoip2(t *testing.T) {
	dir := t.TempDir()
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	built := time.Date(2025, 1, 7, 12, 0, 0, 0, time.UTC)
	if err := WriteCityDBWith(city, Options{BuildTime: built}, Cities()...); err != nil {
		t.Fatal(err)
	}
	if err := WriteASNDB(asn, ASNs()...); err != nil {
		t.Fatal(err)
	}
	r, err := geoip2.Open(city)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := r.City(net.ParseIP("81.2.69.160"))
	if err != nil || c.City.Names["en"] != "London" || c.Country.IsoCode != "GB" || c.Subdivisions[0].IsoCode != "ENG" ||
		c.Location.Latitude != 51.5142 || c.Location.TimeZone != "Europe/London" {
		t.Errorf("City(81.2.69.160) = %+v, %v", c, err)
	}
	if m := r.Metadata(); m.DatabaseType != "GeoLite2-City" || int64(m.BuildEpoch) != built.Unix() {
		t.Errorf("metadata = %s, %d; want GeoLite2-City, %d", m.DatabaseType, m.BuildEpoch, built.Unix())
	}
	a, err := geoip2.Open(asn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rec, err := a.ASN(net.ParseIP("2001:218::1"))
	if err != nil || rec.AutonomousSystemNumber != 2914 {
		t.Errorf("ASN(2001:218::1) = %+v, %v", rec, err)
	}
	if err := WriteCityDB(city, City{Network: "not a network"}); err == nil {
		t.Errorf("WriteCityDB with a bad network: no error")
	}
}
