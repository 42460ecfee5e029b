package decodejsonfields

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

var errProcessingSkipped = errors.New("processing skipped")

// unmarshal decodes text and, while depth remains, the JSON objects and
// arrays held in its string values: Beats' unmarshal, quirks included (a
// nested array is left a string unless process_array, but decoded at the
// last level; a top-level array with max_depth > 1 and no process_array is
// the error "processing skipped").
func unmarshal(maxDepth int, text string, processArray bool) (any, error) {
	v, err := decodeJSON(text)
	if err != nil {
		return nil, err
	}
	maxDepth--
	if maxDepth == 0 {
		return v, nil
	}
	try := func(x any) (any, bool) {
		s, ok := x.(string)
		if !ok || !isStructured(s) {
			return x, false
		}
		d, err := unmarshal(maxDepth, s, processArray)
		if err != nil {
			return x, err == errProcessingSkipped
		}
		return d, true
	}
	switch o := v.(type) {
	case map[string]any:
		for k, x := range o {
			if d, ok := try(x); ok {
				o[k] = d
			}
		}
	case []any:
		if !processArray {
			return v, errProcessingSkipped
		}
		for i, x := range o {
			if d, ok := try(x); ok {
				o[i] = d
			}
		}
	}
	return v, nil
}

// decodeJSON decodes exactly one JSON value; numbers become int64, float64
// or (too large for both) their text, as Beats' TransformNumbers does.
func decodeJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("multiple json elements found")
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
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
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

func isStructured(s string) bool {
	s = strings.TrimSpace(s)
	end := len(s) - 1
	return end > 0 && (s[0] == '[' && s[end] == ']' || s[0] == '{' && s[end] == '}')
}

// expandFields de-dots the keys of m in place ("a.b": 1 → "a": {"b": 1}),
// merging objects; a conflict is an error (Beats' jsontransform.expandFields).
func expandFields(m map[string]any) error {
	for _, k := range sortedKeys(m) {
		v := m[k]
		newMap, newIsMap := v.(map[string]any)
		if newIsMap {
			if err := expandFields(newMap); err != nil {
				return fmt.Errorf("error expanding %q: %w", k, err)
			}
		}
		if !strings.Contains(k, ".") {
			continue
		}
		delete(m, k)
		old, err := putPath(m, k, v)
		if err != nil {
			return fmt.Errorf("cannot expand %q: found conflicting key: %w", k, err)
		}
		if old == nil {
			continue
		}
		if !newIsMap {
			return fmt.Errorf("cannot expand %q: found existing (%T) value", k, old)
		}
		oldMap, ok := old.(map[string]any)
		if !ok {
			return fmt.Errorf("cannot expand %q: found conflicting key", k)
		}
		if err := mergeObjects(newMap, oldMap); err != nil {
			return fmt.Errorf("cannot expand %q: %w", k, err)
		}
	}
	return nil
}

// putPath is mapstr.Put on a plain map: it creates the objects on the path,
// fails when a non-object is in the way, and returns the replaced value.
func putPath(m map[string]any, key string, v any) (any, error) {
	for {
		i := strings.IndexByte(key, '.')
		if i < 0 {
			old := m[key]
			m[key] = v
			return old, nil
		}
		next, ok := m[key[:i]]
		if !ok {
			sub := map[string]any{}
			m[key[:i]] = sub
			m, key = sub, key[i+1:]
			continue
		}
		sub, ok := next.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected map but type is %T", next)
		}
		m, key = sub, key[i+1:]
	}
}

func mergeObjects(lhs, rhs map[string]any) error {
	for _, k := range sortedKeys(rhs) {
		rv := rhs[k]
		lv, ok := lhs[k]
		if !ok {
			lhs[k] = rv
			continue
		}
		lm, ok := lv.(map[string]any)
		if !ok {
			return fmt.Errorf("cannot merge %q: found (%T) value", k, lv)
		}
		rm, ok := rv.(map[string]any)
		if !ok {
			return fmt.Errorf("cannot merge %q: found (%T) value", k, rv)
		}
		if err := mergeObjects(lm, rm); err != nil {
			return fmt.Errorf("cannot merge %q: %w", k, err)
		}
	}
	return nil
}
