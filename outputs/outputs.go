// Package outputs defines the output registry. An output is a
// pipeline.Output; outputs/all imports every built-in one.
package outputs

import (
	"log/slog"
	"sort"
	"time"

	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// Output sends batches; see pipeline.Output.
type Output = pipeline.Output

// Settings are what an output tells the pipeline about itself.
type Settings struct {
	BatchSize int // bulk_max_size
	Workers   int // worker
	// Retry backoff (backoff.init, backoff.max); zero: the pipeline's defaults.
	BackoffInit, BackoffMax time.Duration
	// DeadLetterMaxBytes caps the dead-letter file (dead_letter.max_bytes);
	// zero: 16 MiB.
	DeadLetterMaxBytes int64
}

// Env is what a factory gets besides its own config section.
type Env struct {
	Log      *slog.Logger
	Metrics  *monitoring.Registry
	DataPath string
	// Setup is the configuration's `setup` section: the Elasticsearch
	// output installs setup.ilm/setup.template on connect (Beats' index
	// management). Empty when the file has none: the defaults apply.
	Setup config.Section
}

// Factory builds an output from its config section.
type Factory func(cfg config.Section, env Env) (Output, Settings, error)

// Plugin describes one output kind.
type Plugin struct {
	Name    string
	Factory Factory
}

var registry = map[string]Plugin{}

// Register makes an output available under p.Name. It panics on a nil
// factory or a duplicate name.
func Register(p Plugin) {
	if p.Factory == nil {
		panic("outputs: Register " + p.Name + " with nil factory")
	}
	if _, dup := registry[p.Name]; dup {
		panic("outputs: Register called twice for " + p.Name)
	}
	registry[p.Name] = p
}

// Lookup returns the plugin registered under name.
func Lookup(name string) (Plugin, bool) {
	p, ok := registry[name]
	return p, ok
}

// Names returns the registered names, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
