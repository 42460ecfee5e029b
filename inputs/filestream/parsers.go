package filestream

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/shipper/config"
)

// parsers is Filebeat's `parsers` list: each item one parser, applied in
// the order listed (libbeat/reader/parser).
type parsers []parserConf

type parserConf struct {
	Multiline *multilineConf
	NDJSON    *ndjsonConf
}

// UnmarshalYAML decodes every item strictly over its defaults; each
// problem is reported at its own line.
func (p *parsers) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a list of parsers (- multiline: {...}, - ndjson: {...})", n.Line)}}
	}
	var out parsers
	var errs []string
	// fail reports an item's errors. The loader names the key found at
	// an error's line; when the key is not in the file (a required one),
	// the message names it.
	fail := func(sec config.Section, err error, line int) {
		var ce *config.Error
		for _, e := range unjoinErr(err) {
			switch {
			case errors.As(e, &ce):
				rel := strings.TrimPrefix(ce.Path, sec.Path+".")
				if v := sec.Lookup(rel); v != nil && v.Line == ce.Line || ce.Path == sec.Path {
					errs = append(errs, fmt.Sprintf("line %d: %s", ce.Line, ce.Msg))
				} else {
					errs = append(errs, fmt.Sprintf("line %d: %s: %s", ce.Line, ce.Path, ce.Msg))
				}
			default:
				errs = append(errs, fmt.Sprintf("line %d: %s: %s", line, sec.Path, e))
			}
		}
	}
	for i, it := range n.Content {
		if it.Kind != yaml.MappingNode || len(it.Content) != 2 {
			errs = append(errs, fmt.Sprintf("line %d: parsers[%d]: want one parser name with its options (multiline, ndjson)", it.Line, i))
			continue
		}
		name, body := it.Content[0], it.Content[1]
		sec := config.Section{Node: body, Path: "parsers[" + strconv.Itoa(i) + "]." + name.Value}
		switch name.Value {
		case "multiline":
			c := defaultMultiline()
			if err := sec.Decode(&c); err != nil {
				fail(sec, err, name.Line)
				continue
			}
			if err := c.Validate(); err != nil { // also for an empty body
				fail(sec, err, name.Line)
				continue
			}
			out = append(out, parserConf{Multiline: &c})
		case "ndjson":
			c := ndjsonConf{}
			if err := sec.Decode(&c); err != nil {
				fail(sec, err, name.Line)
				continue
			}
			out = append(out, parserConf{NDJSON: &c})
		case "container", "syslog", "include_message":
			errs = append(errs, fmt.Sprintf("line %d: parsers[%d]: parser %q is not supported (supported: multiline, ndjson)", name.Line, i, name.Value))
		default:
			errs = append(errs, fmt.Sprintf("line %d: parsers[%d]: unknown parser %q (supported: multiline, ndjson)", name.Line, i, name.Value))
		}
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	*p = out
	return nil
}

func unjoinErr(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoinErr(e)...)
		}
		return out
	}
	return []error{err}
}

// regex is one regular expression, compiled when the config is read.
type regex struct{ *regexp.Regexp }

// UnmarshalYAML compiles the expression; an empty one is unset (it would
// match every line).
func (r *regex) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Value == "" {
		r.Regexp = nil
		return nil
	}
	re, err := regexp.Compile(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: invalid regular expression %q: %v", n.Line, n.Value, err)}}
	}
	r.Regexp = re
	return nil
}

// multilineConf is libbeat/reader/multiline's Config, same keys and
// defaults.
type multilineConf struct {
	Type         string        `yaml:"type"` // pattern (default), count, while_pattern
	Pattern      regex         `yaml:"pattern"`
	Negate       bool          `yaml:"negate"`
	Match        string        `yaml:"match"` // after or before
	FlushPattern regex         `yaml:"flush_pattern"`
	MaxLines     int           `yaml:"max_lines"` // 0: no limit
	Timeout      time.Duration `yaml:"timeout"`   // 0: none
	CountLines   int           `yaml:"count_lines"`
	SkipNewline  bool          `yaml:"skip_newline"`
}

func defaultMultiline() multilineConf {
	return multilineConf{Type: "pattern", MaxLines: 500, Timeout: 5 * time.Second}
}

// Validate checks the options of the chosen type, as Filebeat does.
func (c *multilineConf) Validate() error {
	var errs []error
	switch c.Type {
	case "pattern":
		if c.Match != "after" && c.Match != "before" {
			errs = append(errs, fmt.Errorf("match: want after or before, got %q", c.Match))
		}
		if c.Pattern.Regexp == nil {
			errs = append(errs, errors.New("pattern: required for type pattern"))
		}
	case "count":
		if c.CountLines <= 0 {
			errs = append(errs, fmt.Errorf("count_lines: must be > 0 for type count, got %d", c.CountLines))
		}
	case "while_pattern", "while-pattern":
		c.Type = "while_pattern"
		if c.Pattern.Regexp == nil {
			errs = append(errs, errors.New("pattern: required for type while_pattern"))
		}
	default:
		errs = append(errs, fmt.Errorf("type: unknown %q (want pattern, count or while_pattern)", c.Type))
	}
	if c.MaxLines < 0 {
		errs = append(errs, fmt.Errorf("max_lines: must be >= 0, got %d", c.MaxLines))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: must be >= 0, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// ndjsonConf is libbeat/reader/readjson's ParserConfig, same keys and
// defaults.
type ndjsonConf struct {
	Target              string `yaml:"target"` // "": the document root
	OverwriteKeys       bool   `yaml:"overwrite_keys"`
	AddErrorKey         bool   `yaml:"add_error_key"`
	MessageKey          string `yaml:"message_key"`
	ExpandKeys          bool   `yaml:"expand_keys"`
	DocumentID          string `yaml:"document_id"`
	IgnoreDecodingError bool   `yaml:"ignore_decoding_error"`
	// KeysUnderRoot is accepted and has no effect, as in Filebeat's ndjson
	// parser (target "" puts the keys at the root).
	KeysUnderRoot bool                        `yaml:"keys_under_root"`
	Field         unsupported[whyNDJSONField] `yaml:"field"`
}

type whyNDJSONField struct{}

func (whyNDJSONField) why() string {
	return "ndjson decodes the line; decoding another field needs the container parser, which is not supported"
}

// Equal compares the expressions' text (for go-cmp).
func (r regex) Equal(o regex) bool {
	if r.Regexp == nil || o.Regexp == nil {
		return r.Regexp == o.Regexp
	}
	return r.String() == o.String()
}
