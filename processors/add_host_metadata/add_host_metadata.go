// Package addhostmetadata is Beats' add_host_metadata processor: host.*
// fields read from the box itself (hostname, OS, kernel, architecture,
// machine ID, addresses), refreshed every cache.ttl.
package addhostmetadata

import (
	_ "embed"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	processors.Register(processors.Plugin{Name: "add_host_metadata", Factory: New, Fields: fieldsYAML})
}

var _ processors.Processor = (*Processor)(nil)

// Duration reads "5m" or an integer number of seconds, as Beats does.
type Duration time.Duration

// UnmarshalYAML reads the duration; an error names its line.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if s, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
		*d = Duration(time.Duration(s) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: invalid duration %q (e.g. 5m, 30s, or seconds)", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// Config is the add_host_metadata section; names and defaults are Beats'.
type Config struct {
	NetInfo       netInfoConfig `yaml:"netinfo"`
	Cache         cacheConfig   `yaml:"cache"`
	Geo           *GeoConfig    `yaml:"geo"`
	Name          string        `yaml:"name"`           // replaces host.name
	ReplaceFields bool          `yaml:"replace_fields"` // false: leave events that have host.* (other than host.name) alone
}

type netInfoConfig struct {
	Enabled bool `yaml:"enabled"`
}

type cacheConfig struct {
	TTL Duration `yaml:"ttl"` // <= 0: read the host on every event
}

// GeoConfig is host.geo.*, given by the operator.
type GeoConfig struct {
	Name           string `yaml:"name"`
	Location       string `yaml:"location"` // "lat, lon"
	ContinentName  string `yaml:"continent_name"`
	CountryName    string `yaml:"country_name"`
	CountryISOCode string `yaml:"country_iso_code"`
	RegionName     string `yaml:"region_name"`
	RegionISOCode  string `yaml:"region_iso_code"`
	CityName       string `yaml:"city_name"`
}

// DefaultConfig returns Beats' defaults.
func DefaultConfig() Config {
	return Config{
		NetInfo:       netInfoConfig{Enabled: true},
		Cache:         cacheConfig{TTL: Duration(5 * time.Minute)},
		ReplaceFields: true,
	}
}

var locationRE = regexp.MustCompile(`^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$`)

// Validate checks geo.location.
func (c *Config) Validate() error {
	if c.Geo != nil && c.Geo.Location != "" && !locationRE.MatchString(c.Geo.Location) {
		return fmt.Errorf("geo.location: invalid lat,lon string %q (want e.g. \"40.7128, -74.0060\")", c.Geo.Location)
	}
	return nil
}

// Processor adds host.* to every event.
type Processor struct {
	cfg  Config
	geo  event.Fields // host.geo.*, fixed
	root string       // "/" except in tests
	now  func() time.Time

	mu      sync.Mutex
	fields  event.Fields // the cached host.* fields
	expires time.Time
}

// New builds the processor from its config section.
func New(sec config.Section, _ processors.Env) (processors.Processor, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg); err != nil {
		return nil, err
	}
	return NewProcessor(cfg, "/"), nil
}

// NewProcessor builds the processor over the file system at root.
func NewProcessor(cfg Config, root string) *Processor {
	p := &Processor{cfg: cfg, root: root, now: time.Now}
	if g := cfg.Geo; g != nil {
		for _, kv := range [][2]string{
			{"name", g.Name}, {"continent_name", g.ContinentName}, {"country_name", g.CountryName},
			{"country_iso_code", g.CountryISOCode}, {"region_name", g.RegionName},
			{"region_iso_code", g.RegionISOCode}, {"city_name", g.CityName},
		} {
			if strings.TrimSpace(kv[1]) != "" {
				p.geo = append(p.geo, event.Field{Key: "host.geo." + kv[0], Value: kv[1]})
			}
		}
		if m := locationRE.FindStringSubmatch(g.Location); m != nil {
			lat, _ := strconv.ParseFloat(m[1], 64)
			lon, _ := strconv.ParseFloat(m[2], 64)
			p.geo = append(p.geo, event.Field{Key: "host.geo.location", Value: event.GeoPoint{Lat: lat, Lon: lon}})
		}
	}
	return p
}

func (p *Processor) String() string {
	return fmt.Sprintf("add_host_metadata=[netinfo.enabled=[%v], cache.ttl=[%v]]", p.cfg.NetInfo.Enabled, time.Duration(p.cfg.Cache.TTL))
}

// Run adds the host fields, replacing host.* values already there, unless
// replace_fields is false and the event has host fields besides host.name.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	if !p.cfg.ReplaceFields && hasHostFields(e) {
		return e, nil
	}
	for _, f := range p.hostFields() {
		eventpath.Put(e, f.Key, f.Value)
	}
	for _, f := range p.geo {
		eventpath.Put(e, f.Key, f.Value)
	}
	return e, nil
}

// hasHostFields reports host fields other than host.name (which the
// shipper adds to every event).
func hasHostFields(e *event.Event) bool {
	for _, f := range e.Fields {
		if f.Key == "host" {
			m, ok := f.Value.(map[string]any)
			if !ok {
				return false
			}
			_, name := m["name"]
			return !(name && len(m) == 1) && len(m) > 0
		}
		if strings.HasPrefix(f.Key, "host.") && f.Key != "host.name" {
			return true
		}
	}
	return false
}

// hostFields returns the host.* fields, read again when the cache expired.
func (p *Processor) hostFields() event.Fields {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.fields != nil && p.cfg.Cache.TTL > 0 && now.Before(p.expires) {
		return p.fields
	}
	p.fields = p.read().fields(p.cfg)
	p.expires = now.Add(time.Duration(p.cfg.Cache.TTL))
	return p.fields
}

func (p *Processor) read() hostInfo {
	h := hostInfo{os: readOSRelease(p.root), id: readMachineID(p.root), containerized: containerized(p.root)}
	h.hostname, _ = os.Hostname()
	h.architecture, h.kernel = uname()
	if p.cfg.NetInfo.Enabled {
		h.ips, h.macs = netInfo()
	}
	return h
}

// fields lays the host out as Beats' host.MapHostInfo does.
func (h hostInfo) fields(cfg Config) event.Fields {
	name := h.hostname
	if cfg.Name != "" {
		name = cfg.Name
	}
	f := event.Fields{
		{Key: "host.hostname", Value: h.hostname},
		{Key: "host.name", Value: name},
		{Key: "host.architecture", Value: h.architecture},
		{Key: "host.os.type", Value: h.os.typ},
		{Key: "host.os.platform", Value: h.os.platform},
		{Key: "host.os.version", Value: h.os.version},
		{Key: "host.os.family", Value: h.os.family},
		{Key: "host.os.name", Value: h.os.name},
		{Key: "host.os.kernel", Value: h.kernel},
	}
	if h.os.codename != "" {
		f = append(f, event.Field{Key: "host.os.codename", Value: h.os.codename})
	}
	if h.id != "" {
		f = append(f, event.Field{Key: "host.id", Value: h.id})
	}
	if h.containerized != nil {
		f = append(f, event.Field{Key: "host.containerized", Value: *h.containerized})
	}
	if len(h.ips) > 0 {
		f = append(f, event.Field{Key: "host.ip", Value: h.ips})
	}
	if len(h.macs) > 0 {
		f = append(f, event.Field{Key: "host.mac", Value: h.macs})
	}
	return f
}
