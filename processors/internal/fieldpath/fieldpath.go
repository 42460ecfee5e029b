// Package fieldpath answers "would Beats' PutValue replace something at this
// key?" over event.Fields' flat (key, value) list, for processors that must
// not overwrite (dissect, decode_json_fields without overwrite_keys). A key
// may live as its own field ("a.b.c") or inside a map value of a prefix ("a"
// holding {"b": {"c": …}}). Reading and writing keys is eventpath's job.
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

// Metadata is the prefix of Beats' event metadata keys ("@metadata._id").
const Metadata = "@metadata"

// PutMeta sets a Beats @metadata key on the event's Meta: _id, index and
// pipeline steer the output (string values only); other @metadata keys are
// dropped, as Beats never writes @metadata into the document. It reports
// whether key was a @metadata key.
func PutMeta(e *event.Event, key string, v any) bool {
	if key != Metadata && !strings.HasPrefix(key, Metadata+".") {
		return false
	}
	s, _ := v.(string)
	switch strings.TrimPrefix(key, Metadata+".") {
	case "_id":
		e.Meta.SetID(s)
	case "index":
		e.Meta.Index = s
	case "pipeline":
		e.Meta.Pipeline = s
	}
	return true
}
