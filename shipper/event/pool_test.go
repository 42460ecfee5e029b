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
	e.Fields.Delete("a") // leaves a copy of "d" past len
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
