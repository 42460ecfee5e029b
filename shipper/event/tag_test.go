package event

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTagNeverLosesAValue: Tag adds to the tags an event already has,
// whatever list type they came as (a decoded JSON document gives []any),
// and never replaces a "tags" that is not a list: Beats' AddTags appends
// to []string and []interface{} alike, and refuses any other value,
// leaving it as it is. Tag used to put a new []string over them, so the
// pipeline's failure tags and the input's `tags` erased an ndjson event's
// own tags.
func TestTagNeverLosesAValue(t *testing.T) {
	f := func(name string, in Fields, tag string, want Fields) {
		t.Helper()
		e := &Event{Timestamp: time.Unix(0, 0), Fields: append(Fields(nil), in...)}
		e.Tag(tag)
		if d := cmp.Diff(want, e.Fields); d != "" {
			t.Errorf("%s: Tag(%q) on %v (-want +got):\n%s", name, tag, in, d)
		}
	}
	f("[]any", Fields{{"tags", []any{"a", "b"}}}, "x", Fields{{"tags", []any{"a", "b", "x"}}})
	f("[]any with the tag", Fields{{"tags", []any{"a", "x"}}}, "x", Fields{{"tags", []any{"a", "x"}}})
	f("[]any of other values", Fields{{"tags", []any{int64(1)}}}, "x", Fields{{"tags", []any{int64(1), "x"}}})
	f("string", Fields{{"tags", "a"}}, "x", Fields{{"tags", "a"}})
	f("map", Fields{{"tags", map[string]any{"env": "prod"}}}, "x", Fields{{"tags", map[string]any{"env": "prod"}}})
	f("flat object", Fields{{"tags.env", "prod"}, {"m", "1"}}, "x", Fields{{"tags.env", "prod"}, {"m", "1"}})
	f("absent", Fields{{"m", "1"}}, "x", Fields{{"m", "1"}, {"tags", []string{"x"}}})

	// The list is never appended to in place: it may be shared.
	shared := make([]any, 1, 4)
	shared[0] = "a"
	e := &Event{Fields: Fields{{"tags", shared}}}
	e.Tag("x")
	if got := shared[:2]; got[1] != nil {
		t.Errorf("Tag wrote into the []any it was given: %v", got)
	}
	if !e.HasTag("x") || !e.HasTag("a") || e.HasTag("y") {
		t.Errorf("HasTag on %v: x %v, a %v, y %v", e.Fields, e.HasTag("x"), e.HasTag("a"), e.HasTag("y"))
	}
}
