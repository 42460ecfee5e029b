package filestream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// ndjson decodes each message as a JSON object, as Filebeat's ndjson parser
// (libbeat/reader/readjson JSONParser and jsontransform.WriteJSONKeys):
// same options, same error texts. Objects are written as dotted leaves, so
// a JSON {"log": {"level": "x"}} merges with log.offset like Filebeat's
// DeepUpdate instead of replacing it.
type ndjson struct {
	c *ndjsonConf
}

func (p *ndjson) flush(func(message) error) error { return nil }
func (p *ndjson) held() (int64, time.Time, bool)  { return 0, time.Time{}, false }
func (p *ndjson) push(m message, next func(message) error) error {
	p.decode(&m)
	return next(m)
}

// decode fills m from its content.
func (p *ndjson) decode(m *message) {
	c := p.c
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(m.content))
	dec.UseNumber()
	err := dec.Decode(&obj)
	if err != nil || obj == nil {
		// The content stays the message; Filebeat logs the error unless
		// ignore_decoding_error, and adds it with add_error_key.
		if c.AddErrorKey {
			putJSONError(&m.fields, fmt.Sprintf("Error decoding JSON: %v", err))
		}
		return
	}
	transformNumbers(obj)
	// Keys are written as nested fields: keys that collide then ("a" and
	// "a.b", or "a.b" twice) would lose one silently. As for a line that is
	// not JSON, the line stays the message (Beats loses it with
	// expand_keys; without, Elasticsearch refuses the document).
	if k, bad := expandConflict(obj); bad {
		if c.AddErrorKey {
			putJSONError(&m.fields, fmt.Sprintf("cannot expand %q: found conflicting key", k))
		}
		return
	}
	text := ""
	if c.MessageKey != "" {
		v, ok := obj[c.MessageKey]
		s, isStr := v.(string)
		switch {
		case !ok:
			if c.AddErrorKey {
				obj["error"] = jsonError(fmt.Sprintf("Key '%s' not found", c.MessageKey))
			}
		case !isStr:
			if c.AddErrorKey {
				obj["error"] = jsonError(fmt.Sprintf("Value of key '%s' is not a string", c.MessageKey))
			}
		default:
			text = s
		}
	}
	m.content = []byte(text)
	if len(obj) == 0 {
		return
	}
	if c.DocumentID != "" {
		if v, ok := takeDotted(obj, c.DocumentID); ok {
			m.id = v
		}
	}
	if c.Target != "" {
		flattenInto(&m.fields, c.Target, obj, true)
		return
	}
	p.writeKeys(m, obj)
}

// writeKeys is jsontransform.WriteJSONKeys for target "" (the root).
func (p *ndjson) writeKeys(m *message, obj map[string]any) {
	c := p.c // expand_keys: keys are always written nested (decode checked the conflicts)
	if !c.OverwriteKeys {
		delete(obj, "@timestamp")
		delete(obj, "@metadata")
		flattenInto(&m.fields, "", obj, false)
		return
	}
	if v, ok := obj["@timestamp"]; ok {
		delete(obj, "@timestamp")
		s, isStr := v.(string)
		if !isStr {
			p.setError(m, "@timestamp not overwritten (not string)")
		} else if ts, err := parseJSONTime(s); err != nil {
			p.setError(m, fmt.Sprintf("@timestamp not overwritten (parse error on %s)", s))
		} else {
			m.ts = ts
		}
	}
	if v, ok := obj["@metadata"]; ok {
		delete(obj, "@metadata")
		if md, isMap := v.(map[string]any); !isMap {
			p.setError(m, "can't replace @metadata with a non-map")
		} else if id, isStr := md["_id"].(string); isStr && id != "" {
			m.id = id // the only @metadata key an output reads
		}
	}
	if v, ok := obj["type"]; ok {
		s, isStr := v.(string)
		switch {
		case !isStr:
			delete(obj, "type")
			p.setError(m, "type not overwritten (not string)")
		case s == "" || s[0] == '_':
			delete(obj, "type")
			p.setError(m, fmt.Sprintf("type not overwritten (invalid value [%s])", s))
		}
	}
	flattenInto(&m.fields, "", obj, true)
}

func (p *ndjson) setError(m *message, msg string) {
	if p.c.AddErrorKey {
		putJSONError(&m.fields, msg)
	}
}

func jsonError(msg string) map[string]any { return map[string]any{"message": msg, "type": "json"} }

func putJSONError(f *event.Fields, msg string) {
	f.Put("error.message", msg)
	f.Put("error.type", "json")
}

// flattenInto writes obj's leaves under prefix as dotted keys, in sorted
// order (documents do not depend on map order). overwrite=false keeps a
// key that is already set (or a parent or child of it).
func flattenInto(f *event.Fields, prefix string, obj map[string]any, overwrite bool) {
	if len(obj) == 0 && prefix != "" {
		if overwrite || !taken(*f, prefix) {
			f.Put(prefix, map[string]any{})
		}
		return
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := obj[k].(map[string]any); ok {
			flattenInto(f, key, sub, overwrite)
			continue
		}
		if !overwrite && taken(*f, key) {
			continue
		}
		f.Put(key, obj[k])
	}
}

// taken reports whether key, or a key above or below it, is set.
func taken(f event.Fields, key string) bool {
	for _, x := range f {
		if x.Key == key || strings.HasPrefix(x.Key, key+".") || strings.HasPrefix(key, x.Key+".") {
			return true
		}
	}
	return false
}

// expandConflict reports a dotted key that collides with another key once
// expanded ({"a": 1, "a.b": 2}, or {"a": {"b": 1}, "a.b": 2}).
func expandConflict(obj map[string]any) (string, bool) {
	if !dotted(obj) {
		return "", false // one key per path: nothing can collide
	}
	leaves := map[string]bool{}
	dup := ""
	var walk func(prefix string, o map[string]any)
	walk = func(prefix string, o map[string]any) {
		for k, v := range o {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
				walk(key, sub)
				continue
			}
			if leaves[key] && (dup == "" || key < dup) {
				dup = key
			}
			leaves[key] = true
		}
	}
	walk("", obj)
	if dup != "" {
		return dup, true
	}
	keys := make([]string, 0, len(leaves))
	for k := range leaves {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for i := strings.IndexByte(k, '.'); i >= 0; i = next(k, i) {
			if leaves[k[:i]] {
				return k, true
			}
		}
	}
	return "", false
}

// dotted reports whether a key of obj, or of an object in it, has a dot.
func dotted(obj map[string]any) bool {
	for k, v := range obj {
		if strings.IndexByte(k, '.') >= 0 {
			return true
		}
		if sub, ok := v.(map[string]any); ok && dotted(sub) {
			return true
		}
	}
	return false
}

func next(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '.')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// takeDotted removes the string at a dotted key of obj and returns it.
func takeDotted(obj map[string]any, key string) (string, bool) {
	if v, ok := obj[key]; ok {
		s, isStr := v.(string)
		if isStr {
			delete(obj, key)
		}
		return s, isStr
	}
	head, rest, ok := strings.Cut(key, ".")
	if !ok {
		return "", false
	}
	sub, isMap := obj[head].(map[string]any)
	if !isMap {
		return "", false
	}
	return takeDotted(sub, rest)
}

// transformNumbers turns json.Number into int64 when it is one, else
// float64 (jsontransform.TransformNumbers).
func transformNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any:
		for k, e := range x {
			x[k] = transformNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = transformNumbers(e)
		}
	}
	return v
}

// parseJSONTime reads an @timestamp as Beats' common.ParseTime does:
// RFC 3339 / ISO 8601, with or without fractions or zone (UTC then).
func parseJSONTime(s string) (time.Time, error) {
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"} {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}
