// Package fieldpath reads and writes dotted keys in an event the way Beats'
// mapstr does, on top of event.Fields' flat (key, value) list: a key may live
// as its own field ("a.b.c") or inside a map value of a prefix ("a" holding
// {"b": {"c": …}}), as decode_json_fields leaves it.
package fieldpath

import (
	"strings"

	"github.com/shipper-project/shipper/shipper/event"
)

// Exists reports whether key is set (as a field, inside a map value of a
// prefix field, or as the parent of longer fields), or whether a prefix of
// key holds a value that is not a map: in all these cases Beats' PutValue
// would replace something, so processors that must not overwrite refuse.
func Exists(f event.Fields, key string) bool {
	for i := range f {
		k := f[i].Key
		switch {
		case k == key:
			return true
		case len(k) > len(key) && k[len(key)] == '.' && strings.HasPrefix(k, key):
			return true // "key.x" exists: key is an object
		case len(k) < len(key) && key[len(k)] == '.' && strings.HasPrefix(key, k):
			m, ok := f[i].Value.(map[string]any)
			if !ok {
				return true // a scalar where an object is needed
			}
			if inMap(m, key[len(k)+1:]) {
				return true
			}
		}
	}
	return false
}

// Free reports whether key can be added with event.Fields.Add: nothing
// is set at key, below it, or at one of its prefixes. It is the fast path of
// processors that refuse to overwrite: one scan, no map.
func Free(f event.Fields, key string) bool {
	for i := range f {
		k := f[i].Key
		if k == key || conflictsWith(k, key) {
			return false
		}
	}
	return true
}

func conflictsWith(a, b string) bool {
	if len(a) == len(b) {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return b[len(a)] == '.' && strings.HasPrefix(b, a)
}

// inMap reports whether the dotted key is set in m, or whether a prefix of
// it holds a non-map value.
func inMap(m map[string]any, key string) bool {
	for {
		if _, ok := m[key]; ok {
			return true
		}
		i := strings.IndexByte(key, '.')
		if i < 0 {
			return false
		}
		v, ok := m[key[:i]]
		if !ok {
			return false
		}
		sub, ok := v.(map[string]any)
		if !ok {
			return true
		}
		m, key = sub, key[i+1:]
	}
}

// Put sets key to v. When a prefix of key is a field holding a map, v is put
// into a copy of that map (values are shared between event clones, so maps
// are never changed in place); otherwise event.Fields.Put is used, which
// replaces whatever conflicts with key.
func Put(f *event.Fields, key string, v any) {
	s := *f
	for i := range s {
		k := s[i].Key
		if len(k) < len(key) && key[len(k)] == '.' && strings.HasPrefix(key, k) {
			if m, ok := s[i].Value.(map[string]any); ok {
				s[i].Value = putMap(m, key[len(k)+1:], v)
				return
			}
		}
	}
	f.Put(key, v)
}

// putMap returns a copy of m with the dotted key set to v, creating or
// replacing intermediate objects as mapstr.Put does. Existing dotted keys in
// m ("b.c" as one key) are matched first.
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

// Get returns the value of key (event.Fields.Get).
func Get(f event.Fields, key string) (any, bool) { return f.Get(key) }
