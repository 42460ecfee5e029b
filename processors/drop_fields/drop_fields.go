// Package dropfields is Beats' drop_fields processor: it removes the listed
// fields (and everything below them); an entry written /like this/ is a
// regexp matched against every field name. @timestamp and type are never
// dropped.
package dropfields

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/cfgvalue"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

func init() {
	processors.Register(processors.Plugin{Name: "drop_fields", Factory: New})
}

type cfg struct {
	Fields        []string `yaml:"fields"`
	IgnoreMissing bool     `yaml:"ignore_missing"`
}

// Processor drops fields.
type Processor struct {
	fields        []string
	regexps       []*regexp.Regexp
	ignoreMissing bool
	failures      *processors.Failures
}

var _ processors.Processor = (*Processor)(nil)

// New builds the processor from its section.
func New(s config.Section, env processors.Env) (processors.Processor, error) {
	var c cfg
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	if s.Lookup("fields") == nil {
		return nil, s.Errorf("fields", "missing required field")
	}
	p := &Processor{ignoreMissing: c.IgnoreMissing, failures: processors.NewFailures(env)}
	var errs []error
	for i, f := range c.Fields {
		switch {
		case f == "@timestamp" || f == "type":
			// Beats' MandatoryExportedFields: never dropped
		case len(f) > 2 && strings.HasPrefix(f, "/") && strings.HasSuffix(f, "/"):
			re, err := regexp.Compile(f[1 : len(f)-1])
			if err != nil {
				errs = append(errs, cfgvalue.ItemErrorf(s, "fields", i, "%v", err))
				continue
			}
			p.regexps = append(p.regexps, re)
		default:
			p.fields = append(p.fields, f)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// Run drops the fields. A listed field that does not exist is a failure
// (counted; Beats returns an error that it only logs) unless ignore_missing.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	var missing []string
	for _, f := range p.fields {
		if !eventpath.Delete(e, f) && !p.ignoreMissing {
			missing = append(missing, f)
		}
	}
	if len(p.regexps) > 0 {
		for _, k := range leafKeys(e) {
			for _, re := range p.regexps {
				if re.MatchString(k) {
					eventpath.Delete(e, k)
					break
				}
			}
		}
	}
	if len(missing) > 0 {
		var errs []error
		for _, f := range missing {
			errs = append(errs, fmt.Errorf("failed to drop field [%v], error: key not found", f))
		}
		p.failures.Record(errors.Join(errs...))
	}
	return e, nil
}

// leafKeys lists every field name of the event, also inside objects held as
// maps (Beats' FlattenKeys).
func leafKeys(e *event.Event) []string {
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if sub, ok := m[k].(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			out = append(out, prefix+k)
		}
	}
	for _, f := range e.Fields {
		if m, ok := f.Value.(map[string]any); ok {
			walk(f.Key+".", m)
			continue
		}
		out = append(out, f.Key)
	}
	return out
}

func (p *Processor) String() string { return "drop_fields" }
