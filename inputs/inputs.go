// Package inputs defines the Input interface and the registry of input
// plugins. inputs/all imports every built-in input.
package inputs

import (
	"context"
	"log/slog"
	"sort"

	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
	"github.com/shipper-project/shipper/shipper/state"
)

// Input produces events until ctx is done. Run returns nil on a clean stop.
// With Env.Once set, Run reads what is there (files to their end, a command
// run once) and returns nil; the runner then waits for the acknowledgements.
type Input interface {
	Run(ctx context.Context, out pipeline.Client) error
}

// Cursorer is implemented by inputs that resume (tailers). ACKed receives the
// Private value of every event that reached a final outcome, in publish
// order. It must not keep the slice.
type Cursorer interface {
	ACKed(private []any)
}

// Env is what a factory gets besides its own config section.
type Env struct {
	ID       string // the input's id (unique; keys its registry entries)
	Log      *slog.Logger
	Metrics  *monitoring.Registry
	Store    *state.Store // the registry of cursors under path.data
	Once     bool         // run --once: read to the end and return
	DataPath string       // path.data
	// Name is the metrics prefix, "input.<id>".
	Name string
}

// Factory builds an input from its config section (which holds type, id,
// processors, fields and tags too; decode with those keys skipped).
type Factory func(cfg config.Section, env Env) (Input, error)

// Plugin describes one input kind.
type Plugin struct {
	Name    string
	Factory Factory
	Fields  []byte // the plugin's fields.yml, embedded
}

// CommonKeys are handled by the framework for every input; plugins skip
// them when decoding.
var CommonKeys = []string{"type", "id", "processors", "fields", "fields_under_root", "tags", "enabled", "index", "pipeline"}

var registry = map[string]Plugin{}

// Register makes an input available under p.Name. It panics if the name is
// taken or the factory is nil: both are programming errors.
func Register(p Plugin) {
	if p.Factory == nil {
		panic("inputs: Register " + p.Name + " with nil factory")
	}
	if _, dup := registry[p.Name]; dup {
		panic("inputs: Register called twice for " + p.Name)
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

// All returns every registered plugin, sorted by name.
func All() []Plugin {
	out := make([]Plugin, 0, len(registry))
	for _, n := range Names() {
		out = append(out, registry[n])
	}
	return out
}
