package event

import (
	"testing"
	"time"
)

func TestPoolReleaseEmptiesAndRecycles(t *testing.T) {
	p := NewPool(4)
	ts := time.Unix(1795594303, 0)
	e := p.Get(ts)
	if !e.Timestamp.Equal(ts) || len(e.Fields) != 0 || cap(e.Fields) != 4 {
		t.Fatalf("Get = %+v (cap %d), want an empty event stamped %v with room for 4 fields", e, cap(e.Fields), ts)
	}
	e.Fields.Add("a", "x")
	e.Fields.Add("b.c", 1)
	e.Fields.Add("d", 2)
	e.Fields.Delete("a") // moves "d": its old slot must not keep it
	e.Meta = Meta{Index: "i", ID: "id"}
	e.Private = 7
	c := e.Clone()
	Release(e)
	if len(e.Fields) != 0 || e.Private != nil || e.Meta != (Meta{}) || !e.Timestamp.IsZero() {
		t.Errorf("released event not emptied: %+v", e)
	}
	for i, f := range e.Fields[:cap(e.Fields)] {
		if f != (Field{}) {
			t.Errorf("released event's field slot %d still holds %v", i, f)
		}
	}
	if c.pool != nil {
		t.Errorf("Clone of a pooled event belongs to the pool")
	}
	if len(c.Fields) != 2 {
		t.Errorf("the clone lost its fields: %v", c.Fields)
	}
	// Not from a pool: Release leaves it alone.
	n := New(ts, 1)
	n.Fields.Add("k", "v")
	Release(n)
	Release(c)
	if len(n.Fields) != 1 || len(c.Fields) != 2 {
		t.Errorf("Release changed events that are not the pool's: %v, %v", n.Fields, c.Fields)
	}
	// A field slice past maxPooledFields is not kept.
	big := p.Get(ts)
	for i := range maxPooledFields + 1 {
		big.Fields.Add("k", i)
	}
	Release(big)
	if len(big.Fields) != maxPooledFields+1 {
		t.Errorf("an event with %d fields was recycled", maxPooledFields+1)
	}
}

// FuzzFieldsKeepNothingPastLen: after any sequence of operations of Fields
// and Event, every slot past len is zero, so that Release (which clears
// only up to len) leaves no value reachable from a pooled event.
func FuzzFieldsKeepNothingPastLen(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7})
	f.Add([]byte{0x20, 0x21, 0x22, 0x23, 0x40, 0x60, 0x61, 0x80})
	keys := []string{"a", "a.b", "a.b.c", "a.c", "ab", "b", "b.a", "tags", "tags.env", "c"}
	f.Fuzz(func(t *testing.T, ops []byte) {
		p := NewPool(4)
		e := p.Get(time.Time{})
		for i, op := range ops {
			k := keys[int(op&0x1f)%len(keys)]
			switch op >> 5 {
			case 0, 1:
				e.Fields.Put(k, i)
			case 2:
				e.Fields.Add(k, i)
			case 3:
				e.Fields.Delete(k)
			case 4:
				e.Tag(k)
			case 5:
				e.Fields.Put(k, map[string]any{"x": i})
			case 6:
				Release(e)
				e = p.Get(time.Time{})
			default:
				e = e.Clone()
			}
			for j, fl := range e.Fields[len(e.Fields):cap(e.Fields)] {
				if fl != (Field{}) {
					t.Fatalf("after op %d (%#x on %q): slot %d past len %d holds %v", i, op, k, len(e.Fields)+j, len(e.Fields), fl)
				}
			}
		}
		if e.pool == nil || cap(e.Fields) > maxPooledFields {
			return // a clone, or a slice too large to keep: not recycled
		}
		Release(e)
		for j, fl := range e.Fields[:cap(e.Fields)] {
			if fl != (Field{}) {
				t.Fatalf("released event's slot %d holds %v", j, fl)
			}
		}
	})
}
