// Package geoip is the `geoip` processor: it adds ECS geo (country, region,
// city, location, time zone) and AS (number, organization) fields for an IP
// address, from MaxMind DB files (GeoLite2/GeoIP2 City or Country and ASN, or
// the DB-IP lite equivalents) read offline on the shipper's host (issue 7).
//
// Addresses in special ranges (private, loopback, link-local, CGNAT,
// multicast, documentation, …) are not looked up. Results are kept in two
// small caches (cache.go), by address and by record. The database files are watched and reloaded when replaced (by
// geoipupdate's atomic rename); a bad new file is reported and the loaded
// one kept. A database older than max_age is reported in the log, in the
// `<name>.database_age_seconds` gauge and by DatabaseInfo.
//
// github.com/oschwald/maxminddb-golang, the reader geoip2-golang is built
// on, reads the metadata; tree.go walks the search tree (tested against
// maxminddb's walk); the records are read by decode.go,
// which reads only the values the document holds, straight from the
// mapped file and without allocating for values seen before. geoip2's
// City struct decodes every language's names into maps (about 80
// allocations a lookup) and cannot tell "no record" from an empty one;
// it is the reference the decoder is tested against (decode_test.go).
package geoip

import (
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/oschwald/maxminddb-golang"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	processors.Register(processors.Plugin{Name: "geoip", Factory: factory, Fields: fieldsYAML})
}

var (
	_ processors.Processor = (*Processor)(nil)
	_ processors.Closer    = (*Processor)(nil)
)

// TagLookupFailure is added to an event whose public address is in no
// database, when tag_on_failure is set, and to the error of a missing field.
const TagLookupFailure = "_geoip_lookup_failure"

// Config is the processor's configuration; DefaultConfig holds the defaults.
type Config struct {
	// Field holds the IP address (a string), e.g. "destination.ip".
	Field string `yaml:"field"`
	// Target is the object the results go under: <target>.geo.* and
	// <target>.as.*. Default: Field without its ".ip" suffix.
	Target string `yaml:"target"`
	// Database is a City or Country .mmdb file (required).
	Database string `yaml:"database"`
	// ASNDatabase is an optional ASN .mmdb file.
	ASNDatabase string `yaml:"asn_database"`
	// CacheSize is the number of addresses whose results are cached; 0
	// disables the cache.
	CacheSize int `yaml:"cache_size"`
	// TagOnFailure adds TagLookupFailure when a public address is in no
	// database.
	TagOnFailure bool `yaml:"tag_on_failure"`
	// IgnoreMissing leaves events without Field untouched instead of
	// returning an error.
	IgnoreMissing bool `yaml:"ignore_missing"`
	// MaxAge is the age of a database build past which it is reported as
	// old; 0 disables the check.
	MaxAge time.Duration `yaml:"max_age"`
	// CheckInterval is how often the files are stat'ed for a replacement
	// that file notifications missed (symlinks, bind mounts, NFS), and the
	// age gauge refreshed; 0 disables the polling.
	CheckInterval time.Duration `yaml:"check_interval"`
	// DataPath is path.data, where the SHA-256 of the database files whose
	// structure check passed are kept (stamp.go), so that a restart does
	// not check an unchanged file again. Not a config key: the inputs set
	// it, and processors.Env's DataPath for a processor in a processors
	// list; empty, every file is checked at every open.
	DataPath string `yaml:"-"`
}

// DefaultConfig returns the defaults; the README shows the same values.
func DefaultConfig() Config {
	return Config{
		CacheSize:     1024,
		MaxAge:        60 * 24 * time.Hour,
		CheckInterval: time.Minute,
	}
}

// Validate checks what the types cannot and fills the default target.
func (c *Config) Validate() error {
	var errs []error
	if c.Field == "" {
		errs = append(errs, errors.New("field: required, the field holding the IP address (e.g. destination.ip)"))
	}
	if c.Target == "" && c.Field != "" {
		if t, ok := strings.CutSuffix(c.Field, ".ip"); ok && t != "" {
			c.Target = t
		} else {
			errs = append(errs, fmt.Errorf("target: required when field (%s) does not end in .ip", c.Field))
		}
	}
	if strings.HasSuffix(c.Target, ".geo") || strings.HasSuffix(c.Target, ".as") {
		parent := c.Target[:strings.LastIndexByte(c.Target, '.')]
		errs = append(errs, fmt.Errorf("target: %s names the parent object, use %s (fields go to %s.geo.* and %s.as.*)",
			c.Target, parent, parent, parent))
	}
	if c.Database == "" {
		errs = append(errs, fmt.Errorf("database: required, the path of a City or Country .mmdb file; %s", howToGet(kindCity)))
	}
	if c.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("cache_size: must be >= 0, got %d", c.CacheSize))
	}
	if c.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("max_age: must be >= 0, got %s", c.MaxAge))
	}
	if c.CheckInterval < 0 {
		errs = append(errs, fmt.Errorf("check_interval: must be >= 0, got %s", c.CheckInterval))
	}
	return errors.Join(errs...)
}

// Processor is the geoip processor. Run may be called from several
// goroutines at once.
type Processor struct {
	cfg     Config
	log     *slog.Logger
	keys    keys
	cache   *cache[addrKey]   // results by address
	records *cache[recordKey] // results by record: shared by a network's addresses

	dbs *dbSet // the databases, shared with the processors built by share

	lookups, hits, recordHits, notFound, skipped, invalid, errs *monitoring.Counter
	reloads, reloadErrors, age, asnAge                          *monitoring.Counter
	errLog                                                      throttle
}

// keys are the output field names, built once from Target.
type keys struct {
	location, continentCode, continentName, countryISO, countryName string
	regionISO, regionName, cityName, timezone, asNumber, asOrg      string
	geoPrefix, asPrefix                                             string // "<target>.geo", "<target>.as"
}

func newKeys(target string) keys {
	g, a := target+".geo.", target+".as."
	return keys{
		geoPrefix: target + ".geo", asPrefix: target + ".as",
		location: g + "location", continentCode: g + "continent_code", continentName: g + "continent_name",
		countryISO: g + "country_iso_code", countryName: g + "country_name",
		regionISO: g + "region_iso_code", regionName: g + "region_name",
		cityName: g + "city_name", timezone: g + "timezone",
		asNumber: a + "number", asOrg: a + "organization.name",
	}
}

// result is what a lookup adds to an event; fields is nil when the address
// is in no database. Results are shared by the cache: never modified.
type result struct {
	fields []event.Field
	buf    [11]event.Field // fields' storage: one allocation per result
}

var noRecord = &result{}

// openError locates a database error on its config key.
type openError struct {
	key string
	err error
}

func (e *openError) Error() string { return e.key + ": " + e.err.Error() }
func (e *openError) Unwrap() error { return e.err }

// factory builds the processor from its config section.
func factory(sec config.Section, env processors.Env) (processors.Processor, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg); err != nil {
		return nil, err
	}
	cfg.DataPath = env.DataPath // a processor in a processors list: path.data's stamps too
	p, err := New(cfg, env)
	if oe, ok := err.(*openError); ok {
		return nil, sec.Errorf(oe.key, "%v", oe.err)
	}
	return p, err
}

// New opens the databases, starts watching them and returns the processor.
// The inputs that enrich by default (squid, snort) call it with a Config
// built from DefaultConfig. Close stops the watcher.
func New(cfg Config, env processors.Env) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := newProcessor(cfg, env)
	st := newStamps(cfg.DataPath, p.log)
	city, err := openDatabase(cfg.Database, kindCity, st)
	if err != nil {
		return nil, &openError{"database", err}
	}
	s := &dbSet{cfg: cfg, log: p.log, stamps: st, city: city, users: []*Processor{p}}
	if cfg.ASNDatabase != "" {
		asn, err := openDatabase(cfg.ASNDatabase, kindASN, st)
		if err != nil {
			city.close()
			return nil, &openError{"asn_database", err}
		}
		s.asn = asn
	}
	p.dbs = s
	now := time.Now()
	for _, d := range []*database{s.city, s.asn} {
		if d != nil {
			s.checkAge(d, now)
		}
	}
	s.watch = startWatcher(s)
	return p, nil
}

// newProcessor is a processor for cfg, without databases.
func newProcessor(cfg Config, env processors.Env) *Processor {
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, n := env.Metrics, env.Name
	if n == "" {
		n = "processor.geoip"
	}
	return &Processor{
		cfg:          cfg,
		log:          log,
		keys:         newKeys(cfg.Target),
		cache:        newCache[addrKey](cfg.CacheSize),
		records:      newCache[recordKey](cfg.CacheSize),
		lookups:      m.Counter(n + ".lookups"),
		hits:         m.Counter(n + ".cache_hits"),
		recordHits:   m.Counter(n + ".record_cache_hits"),
		notFound:     m.Counter(n + ".not_found"),
		skipped:      m.Counter(n + ".skipped_special"),
		invalid:      m.Counter(n + ".invalid"),
		errs:         m.Counter(n + ".lookup_errors"),
		reloads:      m.Counter(n + ".reloads"),
		reloadErrors: m.Counter(n + ".reload_errors"),
		age:          m.Counter(n + ".database_age_seconds"),
		asnAge:       m.Counter(n + ".asn_database_age_seconds"),
		errLog:       throttle{every: time.Minute},
	}
}

// String describes the processor for logs and `test config`.
func (p *Processor) String() string {
	s := fmt.Sprintf("geoip=[field=%s, target=%s, database=%s", p.cfg.Field, p.cfg.Target, p.cfg.Database)
	if p.cfg.ASNDatabase != "" {
		s += ", asn_database=" + p.cfg.ASNDatabase
	}
	return s + "]"
}

// lookupError is returned for an event without the configured field (when
// ignore_missing is false); the pipeline tags the event with Tag().
type lookupError struct{ msg string }

func (e *lookupError) Error() string { return e.msg }

// Tag is the tag the pipeline adds to the event.
func (e *lookupError) Tag() string { return TagLookupFailure }

// Run adds the geo and AS fields of the address in Field.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	v, ok := e.Fields.Get(p.cfg.Field)
	if !ok {
		if p.cfg.IgnoreMissing {
			return e, nil
		}
		return e, &lookupError{"geoip: field " + p.cfg.Field + " is missing"}
	}
	a, ok := toAddr(v)
	if !ok {
		// A hostname, "-" or an empty value: nothing to look up, nothing wrong.
		p.invalid.Inc()
		return e, nil
	}
	a, public := lookupAddr(a)
	if !public {
		p.skipped.Inc()
		return e, nil
	}
	res := p.lookup(a)
	if res.fields == nil {
		if p.cfg.TagOnFailure {
			e.Tag(TagLookupFailure)
		}
		return e, nil
	}
	p.apply(e, res.fields)
	return e, nil
}

// apply adds fields to e. Usually nothing of target.geo/target.as is in the
// event yet, and the fields are appended; otherwise Put replaces and
// removes conflicting keys. (Put for all of them costs more than the
// cached lookup itself: each one scans the event twice.)
func (p *Processor) apply(e *event.Event, fields []event.Field) {
	geo, as, target := p.keys.geoPrefix, p.keys.asPrefix, p.cfg.Target
	put := false
	for i := range e.Fields {
		k := e.Fields[i].Key
		if strings.HasPrefix(k, geo) || strings.HasPrefix(k, as) ||
			(len(k) <= len(target) && strings.HasPrefix(target, k) && (len(k) == len(target) || target[len(k)] == '.')) {
			put = true
			break
		}
	}
	for _, f := range fields {
		if put {
			e.Fields.Put(f.Key, f.Value)
		} else {
			e.Fields.Add(f.Key, f.Value)
		}
	}
}

// toAddr reads an address from a field value: a bare IP string (no port,
// no brackets), or an address value put by a Go input.
func toAddr(v any) (netip.Addr, bool) {
	switch v := v.(type) {
	case string:
		a, err := netip.ParseAddr(v)
		return a, err == nil
	case netip.Addr:
		return v, v.IsValid()
	case net.IP:
		return netip.AddrFromSlice(v)
	}
	return netip.Addr{}, false
}

// lookup returns the result for a public address, from the address cache,
// else from the record cache after the tree walk, else decoded.
func (p *Processor) lookup(a netip.Addr) *result {
	ak := keyOf(a)
	if res, ok := p.cache.get(ak); ok {
		p.hits.Inc()
		return res
	}
	p.lookups.Inc()
	p.dbs.mu.RLock()
	gen := p.cache.generation()
	res, err := p.lookupDB(a)
	p.dbs.mu.RUnlock()
	if err != nil {
		// Not cached: a reload may cure it.
		p.errs.Inc()
		if n, ok := p.errLog.allow(time.Now()); ok {
			p.log.Error("geoip lookup failed", "ip", a.String(), "error", err, "suppressed", n)
		}
		return noRecord
	}
	if res.fields == nil {
		p.notFound.Inc()
	}
	p.cache.put(ak, res, gen)
	return res
}

// lookupDB finds a's records and their result; the caller holds p.dbs.mu
// for reading.
//
// The files are memory-mapped: if someone truncates or rewrites one in
// place (cp over it) instead of renaming a new file over it, reading the
// mapping faults with SIGBUS, which would kill the shipper.
// SetPanicOnFault turns that into a panic recovered here, so the event is
// shipped without enrichment and the watcher loads the new file once it
// is complete. Decoding garbage can also trip a bounds check in the
// decoder; same cure.
func (p *Processor) lookupDB(a netip.Addr) (res *result, err error) {
	city, asn := p.dbs.city, p.dbs.asn
	if city == nil { // closed
		return noRecord, nil
	}
	prev := debug.SetPanicOnFault(true)
	defer recoverFault(prev, &err, city, asn)
	key := recordKey{city: maxminddb.NotFound, asn: maxminddb.NotFound}
	if key.city, err = city.offset(a); err != nil {
		return nil, err
	}
	if asn != nil {
		if key.asn, err = asn.offset(a); err != nil {
			return nil, err
		}
	}
	if key.city == maxminddb.NotFound && key.asn == maxminddb.NotFound {
		return noRecord, nil
	}
	if res, ok := p.records.get(key); ok {
		p.recordHits.Inc()
		return res, nil
	}
	gen := p.records.generation()
	if res, err = p.decode(key); err != nil {
		return nil, err
	}
	p.records.put(key, res, gen)
	return res, nil
}

// decode builds the result of the records at key. Its values come from
// the databases' intern tables: a record whose strings were seen before
// costs the result alone.
func (p *Processor) decode(key recordKey) (*result, error) {
	res := &result{}
	fields := res.buf[:0]
	k := &p.keys
	if key.city != maxminddb.NotFound {
		db := p.dbs.city
		c, err := db.decodeCity(key.city)
		if err != nil {
			return nil, err
		}
		add := func(key string, r strRef) {
			if r.n != 0 {
				fields = append(fields, event.Field{Key: key, Value: db.intern.str(db.data, r)})
			}
		}
		if c.lat != 0 || c.lon != 0 {
			fields = append(fields, event.Field{Key: k.location, Value: event.GeoPoint{Lat: c.lat, Lon: c.lon}})
		}
		add(k.continentCode, c.contCode)
		add(k.continentName, c.contName)
		add(k.countryISO, c.countryISO)
		add(k.countryName, c.countryNam)
		if c.subISO.n != 0 && c.countryISO.n != 0 {
			// ECS region_iso_code is the ISO 3166-2 code, "GB-ENG",
			// as Elasticsearch's geoip processor writes it.
			fields = append(fields, event.Field{Key: k.regionISO, Value: db.intern.region(db.data, c.countryISO, c.subISO)})
		}
		add(k.regionName, c.subName)
		add(k.cityName, c.cityName)
		add(k.timezone, c.timeZone)
	}
	if key.asn != maxminddb.NotFound {
		db := p.dbs.asn
		r, err := db.decodeASN(key.asn)
		if err != nil {
			return nil, err
		}
		if r.number != 0 {
			fields = append(fields, event.Field{Key: k.asNumber, Value: db.intern.int(int64(r.number))})
		}
		if r.org.n != 0 {
			fields = append(fields, event.Field{Key: k.asOrg, Value: db.intern.str(db.data, r.org)})
		}
	}
	if len(fields) == 0 {
		return noRecord, nil
	}
	res.fields = fields
	return res, nil
}

// DBInfo describes one loaded database, for `test config` and `doctor`.
type DBInfo struct {
	Key       string        // config key: "database" or "asn_database"
	Path      string        // file path as configured
	Type      string        // metadata database_type, e.g. "GeoLite2-City"
	BuildTime time.Time     // metadata build_epoch
	Age       time.Duration // now - BuildTime
	MaxAge    time.Duration // configured max_age (0: not checked)
	Old       bool          // Age > MaxAge
}

// DatabaseInfo describes the loaded databases (the City or Country one
// first).
func (p *Processor) DatabaseInfo() []DBInfo {
	p.dbs.mu.RLock()
	defer p.dbs.mu.RUnlock()
	now := time.Now()
	var out []DBInfo
	for _, d := range []*database{p.dbs.city, p.dbs.asn} {
		if d == nil {
			continue
		}
		age := now.Sub(d.built)
		out = append(out, DBInfo{
			Key: d.kind.key(), Path: d.path, Type: d.typ, BuildTime: d.built,
			Age: age, MaxAge: p.cfg.MaxAge, Old: p.cfg.MaxAge > 0 && age > p.cfg.MaxAge,
		})
	}
	return out
}

// ageGauge is p's age gauge of d.
func (p *Processor) ageGauge(d *database) *monitoring.Counter {
	if d.kind == kindASN {
		return p.asnAge
	}
	return p.age
}

// throttle lets one log line through per interval and counts the others.
type throttle struct {
	every      time.Duration
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (t *throttle) allow(now time.Time) (suppressed int, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.last.IsZero() && now.Sub(t.last) < t.every {
		t.suppressed++
		return 0, false
	}
	n := t.suppressed
	t.last, t.suppressed = now, 0
	return n, true
}

// absPath is path made absolute, for matching file notifications.
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return filepath.Clean(path)
}
