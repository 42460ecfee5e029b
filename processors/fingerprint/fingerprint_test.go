package fingerprint

import (
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func build(t *testing.T, cfg string) processors.Processor {
	t.Helper()
	p, err := New(proctest.Section(t, "- fingerprint: "+cfg), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fingerprintOf(t *testing.T, cfg, doc string, ts time.Time, target string) string {
	t.Helper()
	e := proctest.Event(t, doc)
	e.Timestamp = ts
	if _, err := build(t, cfg).Run(e); err != nil {
		t.Fatal(err)
	}
	v, _ := e.Fields.GetString(target)
	return v
}

// The cases below are Beats' fingerprint_test.go, with its expected hashes.
func TestWithConfig(t *testing.T) {
	for name, c := range map[string]struct{ cfg, doc, want string }{
		"hello world":          {`{fields: [message]}`, `{"message": "hello world"}`, "50110bbfc1757f21caacc966b33f5ea2235c4176739447e0b3285dec4e1dd2a4"},
		"with string escaping": {`{fields: [message]}`, `{"message": "test message \"hello world\""}`, "14a0364b79acbe4c78dd5e77db2c93ae8c750518b32581927d50b3eef407184e"},
		"with @timestamp":      {`{fields: ["@timestamp", message]}`, `{"message": "test message \"hello world\""}`, "081da76e049554943843b83948ac83ab7aa79fd2849331813e02042586021c26"},
	} {
		if got := fingerprintOf(t, c.cfg, c.doc, time.Unix(1635443183, 0), "fingerprint"); got != c.want {
			t.Errorf("%s: got %s, want %s", name, got, c.want)
		}
	}
}

func TestHashMethods(t *testing.T) {
	for method, want := range map[string]string{
		"md5":    "4c45df4792f3ef850c928ec5f5232538",
		"sha1":   "22f76427d626516d3f7a05785165b99617683b22",
		"sha256": "1208288932231e313b369bae587ff574cd3016a408e52e7128d7bee752674003",
		"sha384": "295adfe0bc03908948e4b0b6a54f441767867e426dda590430459c8a147fbba242a38cba282adee78335b9e08877b86c",
		"sha512": "f50ad51b63c92a0ed0c910527119b81806f3110f0afaa1dcb93506a78371ea761e50c0fc09b08c441d832dd2da1b45e5d8361adfb240e1fffc2695122a23e183",
		"xxhash": "37bc50682fba6686",
		"SHA256": "1208288932231e313b369bae587ff574cd3016a408e52e7128d7bee752674003",
	} {
		got := fingerprintOf(t, "{fields: [field1, field2], method: "+method+"}", `{"field1": "foo", "field2": "bar", "unused_field": "baz"}`, time.Now(), "fingerprint")
		if got != want {
			t.Errorf("%s: got %s, want %s", method, got, want)
		}
	}
}

func TestSourceFields(t *testing.T) {
	doc := `{"field1": "foo", "field2": "bar", "nested": {"field": "qux"}, "unused_field": "baz"}`
	for _, fields := range []string{"[field1, nested.field]", "[nested.field, field1]", "[nested.field, field1, nested.field]"} {
		if got := fingerprintOf(t, "{fields: "+fields+", method: sha256}", doc, time.Now(), "fingerprint"); got != "3d51237d384215a6e731f2cc67ead6d7d9a5138377897c8f542a915be3c25bcf" {
			t.Errorf("%s: got %s", fields, got)
		}
	}
}

func TestEncoding(t *testing.T) {
	doc := `{"field1": "foo", "field2": "bar", "nested": {"field": "qux"}, "unused_field": "baz"}`
	for enc, want := range map[string]string{
		"hex":    "8934ca639027aab1ee9f3944d4d6bd1e",
		"base32": "RE2MUY4QE6VLD3U7HFCNJVV5DY======",
		"base64": "iTTKY5AnqrHunzlE1Na9Hg==",
	} {
		if got := fingerprintOf(t, "{fields: [field2, nested.field], method: md5, encoding: "+enc+"}", doc, time.Now(), "fingerprint"); got != want {
			t.Errorf("%s: got %s, want %s", enc, got, want)
		}
	}
}

func TestConsistentHashingTimeFields(t *testing.T) {
	pst := time.FixedZone("Pacific Standard Time", -8*3600)
	ist := time.FixedZone("Indian Standard Time", 5*3600+1800)
	for _, ts := range []time.Time{
		time.Date(2019, 10, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2019, 10, 28, 16, 0, 0, 0, pst),
		time.Date(2019, 10, 29, 5, 30, 0, 0, ist),
	} {
		e := event.New(time.Now(), 2)
		e.Fields.Put("timestamp", ts)
		if _, err := build(t, "{fields: [timestamp]}").Run(e); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.Fields.GetString("fingerprint"); got != "4534d56a673c2da41df32db5da87cf47e639e84fe82907f2c015c8dfcac5d4f5" {
			t.Errorf("%v: got %s", ts, got)
		}
	}
}

func TestTargetField(t *testing.T) {
	doc := `{"field1": "foo", "nested": {"field": "bar"}, "unused_field": "baz"}`
	for _, target := range []string{"target_field", "nested.target_field"} {
		e := proctest.Event(t, doc)
		if _, err := build(t, "{fields: [field1], target_field: "+target+"}").Run(e); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.Fields.GetString(target); got != "4cf8b768ad20266c348d63a6d1ff5d6f6f9ed0f59f5c68ae031b78e3e04c5144" {
			t.Errorf("%s: got %q", target, got)
		}
		if e.Fields.Has("fingerprint") || !e.Fields.Has("nested.field") {
			t.Errorf("%s: fields %v", target, e.Fields)
		}
	}
}

func TestSourceFieldErrors(t *testing.T) {
	doc := `{"field1": "foo", "field2": "bar", "complex_field": {"child": "qux"}, "unused_field": "baz"}`
	for fields, want := range map[string]string{
		"[field1, missing_field]": "failed to compute fingerprint: failed to find field [missing_field] in event: key not found",
		"[field1, complex_field]": "failed to compute fingerprint: cannot compute fingerprint using non-scalar field [complex_field]",
	} {
		e := proctest.Event(t, doc)
		out, err := build(t, "{fields: "+fields+"}").Run(e)
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v", fields, err)
		}
		if out == nil || out.Fields.Has("fingerprint") {
			t.Errorf("%s: event %v", fields, out)
		}
	}
}

func TestIgnoreMissing(t *testing.T) {
	if got := fingerprintOf(t, "{fields: [field1, missing_field], ignore_missing: true}", `{"field1": "foo"}`, time.Now(), "fingerprint"); got != "4cf8b768ad20266c348d63a6d1ff5d6f6f9ed0f59f5c68ae031b78e3e04c5144" {
		t.Fatalf("got %s", got)
	}
}

func TestInvalidConfig(t *testing.T) {
	for cfg, want := range map[string]string{
		"{fields: [], method: sha256}":        "test.yml:2: processors[0].fingerprint.fields: must specify at least one field",
		"{fields: [a], method: non_existent}": "test.yml:2: processors[0].fingerprint.",
		"{fields: [a], encoding: nope}":       "test.yml:2: processors[0].fingerprint.",
	} {
		_, err := New(proctest.Section(t, "- fingerprint: "+cfg), processors.Env{})
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v", cfg, err)
		}
	}
	_, err := New(proctest.Section(t, "- fingerprint:\n    fields: [a]\n    method: non_existent"), processors.Env{})
	if err == nil || err.Error() != "test.yml:4: processors[0].fingerprint.method: invalid fingerprinting method [non_existent] (want md5, sha1, sha256, sha384, sha512 or xxhash)" {
		t.Errorf("got %v", err)
	}
}

func TestUnderWhen(t *testing.T) {
	procs, err := processors.Build(proctest.Sections(t, `- if.has_fields: [field1]
  then:
    - fingerprint: {fields: [field1]}
  else:
    - fingerprint: {fields: [message], method: md5}
`), processors.Env{Metrics: monitoring.NewRegistry(), Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for doc, want := range map[string]string{
		`{"field1": "foo"}`:          "4cf8b768ad20266c348d63a6d1ff5d6f6f9ed0f59f5c68ae031b78e3e04c5144",
		`{"message": "hello world"}`: "",
	} {
		e := proctest.Event(t, doc)
		if _, err := procs[0].Run(e); err != nil {
			t.Fatal(err)
		}
		got, _ := e.Fields.GetString("fingerprint")
		if want != "" && got != want || want == "" && len(got) != 32 {
			t.Errorf("%s: got %q", doc, got)
		}
	}
}

func BenchmarkFingerprint(b *testing.B) {
	for _, m := range []string{"sha256", "md5", "xxhash"} {
		b.Run(m, func(b *testing.B) {
			p, err := NewProcessor(Config{Fields: []string{"message", "source.ip"}, TargetField: "fingerprint", Method: Method(m), Encoding: "hex"})
			if err != nil {
				b.Fatal(err)
			}
			e := event.New(time.Now(), 4)
			e.Fields.Put("message", strings.Repeat("x", 200))
			e.Fields.Put("source.ip", "10.0.0.1")
			b.ReportAllocs()
			for b.Loop() {
				p.Run(e)
			}
		})
	}
}

// TestMetadataID: target_field @metadata._id sets the document _id (the
// deduplication recipe of Beats' docs), not a field.
func TestMetadataID(t *testing.T) {
	e := proctest.Event(t, `{"field1": "foo"}`)
	if _, err := build(t, "{fields: [field1], target_field: '@metadata._id'}").Run(e); err != nil {
		t.Fatal(err)
	}
	if e.Meta.ID != "4cf8b768ad20266c348d63a6d1ff5d6f6f9ed0f59f5c68ae031b78e3e04c5144" || len(e.Fields) != 1 {
		t.Fatalf("%+v %v", e.Meta, e.Fields)
	}
}
