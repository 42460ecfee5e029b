package grok

import (
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"testing"

	"github.com/shipper-project/shipper/shipper/event"
)

// TestValues: a value boxed by Values is indistinguishable from the same
// value boxed by the runtime (type switch, ==, reflect, the encoder), and
// stays intact across garbage collections after its Values is gone.
func TestValues(t *testing.T) {
	var want, got []any
	var v Values
	for i := range 100 { // several blocks of each kind
		s := "s" + strconv.Itoa(i)
		n := int64(i) * 1000
		want = append(want, s, n, int64(i), []string{s, "x"}, "")
		got = append(got, v.String(s), v.Int(n), v.Int(int64(i)), v.Strings(s, "x"), v.String(""))
	}
	v = Values{}
	for range 3 {
		runtime.GC()
		garbage := make([][]string, 0, 1000)
		for i := range 1000 {
			garbage = append(garbage, []string{strconv.Itoa(i)})
		}
		runtime.KeepAlive(garbage)
	}
	var enc event.Encoder
	for i := range want {
		w, g := want[i], got[i]
		if reflect.TypeOf(g) != reflect.TypeOf(w) || !reflect.DeepEqual(g, w) {
			t.Fatalf("value %d = %#v (%T), want %#v (%T)", i, g, g, w, w)
		}
		switch x := g.(type) {
		case string:
			if g != w || x != w.(string) {
				t.Fatalf("value %d: %q != %q", i, x, w)
			}
		case int64:
			if g != w || x != w.(int64) {
				t.Fatalf("value %d: %d != %d", i, x, w)
			}
		case []string:
			if len(x) != cap(x) {
				t.Fatalf("value %d: len %d, cap %d: an append would write into the block", i, len(x), cap(x))
			}
		default:
			t.Fatalf("value %d: type %T", i, g)
		}
		we := string(enc.Append(nil, &event.Event{Fields: event.Fields{{Key: "k", Value: w}}}))
		ge := string(enc.Append(nil, &event.Event{Fields: event.Fields{{Key: "k", Value: g}}}))
		if ge != we || fmt.Sprint(g) != fmt.Sprint(w) {
			t.Fatalf("value %d encodes as %s, want %s", i, ge, we)
		}
	}
}

// TestValuesAllocs: one allocation per block, not per value.
func TestValuesAllocs(t *testing.T) {
	sink := make([]any, 0, 32)
	f := func(name string, want float64, fill func()) {
		t.Helper()
		n := testing.AllocsPerRun(100, func() {
			sink = sink[:0]
			fill()
		})
		if n != want {
			t.Errorf("%s: %v allocations, want %v", name, n, want)
		}
	}
	f("EventValues", 1, func() {
		v := EventValues()
		for range 13 {
			sink = append(sink, v.String("value"))
		}
		for i := range 5 {
			sink = append(sink, v.Int(int64(1000+i)))
		}
		sink = append(sink, v.Strings("a", "b"), v.Strings("c"), v.Int(7), v.String(""))
	})
	var blocks Blocks
	f("Blocks, 23 events", 1, func() { // one slab for 23 events' first blocks
		for range slabBlocks {
			v := blocks.Next()
			sink = append(sink[:0], v.String("value"), v.Int(1000), v.Strings("a"))
		}
	})
	f("zero Values", 4, func() { // 2 string blocks, 1 of ints, 1 of lists
		var v Values
		for range 10 {
			sink = append(sink, v.String("value"))
		}
		sink = append(sink, v.Int(1000), v.Strings("a"))
	})
	f("reserve", 2, func() {
		var v Values
		v.reserve(12, 3)
		for range 12 {
			sink = append(sink, v.String("value"))
		}
		sink = append(sink, v.Int(1000), v.Int(1001), v.Int(1002))
	})
}

// TestBlocksDistinct: the blocks Blocks hands out do not overlap: values
// boxed from one event's block keep theirs while later events box theirs.
func TestBlocksDistinct(t *testing.T) {
	var b Blocks
	var got []any
	for i := range 3 * slabBlocks {
		v := b.Next()
		for j := range 16 {
			got = append(got, v.String(strconv.Itoa(i*100+j)))
		}
		for j := range 5 {
			got = append(got, v.Int(int64(1000+i*100+j)))
		}
		got = append(got, v.Strings("x", strconv.Itoa(i)))
	}
	k := 0
	for i := range 3 * slabBlocks {
		for j := range 16 {
			if want := strconv.Itoa(i*100 + j); got[k] != want {
				t.Fatalf("event %d string %d = %v, want %s", i, j, got[k], want)
			}
			k++
		}
		for j := range 5 {
			if want := int64(1000 + i*100 + j); got[k] != want {
				t.Fatalf("event %d int %d = %v, want %d", i, j, got[k], want)
			}
			k++
		}
		if l := got[k].([]string); len(l) != 2 || l[1] != strconv.Itoa(i) {
			t.Fatalf("event %d list = %v", i, l)
		}
		k++
	}
}
