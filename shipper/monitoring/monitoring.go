// Package monitoring holds the counters every component increments. A
// Registry is created once per run and handed to plugins; /stats, /metrics and
// the periodic log summary read its Snapshot.
package monitoring

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Counter is a monotonically increasing count (or, via Set, a gauge).
type Counter struct{ v atomic.Int64 }

// Add adds n.
func (c *Counter) Add(n int64) { c.v.Add(n) }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Set sets the value (for gauges).
func (c *Counter) Set(n int64) { c.v.Store(n) }

// Load returns the value.
func (c *Counter) Load() int64 { return c.v.Load() }

// Registry maps dotted names ("output.events.acked",
// "input.squid-access.lines") to counters.
type Registry struct {
	mu       sync.Mutex
	counters map[string]*Counter
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{counters: map[string]*Counter{}} }

// Counter returns the counter name, creating it at zero. A nil registry
// returns a detached counter, so that tests can pass nil.
func (r *Registry) Counter(name string) *Counter {
	if r == nil {
		return new(Counter)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.counters[name]
	if !ok {
		c = new(Counter)
		r.counters[name] = c
	}
	return c
}

// Snapshot returns every counter's current value.
func (r *Registry) Snapshot() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int64, len(r.counters))
	for k, c := range r.counters {
		out[k] = c.Load()
	}
	return out
}

// Names returns the sorted counter names.
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.counters))
	for k := range r.counters {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
