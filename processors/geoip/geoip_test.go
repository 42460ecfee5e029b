package geoip

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
)

var london = map[string]any{
	"destination.geo.location":         event.GeoPoint{Lat: 51.5142, Lon: -0.0931},
	"destination.geo.continent_code":   "EU",
	"destination.geo.continent_name":   "Europe",
	"destination.geo.country_iso_code": "GB",
	"destination.geo.country_name":     "United Kingdom",
	"destination.geo.region_iso_code":  "GB-ENG",
	"destination.geo.region_name":      "England",
	"destination.geo.city_name":        "London",
	"destination.geo.timezone":         "Europe/London",
	"destination.as.number":            int64(20712),
	"destination.as.organization.name": "Andrews & Arnold Ltd",
}

// inputFields stands for the catalog of the input that set the address.
var inputFields = []byte(`
- name: destination.ip
  type: ip
  description: test
- name: source.ip
  type: ip
  description: test
`)

func TestLookup(t *testing.T) {
	env := newTestEnv(t)
	p := env.open(env.config())
	f := func(ip any, want map[string]any) {
		t.Helper()
		e := run(t, p, ip)
		if diff := cmp.Diff(want, fieldMap(e)); diff != "" {
			t.Errorf("Run(%v) fields (-want +got):\n%s", ip, diff)
		}
		if _, ok := ip.(string); !ok {
			return // the catalog wants a string for destination.ip
		}
		if err := fields.Check(e, fieldsYAML, inputFields); err != nil {
			t.Errorf("Run(%v): fields.Check: %v", ip, err)
		}
	}
	f("81.2.69.160", london)
	f("::ffff:81.2.69.160", london) // IPv4-mapped
	f("64:ff9b::5102:45a0", london) // NAT64 well-known prefix: 81.2.69.160
	f(netip.MustParseAddr("81.2.69.1"), london)
	f("2001:218:85a3::8a2e:370:7334", map[string]any{ // IPv6, country-level record
		"destination.geo.location":         event.GeoPoint{Lat: 35.68536, Lon: 139.75309},
		"destination.geo.continent_code":   "AS",
		"destination.geo.continent_name":   "Asia",
		"destination.geo.country_iso_code": "JP",
		"destination.geo.country_name":     "Japan",
		"destination.geo.timezone":         "Asia/Tokyo",
		"destination.as.number":            int64(2914),
		"destination.as.organization.name": "NTT America, Inc.",
	})
	f("1.128.0.1", map[string]any{ // only in the ASN database
		"destination.as.number":            int64(1221),
		"destination.as.organization.name": "Telstra Pty Ltd",
	})
	f("216.160.83.57", map[string]any{ // only in the City database
		"destination.geo.location":         event.GeoPoint{Lat: 47.2513, Lon: -122.3149},
		"destination.geo.continent_code":   "NA",
		"destination.geo.continent_name":   "North America",
		"destination.geo.country_iso_code": "US",
		"destination.geo.country_name":     "United States",
		"destination.geo.region_iso_code":  "US-WA",
		"destination.geo.region_name":      "Washington",
		"destination.geo.city_name":        "Milton",
		"destination.geo.timezone":         "America/Los_Angeles",
	})
}

func TestLookupTargetAndNoASN(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.ASNDatabase = ""
	cfg.Field = "source.ip"
	p := env.open(cfg)
	e := event.New(time.Unix(0, 0), 4)
	e.Fields.Add("source.ip", "89.160.20.113")
	if _, err := p.Run(e); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.Fields.GetString("source.geo.city_name"); got != "Linköping" {
		t.Errorf("source.geo.city_name = %q, want Linköping", got)
	}
	if e.Fields.Has("source.as.number") {
		t.Errorf("source.as.number set without an ASN database")
	}
	if err := fields.Check(e, fieldsYAML, inputFields); err != nil {
		t.Error(err)
	}
}

func TestSpecialRangesSkipped(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.TagOnFailure = true
	p := env.open(cfg)
	special := []string{
		"10.1.2.3", "172.16.0.1", "192.168.1.1", // RFC 1918
		"127.0.0.1", "::1", // loopback
		"169.254.1.1", "fe80::1", "fe80::1%eth0", // link-local
		"100.64.0.1", "100.127.255.254", // CGNAT
		"224.0.0.251", "239.255.255.250", "ff02::fb", "ff05::1:3", // multicast
		"192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1", "3fff::1", // documentation
		"0.0.0.0", "::", "255.255.255.255", "240.0.0.1", "198.18.0.1", "192.0.0.9", // other special v4
		"fc00::1", "fd12:3456::1", "100::1", "64:ff9b:1::1", "2001::1", "2001:2::1", // other special v6
		"::ffff:10.0.0.1", "64:ff9b::a00:1", // mapped and NAT64 forms of a private v4
	}
	for _, ip := range special {
		e := run(t, p, ip)
		if m := fieldMap(e); len(m) != 0 {
			t.Errorf("Run(%s) = %v, want the event untouched", ip, m)
		}
	}
	if got := env.counter("skipped_special"); got != int64(len(special)) {
		t.Errorf("skipped_special = %d, want %d", got, len(special))
	}
	if got := env.counter("lookups"); got != 0 {
		t.Errorf("lookups = %d, want 0", got)
	}
}

func TestNotFound(t *testing.T) {
	for _, tag := range []bool{false, true} {
		t.Run(fmt.Sprint("tag_on_failure=", tag), func(t *testing.T) {
			env := newTestEnv(t)
			cfg := env.config()
			cfg.TagOnFailure = tag
			p := env.open(cfg)
			for _, ip := range []string{"8.8.8.8", "2606:4700::1111"} {
				e := run(t, p, ip)
				if got := e.HasTag(TagLookupFailure); got != tag {
					t.Errorf("Run(%s): tagged = %v, want %v", ip, got, tag)
				}
				m := fieldMap(e)
				delete(m, "tags")
				if len(m) != 0 {
					t.Errorf("Run(%s) added %v", ip, m)
				}
			}
			if got := env.counter("not_found"); got != 2 {
				t.Errorf("not_found = %d, want 2", got)
			}
		})
	}
}

func TestNotAnAddress(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.TagOnFailure = true
	p := env.open(cfg)
	values := []any{"example.org", "-", "", "81.2.69.160:443", "[2001:218::1]", " 81.2.69.160", "81.2.69", int64(1357), nil}
	for _, v := range values {
		e := run(t, p, v)
		if m := fieldMap(e); len(m) != 0 {
			t.Errorf("Run(%#v) = %v, want the event untouched", v, m)
		}
	}
	if got := env.counter("invalid"); got != int64(len(values)) {
		t.Errorf("invalid = %d, want %d", got, len(values))
	}
}

func TestMissingField(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.IgnoreMissing = true
	p := env.open(cfg)
	e := event.New(time.Unix(0, 0), 2)
	e.Fields.Add("source.ip", "81.2.69.160")
	if out, err := p.Run(e); err != nil || out != e || len(e.Fields) != 1 {
		t.Errorf("ignore_missing: Run = %v, %v; fields %v", out, err, e.Fields)
	}

	cfg.IgnoreMissing = false
	p = env.open(cfg)
	_, err := p.Run(e)
	var tagger interface{ Tag() string }
	if err == nil || !errors.As(err, &tagger) || tagger.Tag() != TagLookupFailure {
		t.Fatalf("Run without the field = %v, want an error tagged %s", err, TagLookupFailure)
	}
	if !strings.Contains(err.Error(), "destination.ip") {
		t.Errorf("error %q does not name the field", err)
	}
}

func TestCache(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.CacheSize = 2
	p := env.open(cfg)
	for range 3 {
		run(t, p, "81.2.69.160")
	}
	run(t, p, "8.8.8.8") // misses are cached too
	run(t, p, "8.8.8.8")
	if got, want := [2]int64{env.counter("lookups"), env.counter("cache_hits")}, [2]int64{2, 3}; got != want {
		t.Errorf("lookups, cache_hits = %v, want %v", got, want)
	}
	run(t, p, "89.160.20.113") // evicts 81.2.69.160, the least recently used
	if e := run(t, p, "81.2.69.160"); !cmp.Equal(fieldMap(e), london) {
		t.Errorf("after eviction: %v", fieldMap(e))
	}
	if got := env.counter("lookups"); got != 4 {
		t.Errorf("lookups = %d, want 4", got)
	}

	cfg.CacheSize = 0
	env.metrics = nil
	p = env.open(cfg)
	if e := run(t, p, "81.2.69.160"); !cmp.Equal(fieldMap(e), london) {
		t.Errorf("without cache: %v", fieldMap(e))
	}
}

// TestRecordCache: addresses of one network share their records, so a miss
// by address is answered from the record cache without decoding.
func TestRecordCache(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.CacheSize = 8
	p := env.open(cfg)
	for _, ip := range []string{"81.2.69.160", "81.2.69.161", "81.2.69.7", "81.2.69.161"} {
		if e := run(t, p, ip); !cmp.Equal(fieldMap(e), london) {
			t.Errorf("%s: %v", ip, fieldMap(e))
		}
	}
	got := [3]int64{env.counter("lookups"), env.counter("record_cache_hits"), env.counter("cache_hits")}
	if want := [3]int64{3, 2, 1}; got != want {
		t.Errorf("lookups, record_cache_hits, cache_hits = %v, want %v", got, want)
	}
}

func TestCacheLRU(t *testing.T) {
	c := newCache[addrKey](3)
	a := func(i int) addrKey { return keyOf(netip.AddrFrom4([4]byte{1, 0, 0, byte(i)})) }
	res := func(i int) *result { return &result{fields: []event.Field{{Key: "k", Value: i}}} }
	for i := range 3 {
		c.put(a(i), res(i), c.generation())
	}
	c.get(a(0))                         // order now 0, 2, 1
	c.put(a(3), res(3), c.generation()) // evicts 1
	c.put(a(4), res(4), c.generation()) // evicts 2
	for i, want := range []bool{true, false, false, true, true} {
		r, ok := c.get(a(i))
		if ok != want || (ok && r.fields[0].Value != i) {
			t.Errorf("get(%d) = %v, %v; want present=%v", i, r, ok, want)
		}
	}
	gen := c.generation()
	c.purge()
	if c.len() != 0 {
		t.Errorf("len after purge = %d", c.len())
	}
	c.put(a(5), res(5), gen) // computed before the purge: dropped
	if _, ok := c.get(a(5)); ok {
		t.Errorf("put with a stale generation was stored")
	}
}

func TestReloadOnRename(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.CheckInterval = 0 // notifications only
	p := env.open(cfg)
	if e := run(t, p, "81.2.69.160"); !cmp.Equal(fieldMap(e), london) {
		t.Fatalf("before reload: %v", fieldMap(e))
	}
	moved := geoiptest.Cities()[1]
	moved.Network = "81.2.69.0/24"
	env.writeCity(geoiptest.Options{}, moved) // temp file + rename, like geoipupdate
	env.waitFor("reload", func() bool {
		c, _ := run(t, p, "81.2.69.160").Fields.GetString("destination.geo.country_iso_code")
		return c == "SE"
	})
	// The counter and the log line follow the swap.
	env.waitFor("reload counted and logged", func() bool {
		return env.counter("reloads") >= 1 && strings.Contains(env.logs.String(), "geoip database reloaded")
	})
	if got := env.counter("reloads"); got != 1 {
		t.Errorf("reloads = %d, want 1", got)
	}
	// The ASN database is reloaded the same way.
	env.writeASN(geoiptest.ASN{Network: "81.2.69.0/24", Number: 64500, Org: "Moved"})
	env.waitFor("ASN reload", func() bool {
		v, _ := run(t, p, "81.2.69.160").Fields.Get("destination.as.number")
		return v == int64(64500)
	})
}

func TestReloadByPolling(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.CheckInterval = 20 * time.Millisecond
	p := env.open(cfg)
	p.dbs.watch.fsw.Close() // as if notifications were unavailable
	moved := geoiptest.Cities()[1]
	moved.Network = "81.2.69.0/24"
	env.writeCity(geoiptest.Options{}, moved)
	env.waitFor("reload by polling", func() bool {
		c, _ := run(t, p, "81.2.69.160").Fields.GetString("destination.geo.country_iso_code")
		return c == "SE"
	})
}

func TestDatabaseAge(t *testing.T) {
	env := newTestEnv(t)
	built := time.Now().Add(-100 * 24 * time.Hour).Truncate(time.Second)
	env.writeCity(geoiptest.Options{BuildTime: built}, geoiptest.Cities()...)
	p := env.open(env.config())

	logs := env.logs.String()
	if !strings.Contains(logs, "geoip database is older than max_age") || !strings.Contains(logs, env.city) {
		t.Errorf("no age warning naming %s in:\n%s", env.city, logs)
	}
	if strings.Count(logs, "older than max_age") != 1 {
		t.Errorf("want exactly one warning (the ASN database is new):\n%s", logs)
	}
	age := env.counter("database_age_seconds")
	if want := int64(100 * 24 * 3600); age < want || age > want+60 {
		t.Errorf("database_age_seconds = %d, want about %d", age, want)
	}
	if got := env.counter("asn_database_age_seconds"); got > 60 {
		t.Errorf("asn_database_age_seconds = %d, want about 0", got)
	}
	info := p.DatabaseInfo()
	if len(info) != 2 {
		t.Fatalf("DatabaseInfo() = %v, want 2 entries", info)
	}
	c := info[0]
	if c.Key != "database" || c.Path != env.city || c.Type != "GeoLite2-City" || !c.BuildTime.Equal(built) || !c.Old || c.MaxAge != 60*24*time.Hour {
		t.Errorf("DatabaseInfo()[0] = %+v", c)
	}
	if a := info[1]; a.Key != "asn_database" || a.Type != "GeoLite2-ASN" || a.Old {
		t.Errorf("DatabaseInfo()[1] = %+v", a)
	}

	// A reload of an old file warns again.
	env.writeCity(geoiptest.Options{BuildTime: built.Add(time.Hour)}, geoiptest.Cities()...)
	env.waitFor("second warning", func() bool { return strings.Count(env.logs.String(), "older than max_age") == 2 })

	// max_age: 0 turns the check off.
	cfg := env.config()
	cfg.MaxAge = 0
	p = env.open(cfg)
	if p.DatabaseInfo()[0].Old {
		t.Errorf("Old with max_age 0")
	}
}

func TestCorruptAtStart(t *testing.T) {
	for name, data := range map[string][]byte{
		"garbage": []byte("this is not a MaxMind database\n"),
		"empty":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			env := newTestEnv(t)
			if err := os.WriteFile(env.city, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := New(env.config(), env.penv())
			if err == nil || !strings.Contains(err.Error(), env.city) || !strings.Contains(err.Error(), "not a valid MaxMind DB file") {
				t.Errorf("New over a corrupt file: %v", err)
			}
		})
	}
}

func TestCorruptReloadKeepsDatabase(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.CheckInterval = 20 * time.Millisecond // also polls: the bad file must be reported once only
	p := env.open(cfg)
	env.replace(env.city, []byte("garbage, as from an interrupted download"))
	env.waitFor("reload error", func() bool { return env.counter("reload_errors") >= 1 })
	if e := run(t, p, "81.2.69.160"); !cmp.Equal(fieldMap(e), london) {
		t.Errorf("after a bad reload: %v, want the old database's answer", fieldMap(e))
	}
	if !strings.Contains(env.logs.String(), "geoip database reload failed, keeping the loaded one") {
		t.Errorf("no error log:\n%s", env.logs)
	}
	// A good file after the bad one is loaded.
	moved := geoiptest.Cities()[1]
	moved.Network = "81.2.69.0/24"
	env.writeCity(geoiptest.Options{}, moved)
	env.waitFor("reload", func() bool {
		c, _ := run(t, p, "81.2.69.160").Fields.GetString("destination.geo.country_iso_code")
		return c == "SE"
	})
	if got := env.counter("reload_errors"); got != 1 {
		t.Errorf("reload_errors = %d, want 1 (a bad file is reported once)", got)
	}
}

func TestTruncatedInPlace(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.CacheSize = 0
	cfg.ASNDatabase = ""
	p := env.open(cfg)
	// Truncating the mapped file makes its pages fault: without
	// SetPanicOnFault this would kill the test binary with SIGBUS.
	if err := os.Truncate(env.city, 0); err != nil {
		t.Fatal(err)
	}
	e := run(t, p, "81.2.69.160")
	if m := fieldMap(e); len(m) != 0 {
		t.Errorf("Run over a truncated file = %v, want the event untouched", m)
	}
	if got := env.counter("lookup_errors"); got != 1 {
		t.Errorf("lookup_errors = %d, want 1", got)
	}
	if !strings.Contains(env.logs.String(), "modified in place") {
		t.Errorf("no lookup error log:\n%s", env.logs)
	}
}

func TestMissingDatabase(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.Database = env.dir + "/nope/GeoLite2-City.mmdb"
	_, err := New(cfg, env.penv())
	for _, want := range []string{"database: ", cfg.Database, "does not exist", "geoipupdate", "GeoLite2-City", "db-ip.com"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New with a missing database: %v; want it to mention %q", err, want)
		}
	}
	cfg = env.config()
	cfg.ASNDatabase = env.dir + "/nope.mmdb"
	_, err = New(cfg, env.penv())
	if err == nil || !strings.Contains(err.Error(), "asn_database: ") || !strings.Contains(err.Error(), "GeoLite2-ASN") {
		t.Errorf("New with a missing ASN database: %v", err)
	}
}

func TestWrongDatabaseType(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.Database, cfg.ASNDatabase = env.asn, env.city
	_, err := New(cfg, env.penv())
	if err == nil || !strings.Contains(err.Error(), `"GeoLite2-ASN" database; database needs a City or Country database`) {
		t.Errorf("New with swapped databases: %v", err)
	}
	// Country and DB-IP databases are fine.
	for _, typ := range []string{"GeoLite2-Country", "DBIP-City-Lite", "DBIP-Country-Lite"} {
		env.writeCity(geoiptest.Options{DatabaseType: typ}, geoiptest.Cities()...)
		p := env.open(env.config())
		if info := p.DatabaseInfo(); info[0].Type != typ {
			t.Errorf("Type = %q, want %q", info[0].Type, typ)
		}
	}
}

func TestConcurrentRunAndReload(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.CacheSize = 4
	p := env.open(cfg)
	ips := []string{"81.2.69.160", "89.160.20.113", "216.160.83.57", "2001:218::1", "1.128.0.1", "8.8.8.8"}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				run(t, p, ips[i%len(ips)])
			}
		})
	}
	for i := range 5 {
		moved := geoiptest.Cities()[i%2]
		moved.Network = "81.2.69.0/24"
		env.writeCity(geoiptest.Options{}, moved)
		want := int64(i + 1)
		env.waitFor("reload", func() bool { return env.counter("reloads") >= want })
	}
	close(stop)
	wg.Wait()
}

func TestValidate(t *testing.T) {
	f := func(mod func(*Config), want string) {
		t.Helper()
		c := DefaultConfig()
		c.Field, c.Database = "destination.ip", "/x.mmdb"
		mod(&c)
		err := c.Validate()
		if want == "" {
			if err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want %q", err, want)
		}
	}
	f(func(c *Config) {}, "")
	f(func(c *Config) { c.Field = "" }, "field: required")
	f(func(c *Config) { c.Field = "client.address" }, "target: required when field (client.address) does not end in .ip")
	f(func(c *Config) { c.Field, c.Target = "client.address", "client" }, "")
	f(func(c *Config) { c.Target = "destination.geo" }, "target: destination.geo names the parent object, use destination")
	f(func(c *Config) { c.Database = "" }, "database: required")
	f(func(c *Config) { c.CacheSize = -1 }, "cache_size: must be >= 0")
	f(func(c *Config) { c.MaxAge = -time.Second }, "max_age: must be >= 0")
	f(func(c *Config) { c.CheckInterval = -time.Second }, "check_interval: must be >= 0")

	c := Config{Field: "destination.ip", Database: "/x"}
	if err := c.Validate(); err != nil || c.Target != "destination" {
		t.Errorf("default target = %q, %v; want destination", c.Target, err)
	}
}

// readmeConfig returns the YAML block of the README's Configuration section.
func readmeConfig(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Configuration.*?```yaml\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md has no yaml block under ## Configuration")
	}
	return m[1]
}

// The README's configuration block shows every key with its default.
func TestReadmeConfig(t *testing.T) {
	root, err := config.Parse(readmeConfig(t), "README.md", nil)
	if err != nil {
		t.Fatal(err)
	}
	procs := config.Section{Node: root, File: "README.md"}.Sub("processors").Node
	if procs == nil || len(procs.Content) != 1 {
		t.Fatalf("want processors: [- geoip: {...}] in the README block")
	}
	name, body, err := config.Section{Node: procs.Content[0], File: "README.md", Path: "processors[0]"}.PluginName()
	if err != nil || name != "geoip" {
		t.Fatalf("PluginName = %q, %v", name, err)
	}
	got := DefaultConfig()
	if err := body.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Field, want.Target = "destination.ip", "destination"
	want.Database, want.ASNDatabase = "/var/lib/GeoIP/GeoLite2-City.mmdb", "/var/lib/GeoIP/GeoLite2-ASN.mmdb"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README config (-want +got):\n%s", diff)
	}
}

// The factory decodes strictly and places database errors on their key.
func TestFactory(t *testing.T) {
	env := newTestEnv(t)
	yml := fmt.Sprintf("processors:\n  - geoip:\n      field: destination.ip\n      database: %s\n      cache_size: 10\n", env.city)
	root, err := config.Parse([]byte(yml), "shipper.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	sec := config.Section{Node: root.Content[1].Content[0], File: "shipper.yml", Path: "processors[0]"}
	_, body, _ := sec.PluginName()
	p, err := factory(body, env.penv())
	if err != nil {
		t.Fatal(err)
	}
	defer p.(*Processor).Close()
	if got := p.String(); got != "geoip=[field=destination.ip, target=destination, database="+env.city+"]" {
		t.Errorf("String() = %q", got)
	}

	yml = "processors:\n  - geoip:\n      field: destination.ip\n      database: /nonexistent/City.mmdb\n      cach_size: 10\n"
	root, _ = config.Parse([]byte(yml), "shipper.yml", nil)
	_, body, _ = config.Section{Node: root.Content[1].Content[0], File: "shipper.yml", Path: "processors[0]"}.PluginName()
	if _, err := factory(body, env.penv()); err == nil || !strings.Contains(err.Error(), `shipper.yml:5: processors[0].geoip.cach_size: unknown key "cach_size"`) {
		t.Errorf("factory with a typo: %v", err)
	}
	yml = "processors:\n  - geoip:\n      field: destination.ip\n      database: /nonexistent/City.mmdb\n"
	root, _ = config.Parse([]byte(yml), "shipper.yml", nil)
	_, body, _ = config.Section{Node: root.Content[1].Content[0], File: "shipper.yml", Path: "processors[0]"}.PluginName()
	if _, err := factory(body, env.penv()); err == nil || !strings.HasPrefix(err.Error(), "shipper.yml:4: processors[0].geoip.database: geoip database /nonexistent/City.mmdb does not exist") {
		t.Errorf("factory with a missing database: %v", err)
	}
}

// Results replace what the event already has under the target.
func TestExistingFieldsReplaced(t *testing.T) {
	env := newTestEnv(t)
	p := env.open(env.config())
	e := event.New(time.Unix(0, 0), 4)
	e.Fields.Add("destination.ip", "81.2.69.160")
	e.Fields.Add("destination.geo.city_name", "Stale")
	e.Fields.Add("destination.as", "a scalar in the way")
	e.Fields.Add("destination.geography", "kept")
	if _, err := p.Run(e); err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(london)
	want["destination.geography"] = "kept"
	if diff := cmp.Diff(want, fieldMap(e)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if n := len(e.Fields); n != len(want)+1 {
		t.Errorf("%d fields, want %d (no duplicates)", n, len(want)+1)
	}
}

// A database file that disappears (removed, or between two steps of an
// update) leaves the loaded database in use; its return is loaded.
func TestDatabaseRemovedAndBack(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.CheckInterval = 20 * time.Millisecond
	p := env.open(cfg)
	if err := os.Rename(env.city, env.city+".old"); err != nil {
		t.Fatal(err)
	}
	env.waitFor("gone warning", func() bool { return strings.Contains(env.logs.String(), "geoip database file is gone") })
	if e := run(t, p, "81.2.69.160"); !cmp.Equal(fieldMap(e), london) {
		t.Errorf("with the file gone: %v", fieldMap(e))
	}
	moved := geoiptest.Cities()[1]
	moved.Network = "81.2.69.0/24"
	env.writeCity(geoiptest.Options{}, moved)
	env.waitFor("reload", func() bool {
		c, _ := run(t, p, "81.2.69.160").Fields.GetString("destination.geo.country_iso_code")
		return c == "SE"
	})
}

// TestSkipV4MatchesNetip: the integer test of IPv4 addresses (skippedV4)
// skips exactly what the netip methods and the prefix lists skip, at every
// range's edges and for random addresses.
func TestSkipV4MatchesNetip(t *testing.T) {
	var addrs []netip.Addr
	for _, r := range skipV4 {
		for _, d := range []uint32{0, 1, 2} {
			for _, v := range []uint32{r[0] - d, r[0] + d, r[0] | ^r[1] - d, r[0] | ^r[1] + d} {
				addrs = append(addrs, netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}))
			}
		}
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for range 200000 {
		v := rng.Uint32()
		addrs = append(addrs, netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}))
	}
	for _, a := range addrs {
		_, want := lookupAddrNetip(a)
		if _, got := lookupAddr(a); got != want {
			t.Errorf("lookupAddr(%s) public = %v, the netip test says %v", a, got, want)
		}
		m := netip.AddrFrom16(a.As16()) // IPv4-mapped: the same answer
		if got, public := lookupAddr(m); public != want || got != a {
			t.Errorf("lookupAddr(%s) = %s, %v; want %s, %v", m, got, public, a, want)
		}
	}
}
