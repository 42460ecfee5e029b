package geoip

import (
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/shipper-project/shipper/processors"
)

// dbSet is the opened databases of one processor configuration (database
// and asn_database), their watcher, and the processors that read them.
// The inputs that enrich both source and destination (squid, snort) build
// their second processor on the first one's set (Processor.share): a
// 65 MB City database is then mapped, checked (a second of CPU on a small
// machine) and reloaded once, not once per side.
type dbSet struct {
	cfg    Config       // paths, max_age, check_interval: the first processor's
	log    *slog.Logger // the first processor's
	stamps *stamps      // the verified files under the first processor's path.data

	mu    sync.RWMutex // guards city, asn and users; held for reading during a lookup
	city  *database    // nil once closed
	asn   *database
	users []*Processor // the processors reading the set, not closed

	watch *watcher
}

// share returns a processor for cfg (another field and target) that reads
// p's databases; cfg's database paths must be p's. Each processor is
// closed on its own; the last Close closes the databases.
func (p *Processor) share(cfg Config, env processors.Env) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	q := newProcessor(cfg, env)
	s := p.dbs
	q.dbs = s
	s.mu.Lock()
	s.users = append(s.users, q)
	dbs := []*database{s.city, s.asn}
	s.mu.Unlock()
	for _, d := range dbs {
		if d != nil {
			q.ageGauge(d).Set(int64(time.Since(d.built) / time.Second))
		}
	}
	return q, nil
}

// Close stops p. The databases are closed, and their watcher stopped, when
// p was the last processor reading them. Run must not be called after
// Close.
func (p *Processor) Close() error {
	s := p.dbs
	s.mu.Lock()
	i := slices.Index(s.users, p)
	if i < 0 { // closed already
		s.mu.Unlock()
		return nil
	}
	s.users = slices.Delete(s.users, i, i+1)
	last := len(s.users) == 0
	s.mu.Unlock()
	if !last {
		return nil
	}
	s.watch.stop() // before taking mu: a reload in progress takes it
	s.mu.Lock()
	defer s.mu.Unlock()
	s.city.close()
	s.asn.close()
	s.city, s.asn = nil, nil
	return nil
}

// checkAge sets the age gauge of d in every processor of the set and warns
// once when d is older than max_age.
func (s *dbSet) checkAge(d *database, now time.Time) {
	age := now.Sub(d.built)
	s.mu.RLock()
	for _, p := range s.users {
		p.ageGauge(d).Set(int64(age / time.Second))
	}
	s.mu.RUnlock()
	if s.cfg.MaxAge > 0 && age > s.cfg.MaxAge {
		s.log.Warn("geoip database is older than max_age; update it (geoipupdate, or a new DB-IP lite file) or raise max_age",
			"path", d.path, "type", d.typ, "build_time", d.built.Format(time.RFC3339),
			"age_seconds", int64(age/time.Second), "max_age_seconds", int64(s.cfg.MaxAge/time.Second))
	}
}

// each calls f for every processor of the set.
func (s *dbSet) each(f func(p *Processor)) {
	s.mu.RLock()
	users := slices.Clone(s.users)
	s.mu.RUnlock()
	for _, p := range users {
		f(p)
	}
}
