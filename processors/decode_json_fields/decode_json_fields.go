// Package decodejsonfields is Beats' decode_json_fields processor: it
// replaces fields holding JSON text with the decoded value, or merges the
// decoded object into the event.
package decodejsonfields

import (
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/processors/internal/fieldpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	processors.Register(processors.Plugin{Name: "decode_json_fields", Factory: New, Fields: fieldsYAML})
}

var _ processors.Processor = (*Processor)(nil)

// Config is the decode_json_fields section; names and defaults are Beats'.
type Config struct {
	Fields        []string `yaml:"fields"`
	MaxDepth      int      `yaml:"max_depth"`
	ExpandKeys    bool     `yaml:"expand_keys"`
	OverwriteKeys bool     `yaml:"overwrite_keys"`
	AddErrorKey   bool     `yaml:"add_error_key"`
	ProcessArray  bool     `yaml:"process_array"`
	// Target: unset (or null) replaces each field with its decoded value;
	// "" merges the decoded object into the root; a key puts it there.
	Target     *string `yaml:"target"`
	DocumentID string  `yaml:"document_id"`
}

// DefaultConfig returns Beats' defaults.
func DefaultConfig() Config { return Config{MaxDepth: 1} }

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Fields) == 0 {
		errs = append(errs, errors.New("fields: at least one field is required"))
	}
	if c.MaxDepth < 1 {
		errs = append(errs, fmt.Errorf("max_depth: must be >= 1, got %d", c.MaxDepth))
	}
	return errors.Join(errs...)
}

// Processor decodes JSON fields.
type Processor struct{ cfg Config }

// New builds the processor from its config section.
func New(sec config.Section, _ processors.Env) (processors.Processor, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg); err != nil {
		return nil, err
	}
	return &Processor{cfg: cfg}, nil
}

// NewProcessor builds the processor from a Config (defaults applied by the
// caller).
func NewProcessor(cfg Config) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Processor{cfg: cfg}, nil
}

func (p *Processor) String() string {
	return "decode_json_fields=" + strings.Join(p.cfg.Fields, ", ")
}

// Run decodes every configured field that holds a string; a missing or
// non-string field is skipped. Errors of all fields are joined with ", ";
// with add_error_key the event also gets error.{message,type,data,field}.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	var errs []string
	for _, field := range p.cfg.Fields {
		v, ok := eventpath.Get(e, field)
		if !ok {
			continue
		}
		text, ok := v.(string)
		if !ok {
			continue
		}
		out, err := unmarshal(p.cfg.MaxDepth, text, p.cfg.ProcessArray)
		if err != nil {
			errs = append(errs, err.Error())
			p.setError(e, "parsing input as JSON: "+err.Error(), text, field)
			continue
		}
		target := field
		if p.cfg.Target != nil {
			target = *p.cfg.Target
		}
		var id string
		if key := p.cfg.DocumentID; key != "" {
			if m, ok := out.(map[string]any); ok {
				if s, ok := getPath(m, key).(string); ok {
					id = s
					deletePath(m, key)
				}
			}
		}
		if target != "" {
			if err := eventpath.PutValue(e, target, out); err != nil {
				errs = append(errs, err.Error())
				continue
			}
		} else if m, ok := out.(map[string]any); ok {
			p.writeKeys(e, m)
		} else {
			errs = append(errs, "failed to add target to root")
		}
		if id != "" {
			e.Meta.SetID(id)
		}
	}
	if len(errs) > 0 {
		return e, errors.New(strings.Join(errs, ", "))
	}
	return e, nil
}

// setError replaces "error" with Beats' JSON error object, when
// add_error_key is set.
func (p *Processor) setError(e *event.Event, msg, data, field string) {
	if !p.cfg.AddErrorKey {
		return
	}
	eventpath.Delete(e, "error")
	e.Fields.Put("error.message", msg)
	e.Fields.Put("error.type", "json")
	if data != "" {
		e.Fields.Put("error.data", data)
	}
	if field != "" {
		e.Fields.Put("error.field", field)
	}
}

// iso8601 is Beats' second @timestamp layout, after RFC 3339.
const iso8601 = "2006-01-02T15:04:05.000Z0700"

// writeKeys merges a decoded object into the root (Beats'
// jsontransform.WriteJSONKeys).
func (p *Processor) writeKeys(e *event.Event, keys map[string]any) {
	if p.cfg.ExpandKeys {
		if err := expandFields(keys); err != nil {
			p.setError(e, err.Error(), "", "")
			return
		}
	}
	if !p.cfg.OverwriteKeys {
		delete(keys, "@timestamp")
		delete(keys, "@metadata")
		deepUpdate(e, "", keys, false)
		return
	}
	for _, k := range []string{"@timestamp", "@metadata", "type"} {
		v, ok := keys[k]
		if !ok {
			continue
		}
		delete(keys, k)
		switch k {
		case "@timestamp":
			s, ok := v.(string)
			if !ok {
				p.setError(e, "@timestamp not overwritten (not string)", "", "")
				continue
			}
			ts, err := time.Parse(time.RFC3339, s)
			if err != nil {
				if ts, err = time.Parse(iso8601, s); err != nil {
					p.setError(e, fmt.Sprintf("@timestamp not overwritten (parse error on %s)", s), "", "")
					continue
				}
			}
			e.Timestamp = ts
		case "@metadata":
			m, ok := v.(map[string]any)
			if !ok {
				p.setError(e, "failed to update @metadata", "", "")
				continue
			}
			setMeta(e, m)
		case "type":
			s, ok := v.(string)
			if !ok {
				p.setError(e, "type not overwritten (not string)", "", "")
				continue
			}
			if s == "" || s[0] == '_' {
				p.setError(e, fmt.Sprintf("type not overwritten (invalid value [%s])", s), "", "")
				continue
			}
			e.Fields.Put("type", s)
		}
	}
	deepUpdate(e, "", keys, true)
}

// setMeta maps the @metadata keys the output understands (_id, index,
// pipeline); shipper has no free-form metadata.
func setMeta(e *event.Event, m map[string]any) {
	if s, ok := m["_id"].(string); ok {
		e.Meta.SetID(s)
	}
	if s, ok := m["index"].(string); ok {
		e.Meta.Index = s
	}
	if s, ok := m["pipeline"].(string); ok {
		e.Meta.Pipeline = s
	}
}

// deepUpdate merges m into the event under prefix, as mapstr's DeepUpdate
// (overwrite) or DeepUpdateNoOverwrite: objects merge key by key; any other
// value replaces what is there only with overwrite.
func deepUpdate(e *event.Event, prefix string, m map[string]any, overwrite bool) {
	for _, k := range sortedKeys(m) {
		v := m[k]
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if !fieldpath.Exists(e.Fields, key) {
			eventpath.Put(e, key, v)
			continue
		}
		if vm, ok := v.(map[string]any); ok {
			if old, ok := eventpath.Get(e, key); ok {
				if _, isMap := old.(map[string]any); isMap {
					deepUpdate(e, key, vm, overwrite)
					continue
				}
			}
		}
		if overwrite {
			eventpath.Put(e, key, v)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// getPath and deletePath are mapstr's GetValue and Delete on a plain map:
// a dotted key walks nested objects.
func getPath(m map[string]any, key string) any {
	for {
		if v, ok := m[key]; ok {
			return v
		}
		i := strings.IndexByte(key, '.')
		if i < 0 {
			return nil
		}
		sub, ok := m[key[:i]].(map[string]any)
		if !ok {
			return nil
		}
		m, key = sub, key[i+1:]
	}
}

func deletePath(m map[string]any, key string) {
	for {
		if _, ok := m[key]; ok {
			delete(m, key)
			return
		}
		i := strings.IndexByte(key, '.')
		if i < 0 {
			return
		}
		sub, ok := m[key[:i]].(map[string]any)
		if !ok {
			return
		}
		m, key = sub, key[i+1:]
	}
}
