package fieldpath

import (
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
