package geoip

import (
	"net"
	"testing"
	"time"

	"github.com/oschwald/geoip2-golang"
	"github.com/shipper-project/shipper/shipper/event"
)

func benchProcessor(b *testing.B, cacheSize int) *Processor {
	b.Helper()
	env := newTestEnv(b)
	cfg := env.config()
	cfg.CacheSize = cacheSize
	p, err := New(cfg, env.penv())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// benchRun runs p over one event per iteration, reusing the event (its
// field slice is cut back to the address) so that only the processor's own
// allocations are counted.
func benchRun(b *testing.B, p *Processor, ip string) {
	e := event.New(time.Unix(0, 0), 16)
	e.Fields.Add("destination.ip", ip)
	b.ReportAllocs()
	for b.Loop() {
		e.Fields = e.Fields[:1]
		if _, err := p.Run(e); err != nil {
			b.Fatal(err)
		}
	}
	if ip == "81.2.69.160" && len(e.Fields) < 10 {
		b.Fatalf("got %d fields, want the London record", len(e.Fields))
	}
}

// City + ASN lookup of a London address, every time from the database.
func BenchmarkLookupUncached(b *testing.B) { benchRun(b, benchProcessor(b, 0), "81.2.69.160") }

// The same address from the cache: the squid case, where a few hundred
// destinations repeat.
func BenchmarkLookupCached(b *testing.B) { benchRun(b, benchProcessor(b, 1024), "81.2.69.160") }

// An IPv6 address, uncached.
func BenchmarkLookupUncachedIPv6(b *testing.B) { benchRun(b, benchProcessor(b, 0), "2001:218::1") }

// A LAN address: parsed and skipped, no lookup.
func BenchmarkSkipPrivate(b *testing.B) { benchRun(b, benchProcessor(b, 1024), "192.168.1.20") }

// A public address in no database, uncached.
func BenchmarkLookupNotFound(b *testing.B) { benchRun(b, benchProcessor(b, 0), "8.8.8.8") }

// Cached lookups from several goroutines (the cache's mutex under contention).
func BenchmarkLookupCachedParallel(b *testing.B) {
	p := benchProcessor(b, 1024)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		e := event.New(time.Unix(0, 0), 16)
		e.Fields.Add("destination.ip", "81.2.69.160")
		for pb.Next() {
			e.Fields = e.Fields[:1]
			if _, err := p.Run(e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// For comparison: geoip2-golang's City lookup on the same file, which
// decodes every language's names into maps (why database.go reads the
// records with its own slim structs).
func BenchmarkGeoip2City(b *testing.B) {
	env := newTestEnv(b)
	r, err := geoip2.Open(env.city)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	ip := net.ParseIP("81.2.69.160")
	b.ReportAllocs()
	for b.Loop() {
		c, err := r.City(ip)
		if err != nil || c.City.Names["en"] != "London" {
			b.Fatal(c, err)
		}
	}
}

// The processor's City part alone, uncached, to set against BenchmarkGeoip2City.
func BenchmarkLookupCityOnly(b *testing.B) {
	env := newTestEnv(b)
	cfg := env.config()
	cfg.ASNDatabase, cfg.CacheSize = "", 0
	p, err := New(cfg, env.penv())
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	benchRun(b, p, "81.2.69.160")
}
