package geoip

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// Sides is the GeoIP block the inputs with addresses (squid, snort) take:
// when Database is set, `source` and `destination` are enriched.
type Sides struct {
	Database    string `yaml:"database"`     // City or Country .mmdb
	ASNDatabase string `yaml:"asn_database"` // optional ASN .mmdb
	// DataPath is path.data (Config.DataPath); not a config key, the
	// input sets it.
	DataPath string `yaml:"-"`
}

// Validate checks the block.
func (s Sides) Validate() error {
	if s.ASNDatabase != "" && s.Database == "" {
		return errors.New("geoip.database: required when geoip.asn_database is set")
	}
	return nil
}

// ForSides builds one processor per side ("source", "destination"):
// <side>.ip → <side>.geo.* and <side>.as.*; events without the address are
// left alone (squid cache hits have no destination). The processors share
// the opened databases. Nil when no database.
func ForSides(s Sides, sides []string, log *slog.Logger, m *monitoring.Registry, name string) ([]*Processor, error) {
	if s.Database == "" {
		return nil, nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var out []*Processor
	for _, side := range sides {
		gc := DefaultConfig()
		gc.Field, gc.Target = side+".ip", side
		gc.Database, gc.ASNDatabase, gc.DataPath = s.Database, s.ASNDatabase, s.DataPath
		gc.IgnoreMissing = true
		env := processors.Env{Log: log, Metrics: m, Name: name + ".geoip." + side}
		var p *Processor
		var err error
		if len(out) == 0 {
			p, err = New(gc, env)
		} else {
			// One mapping, one check and one watcher for every side.
			p, err = out[0].share(gc, env)
		}
		if err != nil {
			Close(out)
			return nil, fmt.Errorf("geoip: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// Enrich runs ps on e, tagging it on failure; it returns the first error.
func Enrich(ps []*Processor, e *event.Event) error {
	var first error
	for _, p := range ps {
		if _, err := p.Run(e); err != nil {
			var t interface{ Tag() string }
			if errors.As(err, &t) {
				e.Tag(t.Tag())
			}
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// Close closes every processor of ps.
func Close(ps []*Processor) {
	for _, p := range ps {
		p.Close()
	}
}
