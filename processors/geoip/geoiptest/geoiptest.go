// Package geoiptest writes tiny MaxMind DB (.mmdb) files for tests, so that no
// GeoIP database is ever committed or downloaded (see STYLE.md §6). The files
// have the same record layout as GeoLite2-City and GeoLite2-ASN, restricted to
// the keys the geoip processor reads.
//
//	path := filepath.Join(t.TempDir(), "city.mmdb")
//	if err := geoiptest.WriteCityDB(path, geoiptest.Cities()...); err != nil {
//		t.Fatal(err)
//	}
package geoiptest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// City is one network of a City database. Empty strings leave the key out of
// the record; Lat and Lon are written only when either is non-zero.
type City struct {
	Network       string // CIDR, e.g. "81.2.69.0/24" or "2001:218::/32"
	ContinentCode string
	ContinentName string
	CountryISO    string
	CountryName   string
	RegionISO     string // subdivision ISO code without the country, e.g. "ENG"
	RegionName    string
	CityName      string
	Lat, Lon      float64
	TimeZone      string
}

// ASN is one network of an ASN database.
type ASN struct {
	Network string
	Number  uint32
	Org     string
}

// Options tune the written database.
type Options struct {
	// DatabaseType is the metadata type; default "GeoLite2-City" for a City
	// database and "GeoLite2-ASN" for an ASN one.
	DatabaseType string
	// BuildTime is the metadata build epoch; default now.
	BuildTime time.Time
}

// Cities returns a few real public networks with plausible values:
// London (IPv4), Linköping (IPv4), Milton US (IPv4) and Japan (IPv6, no city).
// They match the networks MaxMind uses in its own test databases.
func Cities() []City {
	return []City{
		{Network: "81.2.69.0/24", ContinentCode: "EU", ContinentName: "Europe", CountryISO: "GB", CountryName: "United Kingdom",
			RegionISO: "ENG", RegionName: "England", CityName: "London", Lat: 51.5142, Lon: -0.0931, TimeZone: "Europe/London"},
		{Network: "89.160.20.112/28", ContinentCode: "EU", ContinentName: "Europe", CountryISO: "SE", CountryName: "Sweden",
			RegionISO: "E", RegionName: "Östergötland County", CityName: "Linköping", Lat: 58.4167, Lon: 15.6167, TimeZone: "Europe/Stockholm"},
		{Network: "216.160.83.56/29", ContinentCode: "NA", ContinentName: "North America", CountryISO: "US", CountryName: "United States",
			RegionISO: "WA", RegionName: "Washington", CityName: "Milton", Lat: 47.2513, Lon: -122.3149, TimeZone: "America/Los_Angeles"},
		{Network: "2001:218::/32", ContinentCode: "AS", ContinentName: "Asia", CountryISO: "JP", CountryName: "Japan",
			Lat: 35.68536, Lon: 139.75309, TimeZone: "Asia/Tokyo"},
	}
}

// ASNs returns ASN records overlapping Cities.
func ASNs() []ASN {
	return []ASN{
		{Network: "81.2.69.0/24", Number: 20712, Org: "Andrews & Arnold Ltd"},
		{Network: "89.160.20.112/28", Number: 29518, Org: "Bredband2 AB"},
		{Network: "2001:218::/32", Number: 2914, Org: "NTT America, Inc."},
		{Network: "1.128.0.0/11", Number: 1221, Org: "Telstra Pty Ltd"},
	}
}

// WriteCityDB writes a City database holding records to path.
func WriteCityDB(path string, records ...City) error {
	return WriteCityDBWith(path, Options{}, records...)
}

// WriteCityDBWith is WriteCityDB with options (an old build time, another
// database type such as "GeoLite2-Country" or "DBIP-City-Lite").
func WriteCityDBWith(path string, opts Options, records ...City) error {
	if opts.DatabaseType == "" {
		opts.DatabaseType = "GeoLite2-City"
	}
	entries := make([]entry, 0, len(records))
	for _, r := range records {
		entries = append(entries, entry{r.Network, cityRecord(r)})
	}
	return write(path, opts, entries)
}

// WriteASNDB writes an ASN database holding records to path.
func WriteASNDB(path string, records ...ASN) error {
	return WriteASNDBWith(path, Options{}, records...)
}

// WriteASNDBWith is WriteASNDB with options.
func WriteASNDBWith(path string, opts Options, records ...ASN) error {
	if opts.DatabaseType == "" {
		opts.DatabaseType = "GeoLite2-ASN"
	}
	entries := make([]entry, 0, len(records))
	for _, r := range records {
		m := mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(r.Number)}
		if r.Org != "" {
			m["autonomous_system_organization"] = mmdbtype.String(r.Org)
		}
		entries = append(entries, entry{r.Network, m})
	}
	return write(path, opts, entries)
}

type entry struct {
	network string
	value   mmdbtype.DataType
}

func names(en string) mmdbtype.Map {
	// Two languages, like the real databases, so that readers must pick one.
	return mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(en), "de": mmdbtype.String(en + " (de)")}}
}

func cityRecord(r City) mmdbtype.Map {
	m := mmdbtype.Map{}
	if r.ContinentCode != "" || r.ContinentName != "" {
		c := mmdbtype.Map{"code": mmdbtype.String(r.ContinentCode)}
		if r.ContinentName != "" {
			c["names"] = names(r.ContinentName)["names"]
		}
		m["continent"] = c
	}
	if r.CountryISO != "" || r.CountryName != "" {
		c := mmdbtype.Map{"iso_code": mmdbtype.String(r.CountryISO)}
		if r.CountryName != "" {
			c["names"] = names(r.CountryName)["names"]
		}
		m["country"] = c
		m["registered_country"] = c
	}
	if r.RegionISO != "" || r.RegionName != "" {
		s := mmdbtype.Map{"iso_code": mmdbtype.String(r.RegionISO)}
		if r.RegionName != "" {
			s["names"] = names(r.RegionName)["names"]
		}
		m["subdivisions"] = mmdbtype.Slice{s}
	}
	if r.CityName != "" {
		m["city"] = names(r.CityName)
	}
	loc := mmdbtype.Map{}
	if r.Lat != 0 || r.Lon != 0 {
		loc["latitude"] = mmdbtype.Float64(r.Lat)
		loc["longitude"] = mmdbtype.Float64(r.Lon)
		loc["accuracy_radius"] = mmdbtype.Uint16(100)
	}
	if r.TimeZone != "" {
		loc["time_zone"] = mmdbtype.String(r.TimeZone)
	}
	if len(loc) > 0 {
		m["location"] = loc
	}
	return m
}

func write(path string, opts Options, entries []entry) error {
	wo := mmdbwriter.Options{
		DatabaseType: opts.DatabaseType,
		Languages:    []string{"en", "de"},
		Description:  map[string]string{"en": "shipper test database"},
		RecordSize:   28,
	}
	if !opts.BuildTime.IsZero() {
		wo.BuildEpoch = opts.BuildTime.Unix()
	}
	tree, err := mmdbwriter.New(wo)
	if err != nil {
		return fmt.Errorf("geoiptest: new tree: %w", err)
	}
	for _, e := range entries {
		_, n, err := net.ParseCIDR(e.network)
		if err != nil {
			return fmt.Errorf("geoiptest: network %q: %w", e.network, err)
		}
		if err := tree.Insert(n, e.value); err != nil {
			return fmt.Errorf("geoiptest: insert %s: %w", e.network, err)
		}
	}
	// Write next to path and rename, so that a watcher never sees half a file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".geoiptest-*.tmp")
	if err != nil {
		return fmt.Errorf("geoiptest: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tree.WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("geoiptest: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("geoiptest: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("geoiptest: %w", err)
	}
	return nil
}
