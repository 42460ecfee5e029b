package processors_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

// tagProc tags events with its "tag" option; "drop: true" drops them.
type tagProc struct {
	Tag    string `yaml:"tag"`
	Drop   bool   `yaml:"drop"`
	closed *int
}

func (p *tagProc) Run(e *event.Event) (*event.Event, error) {
	if p.Drop {
		return nil, nil
	}
	e.Tag(p.Tag)
	return e, nil
}
func (p *tagProc) String() string { return "test_tag" }
func (p *tagProc) Close() error   { *p.closed++; return nil }

var closed int

func init() {
	processors.Register(processors.Plugin{Name: "test_tag", Factory: func(s config.Section, env processors.Env) (processors.Processor, error) {
		p := &tagProc{closed: &closed}
		if err := s.Decode(p); err != nil {
			return nil, err
		}
		return p, nil
	}})
}

func build(t *testing.T, list string) ([]processors.Processor, error) {
	t.Helper()
	return processors.Build(proctest.Sections(t, list), processors.Env{Name: "processor.global"})
}

func run(ps []processors.Processor, e *event.Event) *event.Event {
	for _, p := range ps {
		out, err := p.Run(e)
		if err != nil {
			panic(err)
		}
		if out == nil {
			return nil
		}
		e = out
	}
	return e
}

func tags(e *event.Event) string {
	if e == nil {
		return "dropped"
	}
	v, _ := e.Fields.Get("tags")
	s, _ := v.([]string)
	return strings.Join(s, ",")
}

func TestWhenAndIfThenElse(t *testing.T) {
	ps, err := build(t, `
- test_tag: {tag: always}
- test_tag:
    tag: ok
    when.equals.status: OK
- test_tag:
    tag: never
    enabled: false
- if:
    contains.message: error
  then:
    - test_tag: {tag: err1}
    - test_tag: {tag: err2}
  else:
    test_tag: {tag: fine}
- if:
    has_fields: [drop]
  then:
    - test_tag: {drop: true}
    - test_tag: {tag: after-drop}
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 4 {
		t.Fatalf("built %d processors, want 4 (the disabled one left out)", len(ps))
	}
	for _, tc := range []struct{ doc, want string }{
		{`{"status": "OK", "message": "an error"}`, "always,ok,err1,err2"},
		{`{"status": "KO", "message": "all good"}`, "always,fine"},
		{`{"status": "OK", "drop": 1}`, "dropped"},
	} {
		if got := tags(run(ps, proctest.Event(t, tc.doc))); got != tc.want {
			t.Errorf("%s: tags %q, want %q", tc.doc, got, tc.want)
		}
	}
	closed = 0
	for _, p := range ps {
		if c, ok := p.(processors.Closer); ok {
			_ = c.Close()
		}
	}
	if closed != 7 {
		t.Errorf("closed %d processors, want 7 (wrapped ones included)", closed)
	}
}

// TestBuildErrors: every problem of a list is reported, each with file,
// line and key.
func TestBuildErrors(t *testing.T) {
	_, err := build(t, `
- test_tag: {tag: a}
- no_such_processor: {x: 1}
- test_tag:
    tag: b
    when.regexp.message: '(['
- test_tag:
    tagg: c
- if:
    equals.a: 1
- if:
    equals.a: 1
  then:
    test_tag: {tag: x}
  otherwise: {}
- test_tag:
    enabled: maybe
- if:
    equal.a: 1
  then:
    - bad_one: {}
- drop_event:
  when.equals.a: 1
`)
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	for _, want := range []string{
		`test.yml:4: processors[1].no_such_processor: unknown processor "no_such_processor" (known: `,
		"test.yml:7: processors[2].test_tag.when.regexp.message: error parsing regexp: missing closing ]: `[`",
		`test.yml:9: processors[3].test_tag.tagg: unknown key "tagg" (did you mean "tag"?)`,
		`test.yml:11: processors[4].if: an if processor needs then: (one processor or a list)`,
		`test.yml:16: processors[5].otherwise: unknown key "otherwise" in an if/then/else processor`,
		`test.yml:18: processors[6].test_tag.enabled: want true or false, got "maybe"`,
		`test.yml:20: processors[7].if.equal: unknown condition "equal"`,
		`test.yml:23: processors[8]: each processor must have exactly one action, but found 2 actions (drop_event,when); indent when: under the processor's name`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

func TestNoProcessorsIsNil(t *testing.T) {
	ps, err := processors.Build(nil, processors.Env{})
	if err != nil || ps != nil {
		t.Fatalf("Build(nil) = %v, %v; want nil, nil (no per-event work)", ps, err)
	}
}
