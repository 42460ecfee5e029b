// Package fingerprint is Beats' fingerprint processor: a hash of chosen
// fields, e.g. for a deterministic document _id.
package fingerprint

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	_ "embed"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/internal/xxhash"
	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/processors/internal/fieldpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	processors.Register(processors.Plugin{Name: "fingerprint", Factory: New, Fields: fieldsYAML})
}

var _ processors.Processor = (*Processor)(nil)

// Method is a hash function: md5, sha1, sha256, sha384, sha512 or xxhash.
type Method string

var methods = map[Method]func([]byte) []byte{
	"md5":    func(b []byte) []byte { s := md5.Sum(b); return s[:] },
	"sha1":   func(b []byte) []byte { s := sha1.Sum(b); return s[:] },
	"sha256": func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
	"sha384": func(b []byte) []byte { s := sha512.Sum384(b); return s[:] },
	"sha512": func(b []byte) []byte { s := sha512.Sum512(b); return s[:] },
	"xxhash": func(b []byte) []byte { return binary.BigEndian.AppendUint64(nil, xxhash.Sum64(b)) },
}

// Encoding is hex, base32 or base64.
type Encoding string

var encodings = map[Encoding]func([]byte) string{
	"hex":    hex.EncodeToString,
	"base32": base32.StdEncoding.EncodeToString,
	"base64": base64.StdEncoding.EncodeToString,
}

// UnmarshalYAML reads a method, case-insensitively.
func (m *Method) UnmarshalYAML(n *yaml.Node) error {
	v := Method(strings.ToLower(n.Value))
	if _, ok := methods[v]; !ok {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: invalid fingerprinting method [%s] (want md5, sha1, sha256, sha384, sha512 or xxhash)", n.Line, v)}}
	}
	*m = v
	return nil
}

// UnmarshalYAML reads an encoding, case-insensitively.
func (e *Encoding) UnmarshalYAML(n *yaml.Node) error {
	v := Encoding(strings.ToLower(n.Value))
	if _, ok := encodings[v]; !ok {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: invalid encoding [%s] (want hex, base32 or base64)", n.Line, v)}}
	}
	*e = v
	return nil
}

// Config is the fingerprint section; names and defaults are Beats'.
type Config struct {
	Fields        []string `yaml:"fields"`
	TargetField   string   `yaml:"target_field"`
	Method        Method   `yaml:"method"`
	Encoding      Encoding `yaml:"encoding"`
	IgnoreMissing bool     `yaml:"ignore_missing"`
}

// DefaultConfig returns Beats' defaults.
func DefaultConfig() Config {
	return Config{TargetField: "fingerprint", Method: "sha256", Encoding: "hex"}
}

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Fields) == 0 {
		errs = append(errs, errors.New("fields: must specify at least one field"))
	}
	if _, ok := methods[c.Method]; !ok {
		errs = append(errs, fmt.Errorf("method: invalid fingerprinting method [%s]", c.Method))
	}
	if _, ok := encodings[c.Encoding]; !ok {
		errs = append(errs, fmt.Errorf("encoding: invalid encoding [%s]", c.Encoding))
	}
	return errors.Join(errs...)
}

// Processor hashes the configured fields.
type Processor struct {
	cfg    Config
	fields []string // sorted, without duplicates: the order does not change the hash
	hash   func([]byte) []byte
	encode func([]byte) string
}

// New builds the processor from its config section.
func New(sec config.Section, _ processors.Env) (processors.Processor, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg); err != nil {
		return nil, err
	}
	return NewProcessor(cfg)
}

// NewProcessor builds the processor from a Config.
func NewProcessor(cfg Config) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	fields := slices.Clone(cfg.Fields)
	slices.Sort(fields)
	fields = slices.Compact(fields)
	return &Processor{cfg: cfg, fields: fields, hash: methods[cfg.Method], encode: encodings[cfg.Encoding]}, nil
}

func (p *Processor) String() string {
	return fmt.Sprintf("fingerprint={\"Method\":%q,\"Fields\":%q,\"TargetField\":%q,\"Encoding\":%q,\"IgnoreMissing\":%v}",
		p.cfg.Method, p.cfg.Fields, p.cfg.TargetField, p.cfg.Encoding, p.cfg.IgnoreMissing)
}

// Run hashes "|field|value" for each field in sorted order, then "|", and
// puts the encoded hash into target_field. A missing field (unless
// ignore_missing) or an object or array value is an error; the event is kept
// unchanged (Beats drops it, see README).
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	var stack [256]byte
	buf := stack[:0]
	for _, k := range p.fields {
		v, ok := eventpath.Get(e, k)
		if !ok {
			if p.cfg.IgnoreMissing {
				continue
			}
			return e, fmt.Errorf("failed to compute fingerprint: failed to find field [%v] in event: key not found", k)
		}
		switch x := v.(type) {
		case map[string]any, []any:
			return e, fmt.Errorf("failed to compute fingerprint: cannot compute fingerprint using non-scalar field [%v]", k)
		case time.Time:
			v = x.UTC() // the same instant hashes alike in any zone
		case string:
			buf = append(append(append(append(buf, '|'), k...), '|'), x...)
			continue
		}
		buf = fmt.Appendf(buf, "|%v|%v", k, v)
	}
	buf = append(buf, '|')
	if fp := p.encode(p.hash(buf)); !fieldpath.PutMeta(e, p.cfg.TargetField, fp) {
		if err := eventpath.PutValue(e, p.cfg.TargetField, fp); err != nil {
			return e, fmt.Errorf("failed to compute fingerprint: %w", err)
		}
	}
	return e, nil
}
