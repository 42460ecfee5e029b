package dissect

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func section(t testing.TB, src string) config.Section {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return config.Section{Node: n.Content[0], File: "filebeat.yml", Path: "processors[0].dissect"}
}

func build(t testing.TB, src string) processors.Processor {
	t.Helper()
	p, err := New(section(t, src), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newEvent(fields ...event.Field) *event.Event {
	e := event.New(time.Unix(0, 0), 8)
	e.Fields = append(e.Fields, fields...)
	return e
}

func fld(k string, v any) event.Field { return event.Field{Key: k, Value: v} }

// TestProcessor follows Beats' processor_test.go TestProcessor.
func TestProcessor(t *testing.T) {
	for _, c := range []struct {
		name   string
		cfg    string
		fields []event.Field
		want   map[string]any
	}{
		{"default field/default target", `tokenizer: "hello %{key}"`,
			[]event.Field{fld("message", "hello world")}, map[string]any{"dissect.key": "world"}},
		{"default field/target root", `{tokenizer: "hello %{key}", target_prefix: ""}`,
			[]event.Field{fld("message", "hello world")}, map[string]any{"key": "world"}},
		{"specific field/target root", `{tokenizer: "hello %{key}", target_prefix: "", field: new_field}`,
			[]event.Field{fld("new_field", "hello world")}, map[string]any{"key": "world"}},
		{"specific field/specific target", `{tokenizer: "hello %{key}", target_prefix: new_target, field: new_field}`,
			[]event.Field{fld("new_field", "hello world")}, map[string]any{"new_target.key": "world"}},
		{"existing namespace, no conflict", `{tokenizer: "hello %{key} %{key2}", target_prefix: extracted}`,
			[]event.Field{fld("message", "hello world super"), fld("extracted", map[string]any{"not": "hello"})},
			map[string]any{"extracted.key": "world", "extracted.key2": "super", "extracted.not": "hello"}},
		{"existing namespace as fields, no conflict", `{tokenizer: "hello %{key} %{key2}", target_prefix: extracted}`,
			[]event.Field{fld("message", "hello world super"), fld("extracted.not", "hello")},
			map[string]any{"extracted.key": "world", "extracted.key2": "super", "extracted.not": "hello"}},
		{"trimming trailing spaces", `{tokenizer: "hello %{key} %{key2}", target_prefix: "", trim_values: right, trim_chars: " \t"}`,
			[]event.Field{fld("message", "hello world\t super ")}, map[string]any{"key": "world", "key2": "super"}},
		{"not trimming by default", `{tokenizer: "hello %{key} %{key2}", target_prefix: ""}`,
			[]event.Field{fld("message", "hello world\t super ")}, map[string]any{"key": "world\t", "key2": "super "}},
		{"trim leading space", `{tokenizer: "hello %{key} %{key2}", target_prefix: "", trim_values: left, trim_chars: " \t"}`,
			[]event.Field{fld("message", "hello \tworld\t \tsuper ")}, map[string]any{"key": "world\t", "key2": "super "}},
		{"trim all space", `{tokenizer: "hello %{key} %{key2}", target_prefix: "", trim_values: all, trim_chars: " \t"}`,
			[]event.Field{fld("message", "hello \tworld\t \tsuper ")}, map[string]any{"key": "world", "key2": "super"}},
		{"extract integer", `tokenizer: "userid=%{user_id|integer}"`,
			[]event.Field{fld("message", "userid=7736")}, map[string]any{"dissect.user_id": int32(7736)}},
		{"overwrite existing keys", `{tokenizer: "hello %{key}", target_prefix: "", overwrite_keys: true}`,
			[]event.Field{fld("message", "hello world"), fld("key", 42)}, map[string]any{"message": "hello world", "key": "world"}},
		{"docs example", `{tokenizer: '"%{service.pid|integer} - %{service.name} - %{service.status}"', field: message, target_prefix: ""}`,
			[]event.Field{fld("message", `"321 - App01 - WebServer is up and running"`)},
			map[string]any{"service.pid": int32(321), "service.name": "App01", "service.status": "WebServer is up and running"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEvent(c.fields...)
			out, err := build(t, c.cfg).Run(e)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range c.want {
				got, ok := out.Fields.Get(k)
				if !ok || !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v (%v), want %#v; fields %v", k, got, ok, want, out.Fields)
				}
			}
		})
	}
}

func TestFieldDoesntExist(t *testing.T) {
	e := newEvent(fld("hello", "world"))
	if _, err := build(t, `tokenizer: "hello %{key}"`).Run(e); err == nil || err.Error() != "key not found" {
		t.Fatalf("got %v", err)
	}
	if e.Fields.Has("log.flags") {
		t.Fatal("flag added for a missing field")
	}
}

func TestFieldNotString(t *testing.T) {
	_, err := build(t, `tokenizer: "hello %{key}"`).Run(newEvent(fld("message", 42)))
	if err == nil || err.Error() != "field is not a string, value: `42`, field: `message`" {
		t.Fatalf("got %v", err)
	}
}

func TestFieldAlreadyExist(t *testing.T) {
	for _, c := range []struct {
		name, prefix string
		fields       []event.Field
	}{
		{"no prefix", `""`, []event.Field{fld("message", "hello world"), fld("key", "exists")}},
		{"with prefix", "extracted", []event.Field{fld("message", "hello world"), fld("extracted", "exists")}},
		{"conflicting key in prefix", "extracted", []event.Field{fld("message", "hello world"), fld("extracted", map[string]any{"key": "exists"})}},
		{"conflicting flat key", "extracted", []event.Field{fld("message", "hello world"), fld("extracted.key", "exists")}},
		{"key is an object", "extracted", []event.Field{fld("message", "hello world"), fld("extracted.key.sub", "exists")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEvent(c.fields...)
			before := append(event.Fields(nil), e.Fields...)
			_, err := build(t, "{tokenizer: \"hello %{key}\", target_prefix: "+c.prefix+"}").Run(e)
			if err == nil || !strings.HasPrefix(err.Error(), "cannot override existing key with `") {
				t.Fatalf("got %v", err)
			}
			if !reflect.DeepEqual(e.Fields, before) {
				t.Fatalf("event changed: %v", e.Fields)
			}
		})
	}
	// Two extracted keys that nest cannot both be set.
	_, err := build(t, `{tokenizer: "%{a} %{a.b}", target_prefix: ""}`).Run(newEvent(fld("message", "x y")))
	if err == nil || err.Error() != "cannot override existing key with `a.b`" {
		t.Fatalf("got %v", err)
	}
}

func TestOverwriteKeysDefault(t *testing.T) {
	for _, cfg := range []string{`{tokenizer: "hello %{key}", target_prefix: ""}`, `{tokenizer: "hello %{key}", target_prefix: "", overwrite_keys: false}`} {
		e := newEvent(fld("message", "hello world"), fld("key", 42))
		_, err := build(t, cfg).Run(e)
		if err == nil || err.Error() != "cannot override existing key with `key`" {
			t.Fatalf("%s: got %v", cfg, err)
		}
		if v, _ := e.Fields.Get("key"); v != 42 {
			t.Fatalf("key = %v", v)
		}
	}
}

// TestIgnoreFailure and TestErrorFlagging follow Beats' tests of the same
// names: the flag is added to log.flags whether or not the error is ignored.
func TestIgnoreFailure(t *testing.T) {
	for _, c := range []struct {
		name, cfg, msg string
		err            string
		flags          bool
	}{
		{"default is to fail", `tokenizer: "hello %{key}"`, "something completely different",
			"could not find beginning delimiter: `hello ` in remaining: `something completely different`, (offset: 0)", true},
		{"ignore_failure is a noop on success", `{tokenizer: "hello %{key}", ignore_failure: true}`, "hello world", "", false},
		{"ignore_failure hides the error but maintains flags", `{tokenizer: "hello %{key}", ignore_failure: true}`, "something completely different", "", true},
		{"no flag on success", `tokenizer: "%{ok} %{valid}"`, "hello world", "", false},
		{"flag on failure", `tokenizer: "%{ok} - %{notvalid}"`, "hello world", "could not find delimiter: `` in remaining: `hello world`, (offset: 0)", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEvent(fld("message", c.msg))
			_, err := build(t, c.cfg).Run(e)
			if c.err == "" && err != nil || c.err != "" && (err == nil || err.Error() != c.err) {
				t.Fatalf("err = %v, want %q", err, c.err)
			}
			flags, ok := e.Fields.Get("log.flags")
			if c.flags != ok || ok && !reflect.DeepEqual(flags, []string{FlagParsingError}) {
				t.Fatalf("log.flags = %v (%v), want flag %v", flags, ok, c.flags)
			}
		})
	}
	// An existing flag list is appended to.
	e := newEvent(fld("message", "x"), fld("log.flags", []string{"truncated"}))
	build(t, `tokenizer: "hello %{key}"`).Run(e)
	if flags, _ := e.Fields.Get("log.flags"); !reflect.DeepEqual(flags, []string{"truncated", FlagParsingError}) {
		t.Fatalf("log.flags = %v", flags)
	}
}

func TestConfigErrors(t *testing.T) {
	for src, want := range map[string]string{
		`field: message`:           "filebeat.yml:1: processors[0].dissect: tokenizer: required",
		`tokenizer: "%value1}"`:    "filebeat.yml:1: processors[0].dissect.tokenizer: invalid dissect tokenizer",
		`tokenizer: ""`:            "filebeat.yml:1: processors[0].dissect.tokenizer: invalid dissect tokenizer",
		`tokenizer: "hello world"`: "filebeat.yml:1: processors[0].dissect.tokenizer: invalid dissect tokenizer",
		"tokenizer: \"hello %{what}\"\ntrim_values: bananas": "filebeat.yml:2: processors[0].dissect.trim_values:",
		"tokenizer: \"%{a}\"\ntarget: x":                     "filebeat.yml:2: processors[0].dissect.target: unknown key",
	} {
		_, err := New(section(t, src), processors.Env{})
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: got %v, want prefix %q", src, err, want)
		}
	}
	p := build(t, `{tokenizer: "hello %{what}", trim_values: all}`).(*Processor)
	if p.cfg.TrimValues != TrimAll || p.cfg.TrimChars != " " {
		t.Fatalf("cfg %+v", p.cfg)
	}
	if got := p.String(); got != "dissect=hello %{what},field=message,target_prefix=dissect" {
		t.Fatalf("String() = %q", got)
	}
}

// TestUnderWhen: dissect gets the framework's when: and if/then/else.
func TestUnderWhen(t *testing.T) {
	procs, err := processors.Build(proctest.Sections(t, `- dissect:
    tokenizer: "%{a} %{b}"
    target_prefix: ""
    when.contains.message: " "
- if.equals.a: "x"
  then:
    - dissect: {tokenizer: "%{c}-%{d}", field: b, target_prefix: sub}
`), processors.Env{Metrics: monitoring.NewRegistry(), Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want string }{
		{`{"message": "x 1-2"}`, `{"message": "x 1-2", "a": "x", "b": "1-2", "sub": {"c": "1", "d": "2"}}`},
		{`{"message": "y 1-2"}`, `{"message": "y 1-2", "a": "y", "b": "1-2"}`},
		{`{"message": "nospace"}`, `{"message": "nospace"}`},
	} {
		e := proctest.Event(t, c.in)
		for _, p := range procs {
			if e, err = p.Run(e); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := proctest.JSON(t, e), proctest.Canon(t, c.want); got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", c.in, got, want)
		}
	}
}
