// Package processors defines the Processor interface and the registry of
// processor plugins (grok, geoip, rename, add_fields, drop_event, …).
package processors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors/conditions"
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
	// DataPath is path.data, where a processor may keep what spares work
	// at the next start (geoip: the SHA-256 of the databases whose check
	// passed); empty: nothing is kept.
	DataPath string
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

// Build builds a list of processors from their sections, as Beats does:
//
//   - `- name: {...}` builds the processor registered under name. Two keys
//     are handled here for every processor, never by the processor itself:
//     `when:` (a condition: the processor runs only on the events that match
//     it) and `enabled: false` (the processor is left out).
//   - `- if: <condition>` with `then:` and optionally `else:` (each one
//     processor or a list) runs one list or the other.
//
// Every problem is reported at once, each with file, line and key.
func Build(secs []config.Section, env Env) ([]Processor, error) {
	var out []Processor
	var errs []error
	for i, s := range secs {
		p, err := build(s, env, fmt.Sprintf("%s.%d", env.Name, i))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if p != nil {
			out = append(out, p)
		}
	}
	if len(errs) > 0 {
		for _, p := range out {
			if c, ok := p.(Closer); ok {
				_ = c.Close()
			}
		}
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// build builds one list entry; it returns nil, nil for a disabled one.
func build(s config.Section, env Env, name string) (Processor, error) {
	if s.Lookup("if") != nil {
		return buildIf(s, env, name)
	}
	if n := s.Node; n != nil && n.Kind == yaml.MappingNode && len(n.Content) > 2 {
		var names []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			names = append(names, n.Content[i].Value)
		}
		msg := fmt.Sprintf("each processor must have exactly one action, but found %d actions (%s)", len(names), strings.Join(names, ","))
		if s.Lookup("when") != nil {
			msg += "; indent when: under the processor's name"
		}
		return nil, s.Errorf("", "%s", msg)
	}
	kind, body, err := s.PluginName()
	if err != nil {
		return nil, err
	}
	plugin, ok := registry[kind]
	if !ok {
		msg := fmt.Sprintf("unknown processor %q (known: %s)", kind, strings.Join(Names(), ", "))
		if kind == "then" || kind == "else" || kind == "when" {
			msg += "; a condition goes under the processor (- " + "drop_event: {when: ...}) or in - if: ... then: ..."
		}
		// located at the name's own line (its body may start below)
		return nil, &config.Error{File: s.File, Line: s.Node.Content[0].Line, Path: body.Path, Msg: msg}
	}
	enabled, when, body, err := framework(body)
	if err != nil {
		return nil, err
	}
	if !enabled {
		return nil, nil
	}
	var cond conditions.Condition
	if when != nil {
		cond, err = conditions.New(config.Section{Node: when, File: s.File, Path: body.Path + ".when"})
		if err != nil {
			return nil, err
		}
	}
	e := env
	e.Name = name + "." + kind
	if e.Log != nil {
		e.Log = e.Log.With("processor", kind)
	}
	p, err := plugin.Factory(body, e)
	if err != nil {
		return nil, err
	}
	if cond != nil {
		return &whenProcessor{cond: cond, p: p}, nil
	}
	return p, nil
}

// framework takes the keys every processor has (enabled, when) out of a
// processor's body, so that the processor decodes only its own keys.
func framework(body config.Section) (enabled bool, when *yaml.Node, rest config.Section, err error) {
	enabled, rest = true, body
	n := body.Node
	if n == nil || n.Kind != yaml.MappingNode {
		return enabled, nil, rest, nil
	}
	var keep []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "when":
			when = v
		case "enabled":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
				return false, nil, rest, body.Errorf("enabled", "want true or false, got %q", v.Value)
			}
			enabled = v.Value == "true"
		default:
			keep = append(keep, k, v)
		}
	}
	if len(keep) == len(n.Content) {
		return enabled, when, rest, nil
	}
	c := *n
	c.Content = keep
	rest.Node = &c
	return enabled, when, rest, nil
}

// whenProcessor runs p on the events that match cond and passes the others
// through unchanged (Beats' WhenProcessor).
type whenProcessor struct {
	cond conditions.Condition
	p    Processor
}

func (w *whenProcessor) Run(e *event.Event) (*event.Event, error) {
	if !w.cond.Check(e) {
		return e, nil
	}
	return w.p.Run(e)
}

// String is the inner processor's, so that error messages read the same
// with or without a condition.
func (w *whenProcessor) String() string { return w.p.String() }

func (w *whenProcessor) Close() error { return closeAll([]Processor{w.p}) }

// buildIf builds Beats' `- if: … then: … else: …`.
func buildIf(s config.Section, env Env, name string) (Processor, error) {
	var errs []error
	for i := 0; i+1 < len(s.Node.Content); i += 2 {
		switch k := s.Node.Content[i].Value; k {
		case "if", "then", "else":
		default:
			errs = append(errs, s.Errorf(k, "unknown key %q in an if/then/else processor (want if, then and optionally else)", k))
		}
	}
	if s.Lookup("then") == nil {
		errs = append(errs, s.Errorf("if", "an if processor needs then: (one processor or a list)"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cond, err := conditions.New(s.Sub("if"))
	if err != nil {
		return nil, err
	}
	list := func(key string) ([]Processor, error) {
		sub := s.Sub(key)
		if sub.Node == nil {
			return nil, nil
		}
		var secs []config.Section
		switch sub.Node.Kind {
		case yaml.SequenceNode:
			for i, c := range sub.Node.Content {
				secs = append(secs, config.Section{Node: c, File: s.File, Path: fmt.Sprintf("%s[%d]", sub.Path, i)})
			}
		case yaml.MappingNode:
			secs = []config.Section{sub}
		default:
			return nil, sub.Errorf("", "want one processor or a list of processors")
		}
		e := env
		e.Name = name + "." + key
		return Build(secs, e)
	}
	then, err := list("then")
	if err != nil {
		return nil, err
	}
	els, err := list("else")
	if err != nil {
		_ = closeAll(then)
		return nil, err
	}
	return &ifThenElse{cond: cond, then: then, els: els}, nil
}

// ifThenElse runs then on the events that match cond, els on the others.
// As in Beats, a list stops at its first error (the event is kept) or drop.
type ifThenElse struct {
	cond      conditions.Condition
	then, els []Processor
}

func (p *ifThenElse) Run(e *event.Event) (*event.Event, error) {
	list := p.els
	if p.cond.Check(e) {
		list = p.then
	}
	for _, q := range list {
		out, err := q.Run(e)
		if err != nil {
			return e, fmt.Errorf("%s: %w", q, err)
		}
		if out == nil {
			return nil, nil
		}
		e = out
	}
	return e, nil
}

func (p *ifThenElse) String() string { return "if" }

func (p *ifThenElse) Close() error { return errors.Join(closeAll(p.then), closeAll(p.els)) }

func closeAll(ps []Processor) error {
	var errs []error
	for _, p := range ps {
		if c, ok := p.(Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// Failures counts the failures that a Beats-compatible processor handles
// itself. Beats leaves such an event as its processor made it (with its own
// error.message, or none, depending on the processor) and only logs the
// error at debug level; so the processor returns the event with a nil error,
// and the pipeline adds neither a message nor a tag. Each failure is
// counted under "<processor name>.failures" and logged at debug level.
type Failures struct {
	count *monitoring.Counter
	log   *slog.Logger
}

// NewFailures returns the failure counter of the processor env describes.
func NewFailures(env Env) *Failures {
	return &Failures{count: env.Metrics.Counter(env.Name + ".failures"), log: env.Log}
}

// Record counts one failure.
func (f *Failures) Record(err error) {
	f.count.Inc()
	if f.log != nil && f.log.Enabled(context.Background(), slog.LevelDebug) {
		f.log.Debug("processor failed, event kept", "error", err)
	}
}

// Count returns the number of failures recorded.
func (f *Failures) Count() int64 { return f.count.Load() }
