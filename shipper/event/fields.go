package event

import "strings"

// Field is one (dotted key, value) pair of a document.
//
// Values are one of: string, bool, int, int64, uint64, float64, []string,
// []any, map[string]any, time.Time, GeoPoint, RawJSON, or nil. Anything else is
// encoded with encoding/json.
type Field struct {
	Key   string
	Value any
}

// Fields is the flat body of a document. Keys are ECS dotted paths; the
// encoder nests them. A key never coexists with one of its own prefixes or
// extensions ("a" and "a.b"): Put removes the conflicting one, so the encoded
// object never repeats a key.
type Fields []Field

// Put sets key to v, replacing a previous value of key and removing fields
// that would conflict with it in the nested document.
func (f *Fields) Put(key string, v any) {
	s := *f
	for i := range s {
		if s[i].Key == key {
			s[i].Value = v
			return
		}
	}
	// Conflicts are rare; check them only when a shared prefix exists.
	for i := range s {
		if conflicts(s[i].Key, key) {
			n := i
			for j := i + 1; j < len(s); j++ {
				if !conflicts(s[j].Key, key) {
					s[n] = s[j]
					n++
				}
			}
			s = vacate(s, n)
			break
		}
	}
	*f = append(s, Field{Key: key, Value: v})
}

// vacate returns s[:n] after zeroing s[n:]: a slot past len never keeps a
// field (its value alive), so Release clears only up to len. Every
// operation that shortens Fields goes through it.
func vacate(s Fields, n int) Fields {
	clear(s[n:])
	return s[:n]
}

// conflicts reports whether a and b cannot both exist in one nested object:
// one is a path prefix of the other ("a" and "a.b").
func conflicts(a, b string) bool {
	if len(a) == len(b) {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return b[len(a)] == '.' && strings.HasPrefix(b, a)
}

// Get returns the value of key. It also finds keys nested in a
// map[string]any value (Get("a.b") when "a" holds {"b": …}).
func (f Fields) Get(key string) (any, bool) {
	for i := range f {
		if f[i].Key == key {
			return f[i].Value, true
		}
	}
	for i := range f {
		k := f[i].Key
		if len(k) < len(key) && key[len(k)] == '.' && strings.HasPrefix(key, k) {
			m, ok := f[i].Value.(map[string]any)
			if !ok {
				return nil, false
			}
			return getMap(m, key[len(k)+1:])
		}
	}
	return nil, false
}

func getMap(m map[string]any, key string) (any, bool) {
	for {
		if v, ok := m[key]; ok {
			return v, true
		}
		i := strings.IndexByte(key, '.')
		if i < 0 {
			return nil, false
		}
		sub, ok := m[key[:i]].(map[string]any)
		if !ok {
			return nil, false
		}
		m, key = sub, key[i+1:]
	}
}

// GetString returns the value of key when it is a string.
func (f Fields) GetString(key string) (string, bool) {
	v, ok := f.Get(key)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

// Delete removes key and everything below it. It reports whether anything
// was removed.
func (f *Fields) Delete(key string) bool {
	s := *f
	for i := range s {
		if under(s[i].Key, key) {
			n := i
			for j := i + 1; j < len(s); j++ {
				if !under(s[j].Key, key) {
					s[n] = s[j]
					n++
				}
			}
			*f = vacate(s, n)
			return true
		}
	}
	return false
}

// under reports whether k is key or a key below it.
func under(k, key string) bool {
	return k == key || (len(k) > len(key) && k[len(key)] == '.' && strings.HasPrefix(k, key))
}

// Has reports whether key is set.
func (f Fields) Has(key string) bool {
	_, ok := f.Get(key)
	return ok
}

// GeoPoint is a geo_point value, encoded as {"lat":…, "lon":…}.
type GeoPoint struct {
	Lat, Lon float64
}

// RawJSON is a value that is already valid JSON and is written as is.
type RawJSON []byte

// Add appends key without checking for an existing or conflicting key. Use it
// where the caller knows the key is new (a parser filling a fresh event); it
// saves Put's scan on the hot path.
func (f *Fields) Add(key string, v any) {
	*f = append(*f, Field{Key: key, Value: v})
}

// HasKey reports whether exactly key is set (not a value nested in a map);
// cheaper than Has.
func (f Fields) HasKey(key string) bool {
	for i := range f {
		if f[i].Key == key {
			return true
		}
	}
	return false
}
