package fields_test

import (
	"testing"
	"time"

	_ "github.com/shipper-project/shipper/inputs/all"
	_ "github.com/shipper-project/shipper/processors/all"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
)

func TestBuiltinCatalogMergesAndRendersTypes(t *testing.T) {
	c, err := fields.Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	tmpl := c.Template([]string{"shipper-*"})
	props := tmpl["template"].(map[string]any)["mappings"].(map[string]any)["properties"].(map[string]any)
	typeOf := func(path ...string) string {
		m := props
		for _, p := range path[:len(path)-1] {
			obj, ok := m[p].(map[string]any)
			if !ok {
				return "<missing " + p + ">"
			}
			m = obj["properties"].(map[string]any)
		}
		f, ok := m[path[len(path)-1]].(map[string]any)
		if !ok {
			return "<missing>"
		}
		return f["type"].(string)
	}
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"@timestamp"}, "date"},
		{[]string{"source", "ip"}, "ip"},
		{[]string{"destination", "geo", "location"}, "geo_point"},
		{[]string{"http", "response", "bytes"}, "long"},
		{[]string{"event", "action"}, "keyword"},
	} {
		if got := typeOf(tc.path...); got != tc.want {
			t.Errorf("template type of %v = %s, want %s", tc.path, got, tc.want)
		}
	}
}

func TestCheckRejectsUnknownAndMistypedFields(t *testing.T) {
	e := event.New(time.Now(), 4)
	e.Fields.Add("source.ip", "not-an-ip")
	e.Fields.Add("no.such.field", "x")
	e.Fields.Add("host.name", "router")
	err := fields.Check(e, []byte("- {name: source.ip, type: ip, description: client}\n"))
	if err == nil {
		t.Fatal("Check accepted an unknown and a mistyped field")
	}
	want := "document does not match the field catalog:\n  no.such.field: not in the field catalog (value x)\n  source.ip: catalog type ip, value \"not-an-ip\" is not an IP address"
	if err.Error() != want {
		t.Errorf("Check error =\n%s\nwant\n%s", err, want)
	}
}

func TestParseRejectsConflictingTypes(t *testing.T) {
	_, err := fields.Parse(map[string][]byte{
		"a": []byte("- {name: x.y, type: long}\n"),
		"b": []byte("- {name: x.y, type: keyword}\n"),
	})
	if err == nil || err.Error() != "field x.y is long in a but keyword in b" {
		t.Errorf("Parse error = %v", err)
	}
}
