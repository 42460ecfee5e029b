package decodejsonfields

import (
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func run(t *testing.T, cfg, in string) (string, error) {
	t.Helper()
	p, err := New(proctest.Section(t, "- decode_json_fields:\n"+indent(cfg)), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	e := proctest.Event(t, in)
	out, err := p.Run(e)
	return proctest.JSON(t, out), err
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}

const nested = `{"log":"{\"level\":\"info\"}","stream":"stderr","count":3}`

// TestBeatsCases follows Beats' decode_json_fields_test.go.
func TestBeatsCases(t *testing.T) {
	msg := func(s string) string { return `{"msg": ` + jsonString(s) + `, "pipeline": "us1"}` }
	for _, c := range []struct {
		name, cfg, in, want string
		err                 string
	}{
		{"missing key", "fields: [msg]", `{"pipeline": "us1"}`, `{"pipeline": "us1"}`, ""},
		{"field not string", "fields: [msg]", `{"msg": 123, "pipeline": "us1"}`, `{"msg": 123, "pipeline": "us1"}`, ""},
		{"invalid JSON", "fields: [msg]", msg(`{"log":"{\"level\":\"info\"}","stream":"stderr","count":3`), msg(`{"log":"{\"level\":\"info\"}","stream":"stderr","count":3`), "unexpected EOF"},
		{"invalid JSON multiple", "fields: [msg]", msg("11:38:04,323 |-INFO testing"), msg("11:38:04,323 |-INFO testing"), "multiple json elements found"},
		{"valid JSON depth one", "fields: [msg]", msg(nested),
			`{"msg": {"log": "{\"level\":\"info\"}", "stream": "stderr", "count": 3}, "pipeline": "us1"}`, ""},
		{"valid JSON depth two", "{fields: [msg], max_depth: 2}", msg(nested),
			`{"msg": {"log": {"level": "info"}, "stream": "stderr", "count": 3}, "pipeline": "us1"}`, ""},
		{"target", "{fields: [msg], max_depth: 2, target: doc}", msg(nested),
			`{"doc": {"log": {"level": "info"}, "stream": "stderr", "count": 3}, "msg": ` + jsonString(nested) + `, "pipeline": "us1"}`, ""},
		{"target root", `{fields: [msg], max_depth: 2, target: ""}`, msg(nested),
			`{"log": {"level": "info"}, "stream": "stderr", "count": 3, "msg": ` + jsonString(nested) + `, "pipeline": "us1"}`, ""},
		{"null target is unset", "{fields: [msg], target: null}", msg(`{"a":1}`), `{"msg": {"a": 1}, "pipeline": "us1"}`, ""},
		{"arrays disabled", "{fields: [msg], max_depth: 10}", `{"msg": "{\"arrayOfMap\": \"[{\\\"a\\\":\\\"b\\\"}]\"}"}`,
			`{"msg": {"arrayOfMap": "[{\"a\":\"b\"}]"}}`, ""},
		{"arrays enabled", "{fields: [msg], max_depth: 10, process_array: true}", `{"msg": "{\"arrayOfMap\": \"[{\\\"a\\\":\\\"b\\\"}]\"}"}`,
			`{"msg": {"arrayOfMap": [{"a": "b"}]}}`, ""},
		{"invalid nested array", "{fields: [msg], max_depth: 10, process_array: true}", `{"msg": "{\"arrayOfMap\": \"[]]\"}"}`,
			`{"msg": {"arrayOfMap": "[]]"}}`, ""},
		{"add_error_key with a bad @timestamp", `{fields: [msg], add_error_key: true, overwrite_keys: true, target: ""}`, `{"msg": "{\"@timestamp\":\"{}\"}"}`,
			`{"error": {"message": "@timestamp not overwritten (parse error on {})", "type": "json"}, "msg": "{\"@timestamp\":\"{}\"}"}`, ""},
		{"no error key without add_error_key", `{fields: [msg], overwrite_keys: true, target: ""}`, `{"msg": "{\"@timestamp\":\"{}\"}"}`,
			`{"msg": "{\"@timestamp\":\"{}\"}"}`, ""},
		{"expand keys", `{fields: [msg], expand_keys: true, target: ""}`, `{"msg": "{\"a.b\": {\"c\": \"c\"}, \"a.b.d\": \"d\"}"}`,
			`{"msg": "{\"a.b\": {\"c\": \"c\"}, \"a.b.d\": \"d\"}", "a": {"b": {"c": "c", "d": "d"}}}`, ""},
		{"overwrite metadata", `{fields: [msg], overwrite_keys: true, target: ""}`, `{"msg": "{\"@metadata\":{\"beat\":\"libbeat\"},\"msg\":\"overwrite metadata test\"}"}`,
			`{"msg": "overwrite metadata test"}`, ""},
		{"no overwrite keeps existing", `{fields: [msg], target: ""}`, `{"msg": "{\"pipeline\":\"other\",\"new\":1,\"obj\":{\"x\":2}}", "pipeline": "us1", "obj": {"y": 1}}`,
			`{"msg": "{\"pipeline\":\"other\",\"new\":1,\"obj\":{\"x\":2}}", "pipeline": "us1", "new": 1, "obj": {"x": 2, "y": 1}}`, ""},
		{"overwrite replaces", `{fields: [msg], target: "", overwrite_keys: true}`, `{"msg": "{\"pipeline\":\"other\",\"obj\":{\"x\":2}}", "pipeline": "us1", "obj": {"y": 1}}`,
			`{"msg": "{\"pipeline\":\"other\",\"obj\":{\"x\":2}}", "pipeline": "other", "obj": {"x": 2, "y": 1}}`, ""},
		{"root needs an object", `{fields: [msg], target: ""}`, `{"msg": "[1,2]"}`, `{"msg": "[1,2]"}`, "failed to add target to root"},
		{"top-level array at depth 2 without process_array", `{fields: [msg], max_depth: 2}`, `{"msg": "[1,2]"}`, `{"msg": "[1,2]"}`, "processing skipped"},
		{"big numbers", "fields: [msg]", `{"msg": "{\"i\": 9223372036854775807, \"f\": 1.5, \"big\": 1e400}"}`,
			`{"msg": {"i": 9223372036854775807, "f": 1.5, "big": "1e400"}}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := run(t, c.cfg, c.in)
			if c.err == "" && err != nil || c.err != "" && (err == nil || err.Error() != c.err) {
				t.Fatalf("err = %v, want %q", err, c.err)
			}
			if want := proctest.Canon(t, c.want); got != want {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestNotJSONObjectOrArray(t *testing.T) {
	in := `{"msg": "{\"someDate\": \"2016-09-28T01:40:26.760+0000\", \"someNumberAsString\": \"1475026826760\", \"someNumber\": 1475026826760, \"someString\": \"foobar\", \"someString2\": \"2017 is awesome\", \"someMap\": \"{\\\"a\\\":\\\"b\\\"}\", \"someArray\": \"[1,2,3]\"}"}`
	for depth, want := range map[int]string{
		1:  `{"msg": {"someDate": "2016-09-28T01:40:26.760+0000", "someNumber": 1475026826760, "someNumberAsString": "1475026826760", "someString": "foobar", "someString2": "2017 is awesome", "someMap": "{\"a\":\"b\"}", "someArray": "[1,2,3]"}}`,
		10: `{"msg": {"someDate": "2016-09-28T01:40:26.760+0000", "someNumber": 1475026826760, "someNumberAsString": "1475026826760", "someString": "foobar", "someString2": "2017 is awesome", "someMap": {"a": "b"}, "someArray": [1, 2, 3]}}`,
	} {
		got, err := run(t, "{fields: [msg], process_array: true, max_depth: "+itoa(depth)+"}", in)
		if err != nil {
			t.Fatal(err)
		}
		if want := proctest.Canon(t, want); got != want {
			t.Errorf("depth %d:\ngot  %s\nwant %s", depth, got, want)
		}
	}
}

func itoa(i int) string {
	if i == 10 {
		return "10"
	}
	return string(rune('0' + i))
}

func TestDocumentID(t *testing.T) {
	p, err := New(proctest.Section(t, "- decode_json_fields: {fields: [msg], document_id: myid}"), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	e := proctest.Event(t, `{"msg": "{\"log\": \"message\", \"myid\": \"myDocumentID\"}"}`)
	if _, err := p.Run(e); err != nil {
		t.Fatal(err)
	}
	if got, want := proctest.JSON(t, e), proctest.Canon(t, `{"msg": {"log": "message"}}`); got != want {
		t.Fatalf("got %s", got)
	}
	if e.Meta.ID != "myDocumentID" {
		t.Fatalf("Meta.ID = %q", e.Meta.ID)
	}
}

func TestAddErrorToEventOnUnmarshalError(t *testing.T) {
	got, err := run(t, "{fields: [message], add_error_key: true}", `{"message": "Broken JSON [["}`)
	if err == nil {
		t.Fatal("no error")
	}
	want := `{"message": "Broken JSON [[", "error": {"message": "parsing input as JSON: invalid character 'B' looking for beginning of value", "type": "json", "data": "Broken JSON [[", "field": "message"}}`
	if want := proctest.Canon(t, want); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestExpandKeysError(t *testing.T) {
	got, _ := run(t, `{fields: [msg], expand_keys: true, add_error_key: true, target: ""}`, `{"msg": "{\"a.b\": \"c\", \"a.b.c\": \"d\"}"}`)
	if !strings.Contains(got, `"message": "cannot expand \"a.b.c\": found conflicting key: expected map but type is string"`) || !strings.Contains(got, `"type": "json"`) {
		t.Fatalf("got %s", got)
	}
}

func TestTimestampOverwrite(t *testing.T) {
	p, _ := New(proctest.Section(t, `- decode_json_fields: {fields: [msg], target: "", overwrite_keys: true}`), processors.Env{})
	for _, ts := range []string{"2024-03-04T05:06:07Z", "2024-03-04T05:06:07.000+0000"} {
		e := proctest.Event(t, `{"msg": "{\"@timestamp\": \"`+ts+`\", \"type\": \"_bad\"}"}`)
		p.Run(e)
		if !e.Timestamp.Equal(time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)) {
			t.Errorf("%s: timestamp %v", ts, e.Timestamp)
		}
		if e.Fields.Has("type") {
			t.Errorf("type set: %v", e.Fields)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for src, want := range map[string]string{
		"- decode_json_fields: {max_depth: 1}":               "test.yml:2: processors[0].decode_json_fields.fields: at least one field is required",
		"- decode_json_fields: {fields: [a], max_depth: 0}":  "test.yml:2: processors[0].decode_json_fields.max_depth: must be >= 1, got 0",
		"- decode_json_fields: {fields: [a], extraneous: x}": "test.yml:2: processors[0].decode_json_fields.extraneous: unknown key",
	} {
		_, err := New(proctest.Section(t, src), processors.Env{})
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v, want %s", src, err, want)
		}
	}
}

func TestUnderWhen(t *testing.T) {
	procs, err := processors.Build(proctest.Sections(t, `- decode_json_fields:
    fields: [message]
    target: ""
    when.regexp.message: "^\\{"
`), processors.Env{Metrics: monitoring.NewRegistry(), Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		`{"message": "{\"a\": 1}"}`: `{"message": "{\"a\": 1}", "a": 1}`,
		`{"message": "plain"}`:      `{"message": "plain"}`,
	} {
		e := proctest.Event(t, in)
		if e, err = procs[0].Run(e); err != nil {
			t.Fatal(err)
		}
		if got := proctest.JSON(t, e); got != proctest.Canon(t, want) {
			t.Errorf("%s: got %s", in, got)
		}
	}
}
