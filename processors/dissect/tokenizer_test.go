package dissect

import (
	"reflect"
	"strings"
	"testing"
)

// dissectMap runs a pattern and returns the result as Beats' map.
func dissectMap(t testing.TB, d *Dissector, msg string) (map[string]any, error) {
	t.Helper()
	pairs, err := d.appendPairs(nil, msg)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	for _, p := range pairs {
		if _, dup := m[p.key]; dup {
			t.Fatalf("key %q twice in %v", p.key, pairs)
		}
		m[p.key] = p.value()
	}
	return m, nil
}

const stackTrace = `18-Apr-2018 06:53:20.411 INFO [http-nio-8080-exec-1] org.apache.coyote.http11.Http11Processor.service Error parsing HTTP request header
 Note: further occurrences of HTTP header parsing errors will be logged at DEBUG level.
    at java.lang.Thread.run(Thread.java:748)`

// TestBeatsCases are the cases of Beats' testdata/dissect_tests.json (shared
// with logstash-filter-dissect) and dissect_test.go.
func TestBeatsCases(t *testing.T) {
	for _, c := range []struct {
		name, tok, msg string
		want           map[string]any // nil: must fail
	}{
		{"remaining data after all fields", `level=%{level} ts=%{timestamp} caller=%{caller} msg="%{message}"`,
			`level=info ts=2018-06-27T17:19:13.036579993Z caller=main.go:222 msg="Starting OK" version="(version=2.3.1, branch=HEAD, revision=188ca45bd85ce843071e768d855722a9d9dabe03)"}`,
			map[string]any{"caller": "main.go:222", "level": "info", "message": "Starting OK", "timestamp": "2018-06-27T17:19:13.036579993Z"}},
		{"complex stack trace", "%{day}-%{month}-%{year} %{hour} %{severity} [%{thread_id}] %{origin} %{message}", stackTrace,
			map[string]any{"day": "18", "month": "Apr", "year": "2018", "hour": "06:53:20.411", "severity": "INFO",
				"thread_id": "http-nio-8080-exec-1", "origin": "org.apache.coyote.http11.Http11Processor.service",
				"message": stackTrace[strings.Index(stackTrace, "Error"):]}},
		{"no beginning delimiter", "/var/log/%{key}.log", "foobar", nil},
		{"no delimiter after the key", "/var/log/%{key}.log", "/var/log/foobar", nil},
		{"simple dissect", "%{key}", "foobar", map[string]any{"key": "foobar"}},
		{"two replacements", "%{key1} %{key2}", "foo bar", map[string]any{"key1": "foo", "key2": "bar"}},
		{"one level not end of string", "/var/%{key}/log", "/var/foobar/log", map[string]any{"key": "foobar"}},
		{"one level", "/var/%{key}", "/var/foobar/log", map[string]any{"key": "foobar/log"}},
		{"multiple keys end of string", "/var/%{key}/log/%{key1}", "/var/foobar/log/apache", map[string]any{"key": "foobar", "key1": "apache"}},
		{"multiple keys not end of string", "/var/%{key}/log/%{key1}.log", "/var/foobar/log/apache.log", map[string]any{"key": "foobar", "key1": "apache"}},
		{"simple ordered", "%{+key/3} %{+key/1} %{+key/2}", "1 2 3", map[string]any{"key": "2 3 1"}},
		{"simple append", "%{key}-%{+key}-%{+key}", "1-2-3", map[string]any{"key": "1-2-3"}},
		{"indirect field", "%{?key} %{&key}", "hello world", map[string]any{"hello": "world"}},
		{"skip field", "%{} %{key}", "hello world", map[string]any{"key": "world"}},
		{"pointer field with indirect", "%{*key} %{&key}", "hello world", map[string]any{"hello": "world"}},
		{"missing fields", "%{name},%{addr1},%{addr2},%{addr3},%{city},%{zip}", "Jane Doe,4321 Fifth Avenue,,,New York,87432",
			map[string]any{"name": "Jane Doe", "addr1": "4321 Fifth Avenue", "addr2": "", "addr3": "", "city": "New York", "zip": "87432"}},
		{"ignore right padding", "%{id} %{function->} %{server}", "00000043 ViewReceive     machine-321",
			map[string]any{"id": "00000043", "function": "ViewReceive", "server": "machine-321"}},
		{"padding on the last key needs a delimiter", "%{id} %{function} %{server->} ", "00000043 ViewReceive machine-321    ",
			map[string]any{"id": "00000043", "function": "ViewReceive", "server": "machine-321"}},
		{"ignore left padding", "%{id->} %{function} %{server}", "00000043    ViewReceive machine-321",
			map[string]any{"id": "00000043", "function": "ViewReceive", "server": "machine-321"}},
		{"delimiters contain { and }", "{%{a}}{%{b}} %{rest}", "{c}{d} anything", map[string]any{"a": "c", "b": "d", "rest": "anything"}},
		// Beats' docs (dissect.asciidoc), with |integer.
		{"docs example", `"%{service.pid|integer} - %{service.name} - %{service.status}"`, `"321 - App01 - WebServer is up and running"`,
			map[string]any{"service.pid": int32(321), "service.name": "App01", "service.status": "WebServer is up and running"}},
		// Logstash dissect docs.
		{"append with ordinal and named skip", "%{+ts/2} %{+ts/1} %{?drop} %{msg}", "10:00 2024-01-02 x hello",
			map[string]any{"ts": "2024-01-02 10:00", "msg": "hello"}},
		{"append joins with the delimiter before it", "%{a}, %{+a}, %{+a}", "1, 2, 3", map[string]any{"a": "1, 2, 3"}},
		{"append after an empty delimiter joins with a space", "%{a}%{+a}", "xy", map[string]any{"a": " xy"}},
		{"trailing empty value", "%{a} %{b}", "x ", map[string]any{"a": "x", "b": ""}},
		{"empty message", "%{a}", "", nil},
		{"fixed length", "%{a#3}%{b}", "abcdef", map[string]any{"a": "abc", "b": "def"}},
		{"fixed length too long", "%{a#9}%{b}", "abcdef", nil},
		{"last fixed length must fit", "%{a} %{b#2}", "x yyy", nil},
		{"convert types", "%{a|long} %{b|float} %{c|double} %{d|boolean} %{e|ip} %{f|integer} %{g|string}", "0x10 1.5 2.25 true ::1 nope x",
			map[string]any{"a": int64(16), "b": float32(1.5), "c": 2.25, "d": true, "e": "::1", "f": "nope", "g": "x"}},
		{"bad ip stays a string", "%{a|ip}", "1.2.3", map[string]any{"a": "1.2.3"}},
		{"greedy before an empty delimiter", "%{a->}%{b}", "xy", map[string]any{"a": "", "b": "xy"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := Compile(c.tok)
			if err != nil {
				t.Fatal(err)
			}
			got, err := dissectMap(t, d, c.msg)
			if c.want == nil {
				if err == nil {
					t.Fatalf("no error, got %v", got)
				}
				t.Logf("error: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestErrorTexts(t *testing.T) {
	for _, c := range []struct{ tok, msg, want string }{
		{"hello %{key}", "something completely different", "could not find beginning delimiter: `hello ` in remaining: `something completely different`, (offset: 0)"},
		{"%{a} - %{b}", "hello world", "could not find delimiter: `` in remaining: `hello world`, (offset: 0)"},
		{"%{a}", "", "empty string provided"},
	} {
		d, err := Compile(c.tok)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.appendPairs(nil, c.msg); err == nil || err.Error() != c.want {
			t.Errorf("%q on %q: got %v, want %s", c.tok, c.msg, err, c.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for tok, want := range map[string]string{
		"hello":               "invalid dissect tokenizer",
		"":                    "invalid dissect tokenizer",
		"%value1}":            "invalid dissect tokenizer",
		"%{&key}":             "missing reference for key 'key'",
		"%{key} %{&key}":      "missing reference for key 'key'",
		"%{+&key}":            "mixed prefix `&+`",
		"%{&+key}":            "mixed prefix `&+`",
		"%{value1|}":          "dissect: missing data type for field",
		"%{value1|int}":       "dissect: invalid data type for field",
		"%{a|short} %{b|xyz}": "dissect: invalid data type for field",
	} {
		_, err := Compile(tok)
		if err == nil || err.Error() != want {
			t.Errorf("Compile(%q) = %v, want %s", tok, err, want)
		}
	}
	for _, tok := range []string{"%{value1|integer} %{value2|float} %{value3|boolean} %{value4|long} %{value5|double}", "%{a/1->}", "%{}%{}", "%{?}"} {
		if _, err := Compile(tok); err != nil {
			t.Errorf("Compile(%q): %v", tok, err)
		}
	}
}

func TestKeyParts(t *testing.T) {
	for raw, want := range map[string]struct {
		key, typ        string
		ordinal, length int
		greedy          bool
	}{
		"key":                {key: "key"},
		"+key/2":             {key: "+key", ordinal: 2},
		"key->":              {key: "key", greedy: true},
		"key/2->":            {key: "key", ordinal: 2, greedy: true},
		"key->/2":            {key: "key->", ordinal: 2},
		"key/123":            {key: "key/123"},
		"key#5":              {key: "key", length: 5},
		"key/1#5->|long":     {key: "key", typ: "long", ordinal: 1, length: 5, greedy: true},
		"a.b|integer":        {key: "a.b", typ: "integer"},
		"-":                  {key: "-"},
		"->":                 {key: "->"},
		"x\ny":               {key: "y"},
		"service.pid|intege": {key: "service.pid", typ: "intege"},
	} {
		key, typ, o, l, g, err := keyParts(raw)
		if err != nil || key != want.key || typ != want.typ || o != want.ordinal || l != want.length || g != want.greedy {
			t.Errorf("keyParts(%q) = %q %q %d %d %v %v, want %+v", raw, key, typ, o, l, g, err, want)
		}
	}
}

func TestTrimmer(t *testing.T) {
	for _, c := range []struct {
		chars       string
		left, right bool
		in, want    string
	}{
		{" ", true, true, "  a b  ", "a b"},
		{" \t", true, false, "\t a \t", "a \t"},
		{" \t", false, true, "\t a \t", "\t a"},
		{" ", true, true, "   ", ""},
		{"é ", true, true, "é aé ", "a"},
		{"é", true, true, "ééé", ""},
	} {
		tr := newTrimmer(c.chars, c.left, c.right)
		s, e := tr.trim(c.in, 0, len(c.in))
		if got := c.in[s:e]; got != c.want {
			t.Errorf("trim(%q, %q) = %q, want %q", c.chars, c.in, got, c.want)
		}
	}
}
