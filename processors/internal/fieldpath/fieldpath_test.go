package fieldpath

import (
	"time"

	"testing"

	"github.com/shipper-project/shipper/shipper/event"
)

func TestExists(t *testing.T) {
	f := event.Fields{
		{Key: "message", Value: "x"},
		{Key: "a.b", Value: 1},
		{Key: "obj", Value: map[string]any{"in": map[string]any{"x": 1}, "s": "str"}},
	}
	for key, want := range map[string]bool{
		"message":     true,
		"message.sub": true, // scalar parent
		"a":           true, // object parent of a.b
		"a.b":         true,
		"a.c":         false,
		"obj":         true,
		"obj.in.x":    true,
		"obj.in.y":    false,
		"obj.s.z":     true,
		"obj.new":     false,
		"other":       false,
	} {
		if got := Exists(f, key); got != want {
			t.Errorf("Exists(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestPutMeta(t *testing.T) {
	e := event.New(time.Unix(0, 0), 0)
	for k, want := range map[string]bool{"@metadata._id": true, "@metadata.index": true, "@metadata.pipeline": true, "@metadata.other": true, "@metadatax": false, "a": false} {
		if got := PutMeta(e, k, "v-"+k); got != want {
			t.Errorf("PutMeta(%q) = %v", k, got)
		}
	}
	if e.Meta.ID != "v-@metadata._id" || e.Meta.Index != "v-@metadata.index" || e.Meta.Pipeline != "v-@metadata.pipeline" || len(e.Fields) != 0 {
		t.Fatalf("%+v %v", e.Meta, e.Fields)
	}
}
