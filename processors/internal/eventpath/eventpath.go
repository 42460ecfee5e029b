// Package eventpath reads and writes an event's fields by dotted key with the
// meaning Beats' processors give them (mapstr's GetValue/Put/Delete), on top
// of shipper's flat event.Fields:
//
//   - "@timestamp" is the event's time;
//   - a key that only exists as the prefix of other keys ("source" when the
//     event has "source.ip" and "source.port") is an object, as in Beats;
//   - a key below a field holding a map[string]any (decoded JSON) reaches
//     into that map; a change copies the maps on its path first, because
//     values are shared between an event and its clones.
package eventpath

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// Timestamp is the key of the event's time.
const Timestamp = "@timestamp"

// Get returns the value at key and whether it exists.
func Get(e *event.Event, key string) (any, bool) {
	if key == Timestamp {
		return e.Timestamp, true
	}
	if v, ok := e.Fields.Get(key); ok {
		return v, true
	}
	return object(e.Fields, key)
}

// Has reports whether key exists (as a value or as an object).
func Has(e *event.Event, key string) bool {
	if key == Timestamp {
		return true
	}
	if e.Fields.Has(key) {
		return true
	}
	for i := range e.Fields {
		if isBelow(e.Fields[i].Key, key) {
			return true
		}
	}
	return false
}

// isBelow reports whether k is a strict extension of prefix ("a.b" below "a").
func isBelow(k, prefix string) bool {
	return len(k) > len(prefix) && k[len(prefix)] == '.' && strings.HasPrefix(k, prefix)
}

// object builds the object Beats would see at key from the flat keys below it.
func object(f event.Fields, key string) (any, bool) {
	var m map[string]any
	for i := range f {
		if !isBelow(f[i].Key, key) {
			continue
		}
		if m == nil {
			m = map[string]any{}
		}
		setNested(m, f[i].Key[len(key)+1:], f[i].Value)
	}
	if m == nil {
		return nil, false
	}
	return m, true
}

func setNested(m map[string]any, key string, v any) {
	for {
		i := strings.IndexByte(key, '.')
		if i < 0 {
			m[key] = v
			return
		}
		sub, ok := m[key[:i]].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[key[:i]] = sub
		}
		m, key = sub, key[i+1:]
	}
}

// Put sets key to v. A map on the way is copied and changed (Beats merges
// into objects); anything else that conflicts with key is replaced, as
// event.Fields.Put does. "@timestamp" takes a time.Time only.
func Put(e *event.Event, key string, v any) {
	if key == Timestamp {
		if t, ok := v.(time.Time); ok {
			e.Timestamp = t
		}
		return
	}
	f := e.Fields
	for i := range f {
		if f[i].Key == key {
			f[i].Value = v
			return
		}
	}
	for i := range f {
		if isBelow(key, f[i].Key) {
			if m, ok := f[i].Value.(map[string]any); ok {
				f[i].Value = putMap(m, key[len(f[i].Key)+1:], v)
				return
			}
		}
	}
	e.Fields.Put(key, v)
}

// PutValue is Beats' event.PutValue: Put, except that a key whose parent
// holds a value that is not an object ("a.c" when a is 9) fails with
// Beats' "expected map but type is int64" and changes nothing. Put would
// replace the parent, and the value it held would be lost without a trace.
func PutValue(e *event.Event, key string, v any) error {
	if err := CheckParents(e, key); err != nil {
		return err
	}
	Put(e, key, v)
	return nil
}

// CheckParents returns the error PutValue(e, key, …) would return, without
// writing anything.
func CheckParents(e *event.Event, key string) error {
	if key == Timestamp {
		return nil
	}
	f := e.Fields
	for i := range f {
		if f[i].Key == key {
			return nil
		}
	}
	for i := range f {
		if !isBelow(key, f[i].Key) {
			continue
		}
		m, ok := f[i].Value.(map[string]any)
		if !ok {
			return notMap(f[i].Value)
		}
		return checkMap(m, key[len(f[i].Key)+1:])
	}
	return nil
}

func checkMap(m map[string]any, key string) error {
	for {
		if _, ok := m[key]; ok {
			return nil
		}
		i := strings.IndexByte(key, '.')
		if i < 0 {
			return nil
		}
		sub, ok := m[key[:i]]
		if !ok {
			return nil
		}
		sm, ok := sub.(map[string]any)
		if !ok {
			return notMap(sub)
		}
		m, key = sm, key[i+1:]
	}
}

func notMap(v any) error { return fmt.Errorf("expected map but type is %T", v) }

// putMap returns a copy of m with key set to v; the maps on the path are
// copied, the others shared.
func putMap(m map[string]any, key string, v any) map[string]any {
	c := make(map[string]any, len(m)+1)
	for k, x := range m {
		c[k] = x
	}
	if _, ok := c[key]; ok {
		c[key] = v
		return c
	}
	i := strings.IndexByte(key, '.')
	if i < 0 {
		c[key] = v
		return c
	}
	sub, _ := c[key[:i]].(map[string]any)
	if sub == nil {
		sub = map[string]any{}
	}
	c[key[:i]] = putMap(sub, key[i+1:], v)
	return c
}

// Delete removes key and everything below it, also inside maps. It reports
// whether anything was removed.
func Delete(e *event.Event, key string) bool {
	if e.Fields.Delete(key) {
		return true
	}
	f := e.Fields
	for i := range f {
		if isBelow(key, f[i].Key) {
			if m, ok := f[i].Value.(map[string]any); ok {
				if c, ok := deleteMap(m, key[len(f[i].Key)+1:]); ok {
					f[i].Value = c
					return true
				}
			}
		}
	}
	return false
}

func deleteMap(m map[string]any, key string) (map[string]any, bool) {
	if _, ok := m[key]; ok {
		c := copyMap(m)
		delete(c, key)
		return c, true
	}
	i := strings.IndexByte(key, '.')
	if i < 0 {
		return m, false
	}
	sub, ok := m[key[:i]].(map[string]any)
	if !ok {
		return m, false
	}
	nsub, ok := deleteMap(sub, key[i+1:])
	if !ok {
		return m, false
	}
	c := copyMap(m)
	c[key[:i]] = nsub
	return c, true
}

func copyMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Keys returns the flat keys at or below key, sorted (for messages).
func Keys(e *event.Event, key string) []string {
	var out []string
	for i := range e.Fields {
		if k := e.Fields[i].Key; k == key || isBelow(k, key) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Parts returns the value at key as (suffix, value) pairs, to move or copy
// it: one pair with suffix "" for a value (also one inside a map), or one
// pair per flat key below key (suffix ".ip" for "source.ip" under
// "source") for an object kept as flat keys. ok is false when key does not
// exist.
func Parts(e *event.Event, key string) (parts []event.Field, ok bool) {
	if key == Timestamp {
		return []event.Field{{Value: e.Timestamp}}, true
	}
	if v, ok := e.Fields.Get(key); ok {
		return []event.Field{{Value: v}}, true
	}
	for _, f := range e.Fields {
		if isBelow(f.Key, key) {
			parts = append(parts, event.Field{Key: f.Key[len(key):], Value: f.Value})
		}
	}
	return parts, len(parts) > 0
}

// Transaction runs op(i) for i in [0, n) in order, as Beats' rename and
// copy_fields do: with failOnError, the first failure restores the event
// as it came and writes prefix+err to error.message; without it, a failed
// step is skipped. Every failure goes to record.
func Transaction(e *event.Event, n int, failOnError bool, record func(error), prefix string, op func(i int) error) {
	var backup event.Fields
	ts := e.Timestamp
	if failOnError {
		backup = append(event.Fields(nil), e.Fields...)
	}
	for i := range n {
		err := op(i)
		if err == nil {
			continue
		}
		record(err)
		if failOnError {
			e.Fields, e.Timestamp = backup, ts
			Put(e, "error.message", prefix+err.Error())
			return
		}
	}
}
