package grok

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	processors.Register(processors.Plugin{Name: "grok", Factory: New, Fields: fieldsYAML})
}

var _ processors.Processor = (*Processor)(nil)

// Processor is the grok processor: it matches Field against the patterns and
// adds the captured fields. On no match the event is kept as is and tagged
// with tag_on_failure (Logstash's behaviour); no error.message is added.
type Processor struct {
	cfg     Config
	g       *Grok
	fields  map[string]struct{} // every field a pattern can produce
	matched []*monitoring.Counter
	failed  []*monitoring.Counter
	nanos   []*monitoring.Counter
	missing *monitoring.Counter
}

// New builds the processor from its config section.
func New(sec config.Section, env processors.Env) (processors.Processor, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg); err != nil {
		return nil, err
	}
	p, err := NewProcessor(cfg, env.Metrics, env.Name)
	if err != nil {
		return nil, sec.Errorf("patterns", "%v", err)
	}
	return p, nil
}

// NewProcessor builds the processor from a decoded Config. Counters are
// named name+".pattern.<i>.matched|failed|ns" and name+".missing".
func NewProcessor(cfg Config, m *monitoring.Registry, name string) (*Processor, error) {
	g, err := Compile(cfg)
	if err != nil {
		return nil, err
	}
	p := &Processor{cfg: cfg, g: g, fields: map[string]struct{}{}, missing: m.Counter(name + ".missing")}
	for i, pat := range g.patterns {
		pre := name + ".pattern." + strconv.Itoa(i)
		p.matched = append(p.matched, m.Counter(pre+".matched"))
		p.failed = append(p.failed, m.Counter(pre+".failed"))
		p.nanos = append(p.nanos, m.Counter(pre+".ns"))
		for _, s := range pat.fields {
			p.fields[s.field] = struct{}{}
		}
	}
	return p, nil
}

// Run matches the event's field; see Processor.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	text, ok := e.Fields.GetString(p.cfg.Field)
	if !ok {
		if p.cfg.IgnoreMissing {
			return e, nil
		}
		p.missing.Inc()
		p.fail(e)
		return e, nil
	}
	// A pattern may capture a field the event already has (message, for
	// syslog): then values must replace, not repeat, the key. That is rare,
	// so check once and take the fast Add path otherwise.
	put := !p.cfg.BreakOnMatch
	for i := range e.Fields {
		if _, clash := p.fields[e.Fields[i].Key]; clash {
			put = true
			break
		}
	}
	matched := false
	var vals Values
	for i, pat := range p.g.patterns {
		start := time.Now()
		ok, _ := pat.match(text, &e.Fields, put, &vals, "", nil, nil)
		p.nanos[i].Add(int64(time.Since(start)))
		if !ok {
			p.failed[i].Inc()
			continue
		}
		p.matched[i].Inc()
		matched = true
		if p.cfg.BreakOnMatch {
			break
		}
	}
	if !matched {
		p.fail(e)
	}
	return e, nil
}

func (p *Processor) fail(e *event.Event) {
	for _, t := range p.cfg.TagOnFailure {
		e.Tag(t)
	}
}

// String describes the processor for logs.
func (p *Processor) String() string {
	return fmt.Sprintf("grok=[field=%s, patterns=%s]", p.cfg.Field, strings.Join(p.cfg.Patterns, " | "))
}
