package pipeline

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/shipper/event"
)

// The prepared static fields (one pass over the event) add what the
// plain lookup per key adds, in the same order: keys the event has
// already, tags merged, static keys repeated or under "tags." (the plain
// path), more than 64 of them.
func TestStaticSetAddsWhatLookupsAdd(t *testing.T) {
	keys := []string{"input.type", "agent.name", "agent.id", "host.name", "ecs.version", "tags", "tags.x",
		"fields.env", "message", "event.kind", "a", "a.b", "host", "ecs.versioN", "source.ip", "",
		"fields.a_key_longer_than_sixty_three_bytes_which_all_share_one_length_slot_1",
		"fields.a_key_longer_than_sixty_three_bytes_which_all_share_one_length_slot_22"}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 17))
	pick := func(n int) event.Fields {
		var f event.Fields
		for range n {
			k := keys[r.IntN(len(keys))]
			var v any = fmt.Sprint(k, r.IntN(3))
			if k == "tags" {
				v = []string{fmt.Sprint("t", r.IntN(3)), "_grokparsefailure"}
			}
			f = append(f, event.Field{Key: k, Value: v})
		}
		return f
	}
	check := func(static, fields event.Fields) {
		t.Helper()
		s := newStaticSet(static)
		want := &event.Event{Fields: append(event.Fields(nil), fields...)}
		addStatic(static, want)
		got := &event.Event{Fields: append(event.Fields(nil), fields...)}
		s.add(got)
		if d := cmp.Diff(want.Fields, got.Fields); d != "" {
			t.Fatalf("static %v on %v (fast %v) (-lookups +prepared):\n%s", static, fields, s.fast, d)
		}
	}
	for range 5000 {
		check(pick(r.IntN(9)), pick(r.IntN(6)))
	}
	var many event.Fields
	for i := range 70 {
		many = append(many, event.Field{Key: fmt.Sprint("fields.k", i), Value: i})
	}
	if newStaticSet(many).fast {
		t.Errorf("70 static fields: fast path, want the plain one (64-bit mask)")
	}
	check(many, event.Fields{{Key: "fields.k3", Value: "mine"}, {Key: "fields.k69", Value: "mine"}})
	if s := newStaticSet(event.Fields{{Key: "input.type", Value: "squid"}, {Key: "host.name", Value: "h"}}); !s.fast || s.tags {
		t.Errorf("runner-like static fields: fast %v tags %v, want the fast path without tags", s.fast, s.tags)
	}
}
