// Package processors defines the Processor interface and the registry of
// processor plugins (grok, geoip, rename, add_fields, drop_event, …).
package processors

import (
	"fmt"
	"log/slog"
	"sort"

	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// Processor changes one event. It returns the event to keep (usually the same
// pointer) or nil to drop it on purpose (counted as filtered). An error keeps
// the event: the pipeline adds error.message and ships it with its original
// message, so that a bad line is never lost.
type Processor interface {
	Run(e *event.Event) (*event.Event, error)
	String() string
}

// Closer is implemented by processors holding resources (files, watchers).
type Closer interface{ Close() error }

// Env is what a factory gets besides its own config section.
type Env struct {
	Log     *slog.Logger
	Metrics *monitoring.Registry
	// Name prefixes the processor's counters, e.g. "processor.grok.0".
	Name string
}

// Factory builds a processor from its config section (the body under its
// name), returning configuration errors that name the key.
type Factory func(cfg config.Section, env Env) (Processor, error)

// Plugin describes one processor kind.
type Plugin struct {
	Name    string
	Factory Factory
	Fields  []byte // fields.yml of the fields it adds, if any
}

var registry = map[string]Plugin{}

// Register makes a processor available under p.Name. It panics on a nil
// factory or a duplicate name: both are programming errors.
func Register(p Plugin) {
	if p.Factory == nil {
		panic("processors: Register " + p.Name + " with nil factory")
	}
	if _, dup := registry[p.Name]; dup {
		panic("processors: Register called twice for " + p.Name)
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

// Build builds a list of processors from their sections (`- name: {...}`).
func Build(secs []config.Section, env Env) ([]Processor, error) {
	var out []Processor
	for i, s := range secs {
		name, body, err := s.PluginName()
		if err != nil {
			return nil, err
		}
		p, ok := registry[name]
		if !ok {
			return nil, s.Errorf("", "unknown processor %q (known: %v)", name, Names())
		}
		e := env
		e.Name = fmt.Sprintf("%s.%d.%s", env.Name, i, name)
		if e.Log != nil {
			e.Log = e.Log.With("processor", name)
		}
		proc, err := p.Factory(body, e)
		if err != nil {
			return nil, err
		}
		out = append(out, proc)
	}
	return out, nil
}
