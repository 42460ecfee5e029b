// Package dissect is Beats' dissect processor: it splits a field with a
// pattern of literal delimiters and %{key}s, the cheap alternative to grok.
package dissect

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/processors/internal/fieldpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	processors.Register(processors.Plugin{Name: "dissect", Factory: New, Fields: fieldsYAML})
}

var _ processors.Processor = (*Processor)(nil)

// FlagParsingError is added to log.flags when the pattern does not match.
const FlagParsingError = "dissect_parsing_error"

// flagField is Beats' beat.FlagField.
const flagField = "log.flags"

// TrimMode is trim_values: none, left, right or all.
type TrimMode uint8

// Trim modes.
const (
	TrimNone  TrimMode = 0
	TrimLeft  TrimMode = 1
	TrimRight TrimMode = 2
	TrimAll   TrimMode = TrimLeft | TrimRight
)

// UnmarshalYAML reads none, left, right or all; an error names its line.
func (m *TrimMode) UnmarshalYAML(n *yaml.Node) error {
	if err := m.parse(n.Value); err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	return nil
}

func (m *TrimMode) parse(s string) error {
	switch strings.ToLower(s) {
	case "none":
		*m = TrimNone
	case "left":
		*m = TrimLeft
	case "right":
		*m = TrimRight
	case "all":
		*m = TrimAll
	default:
		return fmt.Errorf("invalid trim mode %q (want none, left, right or all)", s)
	}
	return nil
}

// Config is the dissect section; names and defaults are Beats'.
type Config struct {
	Tokenizer     string   `yaml:"tokenizer"`
	Field         string   `yaml:"field"`
	TargetPrefix  string   `yaml:"target_prefix"`
	IgnoreFailure bool     `yaml:"ignore_failure"`
	OverwriteKeys bool     `yaml:"overwrite_keys"`
	TrimValues    TrimMode `yaml:"trim_values"`
	TrimChars     string   `yaml:"trim_chars"`
}

// DefaultConfig returns Beats' defaults.
func DefaultConfig() Config {
	return Config{Field: "message", TargetPrefix: "dissect", TrimChars: " "}
}

// Processor runs a compiled pattern on one field of each event.
type Processor struct {
	cfg    Config
	d      *Dissector
	prefix string
	// For simple patterns the target keys are known: prefixed once here,
	// in the order appendPairs returns them; nested is set when two of them
	// cannot both be set ("a" and "a.b").
	keys   []string
	nested bool
}

// New builds the processor from its config section.
func New(sec config.Section, _ processors.Env) (processors.Processor, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg); err != nil {
		return nil, err
	}
	if sec.Lookup("tokenizer") == nil {
		return nil, sec.Errorf("", "tokenizer: required (the dissect pattern, e.g. \"%%{key1} %%{key2}\")")
	}
	p, err := NewProcessor(cfg)
	if err != nil {
		return nil, sec.Errorf("tokenizer", "%v", err)
	}
	return p, nil
}

// NewProcessor builds the processor from a decoded Config.
func NewProcessor(cfg Config) (*Processor, error) {
	d, err := Compile(cfg.Tokenizer)
	if err != nil {
		return nil, err
	}
	if cfg.TrimValues != TrimNone {
		d.trimmer = newTrimmer(cfg.TrimChars, cfg.TrimValues&TrimLeft != 0, cfg.TrimValues&TrimRight != 0)
	}
	p := &Processor{cfg: cfg, d: d}
	if cfg.TargetPrefix != "" {
		p.prefix = cfg.TargetPrefix + "."
	}
	if d.simple {
		for _, f := range d.fields {
			if f.kind == kindNormal {
				p.keys = append(p.keys, p.prefix+f.key)
			}
		}
		for i := range p.keys {
			if prefixOfOther(p.keys, i) {
				p.nested = true
			}
		}
	}
	return p, nil
}

func (p *Processor) String() string {
	return "dissect=" + p.d.Raw() + ",field=" + p.cfg.Field + ",target_prefix=" + p.cfg.TargetPrefix
}

// errKeyNotFound is mapstr's text for a missing field.
var errKeyNotFound = errors.New("key not found")

// Run dissects the field. As in Beats: a missing or non-string field is an
// error; a pattern that does not match adds dissect_parsing_error to
// log.flags and is an error unless ignore_failure; a key that already exists
// is an error (the event is left unchanged) unless overwrite_keys.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	v, ok := e.Fields.Get(p.cfg.Field)
	if !ok {
		return e, errKeyNotFound
	}
	s, ok := v.(string)
	if !ok {
		return e, fmt.Errorf("field is not a string, value: `%v`, field: `%s`", v, p.cfg.Field)
	}
	var buf [maxStack]pair
	pairs, err := p.d.appendPairs(buf[:0], s)
	if err != nil {
		addFlag(e, FlagParsingError)
		if p.cfg.IgnoreFailure {
			return e, nil
		}
		return e, err
	}
	keys, nested := p.keys, p.nested
	if !p.d.simple {
		var kb [maxStack]string
		keys = kb[:0]
		for _, kv := range pairs {
			keys = append(keys, p.prefix+kv.key)
		}
		nested = true // checked below, per event
	}
	if p.cfg.OverwriteKeys {
		for i := range pairs {
			eventpath.Put(e, keys[i], pairs[i].value())
		}
		return e, nil
	}
	// Check every key before changing anything: on a conflict the event
	// stays as it was (Beats restores its backup).
	free := true
	for _, k := range keys {
		if fieldpath.Free(e.Fields, k) {
			continue
		}
		free = false
		if fieldpath.Exists(e.Fields, k) {
			return e, fmt.Errorf("cannot override existing key with `%s`", k)
		}
	}
	if nested {
		for i, k := range keys {
			if prefixOfOther(keys, i) {
				return e, fmt.Errorf("cannot override existing key with `%s`", k)
			}
		}
	}
	for i := range pairs {
		if free {
			e.Fields.Add(keys[i], pairs[i].value())
		} else {
			eventpath.Put(e, keys[i], pairs[i].value())
		}
	}
	return e, nil
}

// prefixOfOther reports whether keys[i] and another key cannot both be set
// ("a" and "a.b"): Beats, putting them one by one, finds the first already
// there.
func prefixOfOther(keys []string, i int) bool {
	for j, k := range keys {
		if j == i {
			continue
		}
		a, b := keys[i], k
		if len(a) > len(b) {
			a, b = b, a
		}
		if len(b) > len(a) && b[len(a)] == '.' && strings.HasPrefix(b, a) {
			return j < i
		}
	}
	return false
}

// addFlag appends flag to log.flags as Beats' AddTagsWithKey (no dedup).
// Like it, it changes nothing when log.flags is not a list or log holds
// a value (the event still gets the failure's error.message).
func addFlag(e *event.Event, flag string) {
	v, ok := eventpath.Get(e, flagField)
	switch flags := v.(type) {
	case []string:
		eventpath.Put(e, flagField, append(flags[:len(flags):len(flags)], flag))
	case []any:
		eventpath.Put(e, flagField, append(flags[:len(flags):len(flags)], flag))
	default:
		if !ok {
			_ = eventpath.PutValue(e, flagField, []string{flag})
		}
	}
}
