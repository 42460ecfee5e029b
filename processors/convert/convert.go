// Package convert is Beats' convert processor: it converts fields to
// another type (integer, long, float, double, string, boolean, ip), in
// place or into a new field (mode copy or rename).
package convert

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/cfgvalue"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/processors/internal/numeric"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

func init() {
	processors.Register(processors.Plugin{Name: "convert", Factory: New})
}

// Type is the target type of a conversion.
type Type uint8

// The types, with Beats' names.
const (
	Unset Type = iota
	Integer
	Long
	Float
	Double
	String
	Boolean
	IP
)

var typeNames = []string{"[unset]", "integer", "long", "float", "double", "string", "boolean", "ip"}

func (t Type) String() string { return typeNames[t] }

// UnmarshalText accepts Beats' type names, in any case.
func (t *Type) UnmarshalText(b []byte) error {
	s := strings.ToLower(string(b))
	for i, n := range typeNames[1:] {
		if s == n {
			*t = Type(i + 1)
			return nil
		}
	}
	return fmt.Errorf("invalid data type: %s (want one of %s)", s, strings.Join(typeNames[1:], ", "))
}

// Mode says what happens to the source field when `to` is set.
type Mode uint8

// The modes.
const (
	Copy Mode = iota
	Rename
)

// UnmarshalText accepts copy and rename.
func (m *Mode) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "copy":
		*m = Copy
	case "rename":
		*m = Rename
	default:
		return fmt.Errorf("invalid mode: %s (want copy or rename)", strings.ToLower(string(b)))
	}
	return nil
}

type field struct {
	From     string `yaml:"from"`
	To       string `yaml:"to"`
	TypeName string `yaml:"type"`
	Type     Type   `yaml:"-"`
}

type cfg struct {
	Fields        []field `yaml:"fields"`
	Tag           string  `yaml:"tag"`
	IgnoreMissing bool    `yaml:"ignore_missing"`
	FailOnError   bool    `yaml:"fail_on_error"`
	ModeName      string  `yaml:"mode"`
	Mode          Mode    `yaml:"-"`
}

func defaultConfig() cfg { return cfg{IgnoreMissing: false, FailOnError: true, ModeName: "copy"} }

// Processor converts fields.
type Processor struct {
	cfg
	failures     *processors.Failures
	selfConflict bool // see selfConflict
}

var _ processors.Processor = (*Processor)(nil)

// New builds the processor from its section.
func New(s config.Section, env processors.Env) (processors.Processor, error) {
	c := defaultConfig()
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	if len(c.Fields) == 0 {
		return nil, s.Errorf("fields", "missing required field (a list of {from, to, type})")
	}
	var errs []error
	if err := c.Mode.UnmarshalText([]byte(c.ModeName)); err != nil {
		errs = append(errs, s.Errorf("mode", "%v", err))
	}
	for i := range c.Fields {
		f := &c.Fields[i]
		if f.TypeName != "" {
			if err := f.Type.UnmarshalText([]byte(f.TypeName)); err != nil {
				errs = append(errs, itemKeyError(s, i, "type", err))
				continue
			}
		}
		switch {
		case f.From == "":
			errs = append(errs, cfgvalue.ItemErrorf(s, "fields", i, "missing required field from"))
		case f.To == "" && f.Type == Unset:
			errs = append(errs, cfgvalue.ItemErrorf(s, "fields", i, "each field must have a 'to' or a 'type'"))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Processor{cfg: c, failures: processors.NewFailures(env), selfConflict: selfConflict(c.Fields)}, nil
}

// itemKeyError locates err at fields[i].key.
func itemKeyError(s config.Section, i int, key string, err error) error {
	e := cfgvalue.ItemErrorf(s, "fields", i, "%v", err)
	var ce *config.Error
	if errors.As(e, &ce) {
		ce.Path += "." + key
		if n := s.Lookup("fields"); n != nil && i < len(n.Content) {
			sub := config.Section{Node: n.Content[i]}
			if v := sub.Lookup(key); v != nil {
				ce.Line = v.Line
			}
		}
	}
	return e
}

// skipped marks a conversion left out (missing with ignore_missing, or
// failed without fail_on_error).
type skipped struct{}

// Run converts all fields first, then writes them: with fail_on_error (the
// default) one failure leaves the event exactly as it came, as in Beats —
// which adds no error.message either; the failure is counted in
// <processor>.failures and logged at debug level. Without fail_on_error a
// failed conversion is skipped and the others are written.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	var buf [4]any
	vals := buf[:0]
	for _, f := range p.Fields {
		v, err := p.convert(e, f)
		if err != nil {
			p.failures.Record(err)
			if p.FailOnError {
				return e, nil
			}
			v = skipped{}
		}
		vals = append(vals, v)
	}
	// A write below a field holding a value fails (Beats' PutValue). With
	// fail_on_error the event is then restored as it came, so a copy is
	// taken first, but only when a write may fail: the common case costs
	// nothing.
	var backup event.Fields
	if p.FailOnError && len(p.Fields) > 1 && (p.selfConflict || !p.writable(e, vals)) {
		backup = append(event.Fields(nil), e.Fields...)
	}
	for i, f := range p.Fields {
		v := vals[i]
		if _, skip := v.(skipped); skip {
			continue
		}
		if f.To == "" {
			eventpath.Put(e, f.From, v)
			continue
		}
		if err := eventpath.PutValue(e, f.To, v); err != nil {
			p.failures.Record(p.errorf(f, err, "failed to put field [%v]", f.To))
			if p.FailOnError {
				if backup != nil {
					e.Fields = backup
				}
				return e, nil
			}
			// Skipped; in rename mode the source stays (Beats deletes
			// it, and its value is lost).
			continue
		}
		if p.Mode == Rename {
			eventpath.Delete(e, f.From)
		}
	}
	return e, nil
}

// writable reports whether every target can be written as the event is
// now (no target below a field holding a value).
func (p *Processor) writable(e *event.Event, vals []any) bool {
	for i, f := range p.Fields {
		if _, skip := vals[i].(skipped); skip || f.To == "" {
			continue
		}
		if eventpath.CheckParents(e, f.To) != nil {
			return false
		}
	}
	return true
}

// selfConflict reports whether a field this list writes (or deletes) is
// the parent of a later target, so that writable's check on the event as
// it comes cannot tell whether the writes succeed.
func selfConflict(fields []field) bool {
	below := func(k, prefix string) bool {
		return len(k) > len(prefix) && k[len(prefix)] == '.' && strings.HasPrefix(k, prefix)
	}
	for i, a := range fields {
		for _, b := range fields[i+1:] {
			if b.To == "" {
				continue
			}
			if below(b.To, a.From) || (a.To != "" && below(b.To, a.To)) {
				return true
			}
		}
	}
	return false
}

func (p *Processor) convert(e *event.Event, f field) (any, error) {
	v, ok := eventpath.Get(e, f.From)
	if !ok {
		if p.IgnoreMissing {
			return skipped{}, nil
		}
		return nil, p.errorf(f, errors.New("key not found"), "field [%v] is missing", f.From)
	}
	if f.Type == Unset {
		return v, nil
	}
	t, err := To(f.Type, v)
	if err != nil {
		return nil, p.errorf(f, err, "unable to convert value [%v]", v)
	}
	return t, nil
}

// errorf is Beats' newConvertError text.
func (p *Processor) errorf(f field, cause error, format string, args ...any) error {
	var b strings.Builder
	b.WriteString("failed in processor.convert")
	if p.Tag != "" {
		b.WriteString(" with instance_id=" + p.Tag)
	}
	b.WriteString(": conversion of field [" + f.From + "] to type [" + f.Type.String() + "]")
	if f.To != "" {
		b.WriteString(" with target field [" + f.To + "]")
	}
	b.WriteString(" failed: ")
	fmt.Fprintf(&b, format, args...)
	return fmt.Errorf("%s: %w", b.String(), cause)
}

// To converts v to typ with Beats' rules: strings are parsed (integers in
// base 10, or 16 with a 0x prefix), numbers are converted (floats
// truncated), anything is formatted as a string, only strings and booleans
// become booleans, only an address string stays an ip.
func To(typ Type, v any) (any, error) {
	switch typ {
	case String:
		switch x := v.(type) {
		case nil:
			return nil, errors.New("invalid conversion of [null] to string")
		case string:
			return x, nil
		}
		return fmt.Sprintf("%v", v), nil
	case Long:
		if s, ok := v.(string); ok {
			return strToInt(s, 64)
		}
		if i, ok := toInt64(v); ok {
			return i, nil
		}
		return nil, fmt.Errorf("invalid conversion of [%T] to long", v)
	case Integer:
		if s, ok := v.(string); ok {
			i, err := strToInt(s, 32)
			if err != nil {
				return nil, err
			}
			return int32(i), nil
		}
		if i, ok := toInt64(v); ok {
			return int32(i), nil
		}
		return nil, fmt.Errorf("invalid conversion of [%T] to integer", v)
	case Float:
		var f float64
		if s, ok := v.(string); ok {
			var err error
			if f, err = strconv.ParseFloat(s, 32); err != nil {
				return nil, err
			}
		} else if x, ok := toFloat64(v); ok {
			f = x
		} else {
			return nil, fmt.Errorf("invalid conversion of [%T] to float", v)
		}
		// A float32, kept as the float64 that prints like it ("1.1", not
		// "1.100000023841858").
		f32 := float32(f)
		out, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f32), 'g', -1, 32), 64)
		return out, nil
	case Double:
		if s, ok := v.(string); ok {
			return strconv.ParseFloat(s, 64)
		}
		if x, ok := toFloat64(v); ok {
			return x, nil
		}
		return nil, fmt.Errorf("invalid conversion of [%T] to float", v)
	case Boolean:
		switch x := v.(type) {
		case string:
			return strconv.ParseBool(x)
		case bool:
			return x, nil
		}
		return nil, fmt.Errorf("invalid conversion of [%T] to boolean", v)
	case IP:
		if s, ok := v.(string); ok {
			if net.ParseIP(s) != nil {
				return s, nil
			}
			return nil, errors.New("value is not a valid IP address")
		}
		return nil, fmt.Errorf("invalid conversion of [%T] to IP", v)
	}
	return v, nil
}

// toInt64 is numeric.Int64 plus floats, truncated toward zero (Beats'
// convert accepts a float where an integer is wanted).
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case float32:
		return int64(x), true
	case float64:
		return int64(x), true
	}
	return numeric.Int64(v)
}

func toFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	if i, ok := toInt64(v); ok {
		if u, isU := v.(uint64); isU {
			return float64(u), true
		}
		return float64(i), true
	}
	return 0, false
}

// strToInt reads base 10, or base 16 with a 0x prefix (Beats' strToInt).
func strToInt(s string, bits int) (int64, error) {
	base := 10
	if hasHexPrefix(s) {
		base = 0
	}
	return strconv.ParseInt(s, base, bits)
}

func hasHexPrefix(s string) bool {
	if len(s) < 3 {
		return false
	}
	a, b := s[0], s[1]
	if a == '+' || a == '-' {
		a, b = b, s[2]
	}
	return a == '0' && (b == 'x' || b == 'X')
}

func (p *Processor) String() string { return "convert" }
