package monitoring

import (
	"io"
	"net/http/httptest"
	"testing"
	"time"
)

// Benchmarks of one scrape of each endpoint over the fixture registry (27
// counters, about what a squid + snmp + geoip router run registers).
func benchEndpoint(b *testing.B, path string) {
	m, st := fixture()
	h := newHandler(m, func() Status { return st }, func() time.Time { return t0.Add(time.Minute) })
	req := httptest.NewRequest("GET", path, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
	}
}

func BenchmarkMetrics(b *testing.B) { benchEndpoint(b, "/metrics") }
func BenchmarkStats(b *testing.B)   { benchEndpoint(b, "/stats") }
func BenchmarkPage(b *testing.B)    { benchEndpoint(b, "/") }

// BenchmarkWritePrometheus is the exposition alone, to compare with
// client_golang's (packaging/README.md).
func BenchmarkWritePrometheus(b *testing.B) {
	m, st := fixture()
	snap := m.Snapshot()
	b.ReportAllocs()
	for b.Loop() {
		_ = WritePrometheus(io.Discard, snap, st, t0)
	}
}
