package eventpath_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/event"
)

func ev() *event.Event {
	e := event.New(time.Unix(1, 0), 4)
	e.Fields.Put("source.ip", "10.0.0.1")
	e.Fields.Put("source.port", int64(5))
	e.Fields.Put("json", map[string]any{"a": map[string]any{"b": "deep"}, "c": 1})
	e.Fields.Put("message", "m")
	return e
}

func TestGet(t *testing.T) {
	e := ev()
	for _, tc := range []struct {
		key  string
		want any
		ok   bool
	}{
		{"source.ip", "10.0.0.1", true},
		{"source", map[string]any{"ip": "10.0.0.1", "port": int64(5)}, true},
		{"json.a.b", "deep", true},
		{"json.a", map[string]any{"b": "deep"}, true},
		{"@timestamp", time.Unix(1, 0), true},
		{"sourc", nil, false},
		{"source.ip.x", nil, false},
		{"json.x", nil, false},
		{"message.x", nil, false},
	} {
		got, ok := eventpath.Get(e, tc.key)
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Get(%q) = %v, %v; want %v, %v", tc.key, got, ok, tc.want, tc.ok)
		}
		if has := eventpath.Has(e, tc.key); has != tc.ok {
			t.Errorf("Has(%q) = %v", tc.key, has)
		}
	}
}

func TestPutDeleteCopyOnWrite(t *testing.T) {
	e := ev()
	orig, _ := e.Fields.Get("json")
	c := e.Clone()
	eventpath.Put(c, "json.a.z", 2)
	eventpath.Delete(c, "json.c")
	if got, _ := eventpath.Get(c, "json"); !reflect.DeepEqual(got, map[string]any{"a": map[string]any{"b": "deep", "z": 2}}) {
		t.Errorf("clone json = %v", got)
	}
	if now, _ := e.Fields.Get("json"); !reflect.DeepEqual(now, orig) || len(orig.(map[string]any)) != 2 {
		t.Errorf("original changed: %v", now)
	}
	if !eventpath.Delete(c, "source") || eventpath.Has(c, "source.ip") {
		t.Error("object not deleted")
	}
	if eventpath.Delete(c, "nope") || eventpath.Delete(c, "json.nope") {
		t.Error("deleted something missing")
	}
	eventpath.Put(c, "message.text", "x") // a scalar becomes an object
	if v, _ := eventpath.Get(c, "message"); !reflect.DeepEqual(v, map[string]any{"text": "x"}) {
		t.Errorf("message = %v", v)
	}
	eventpath.Put(c, "@timestamp", time.Unix(2, 0))
	if !c.Timestamp.Equal(time.Unix(2, 0)) {
		t.Error("@timestamp not set")
	}
}

func TestParts(t *testing.T) {
	e := ev()
	parts, ok := eventpath.Parts(e, "source")
	if !ok || len(parts) != 2 || parts[0].Key != ".ip" || parts[1].Key != ".port" {
		t.Errorf("Parts(source) = %v, %v", parts, ok)
	}
	if parts, ok := eventpath.Parts(e, "json.a.b"); !ok || len(parts) != 1 || parts[0].Key != "" || parts[0].Value != "deep" {
		t.Errorf("Parts(json.a.b) = %v, %v", parts, ok)
	}
	if _, ok := eventpath.Parts(e, "nope"); ok {
		t.Error("Parts(nope) ok")
	}
}
