// Package dashboards holds shipper's Kibana saved objects (data views and
// dashboards with by-value Lens and Maps panels) and encodes them into the
// NDJSON that Kibana's saved objects import API takes.
//
// In source, under dashboard/ and index-pattern/, each object is one readable
// JSON file whose JSON-in-string attributes (panelsJSON, optionsJSON,
// searchSourceJSON, a map's layerListJSON…) are decoded, as Beats and the
// Elastic integrations keep theirs. Encode turns them back into the strings
// Kibana stores; Decode is the inverse (for an export from Kibana). The
// files are written by ./internal/gen (`go generate ./dashboards`).
//
// The objects are authored for MinKibana, the oldest Kibana they import
// into; newer Kibanas migrate them on import.
package dashboards

//go:generate go run ./internal/gen -dir .

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// MinKibana is the oldest Kibana the objects are written for: 8.8.0 is the
// first whose exports carry coreMigrationVersion/typeMigrationVersion.
const MinKibana = "8.8.0"

//go:embed dashboard/*.json index-pattern/*.json
var files embed.FS

// Object is one saved object in source form (attributes decoded).
type Object = map[string]any

// Source returns every saved object, data views first, each as its file
// holds it, with the file name (type/id.json) in File.
func Source() ([]SourceFile, error) {
	var out []SourceFile
	for _, dir := range []string{"index-pattern", "dashboard"} {
		names, err := fs.Glob(files, dir+"/*.json")
		if err != nil {
			return nil, err
		}
		sort.Strings(names)
		for _, n := range names {
			b, err := files.ReadFile(n)
			if err != nil {
				return nil, err
			}
			var o Object
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&o); err != nil {
				return nil, fmt.Errorf("dashboards/%s: %w", n, err)
			}
			out = append(out, SourceFile{Name: n, Object: o})
		}
	}
	return out, nil
}

// SourceFile is one file of the dashboards folder.
type SourceFile struct {
	Name   string // e.g. "dashboard/shipper-squid.json"
	Object Object
}

// NDJSON returns every object encoded for the import API, one per line,
// data views first so that the dashboards' references resolve.
func NDJSON() ([]byte, error) {
	src, err := Source()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	for _, f := range src {
		line, err := Encode(f.Object)
		if err != nil {
			return nil, fmt.Errorf("dashboards/%s: %w", f.Name, err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// Attributes stored as JSON strings by Kibana, by path under "attributes".
var encodedAttrs = []string{
	"panelsJSON", "optionsJSON", "uiStateJSON", "visState",
	"layerListJSON", "mapStateJSON", "kibanaSavedObjectMeta.searchSourceJSON",
	// data view attributes
	"fields", "fieldFormatMap", "runtimeFieldMap", "sourceFilters", "fieldAttrs", "typeMeta",
}

// Attributes of a by-value map panel (panelsJSON[].embeddableConfig.attributes)
// that are strings as in a saved map.
var encodedPanelAttrs = []string{"layerListJSON", "mapStateJSON", "uiStateJSON"}

// Encode returns the wire form of a source object: one line of JSON with
// the attributes Kibana keeps as strings turned into strings.
func Encode(o Object) ([]byte, error) {
	c, err := clone(o)
	if err != nil {
		return nil, err
	}
	attrs, _ := c["attributes"].(map[string]any)
	if attrs == nil {
		return nil, fmt.Errorf("object %v has no attributes", c["id"])
	}
	if panels, ok := attrs["panelsJSON"].([]any); ok {
		for _, p := range panels {
			pa, _ := dig(p, "embeddableConfig", "attributes").(map[string]any)
			for _, k := range encodedPanelAttrs {
				if err := encodeAt(pa, k); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, k := range encodedAttrs {
		if err := encodeAt(attrs, k); err != nil {
			return nil, err
		}
	}
	return marshal(c)
}

// Decode is the inverse of Encode: it parses one NDJSON line (an object as
// Kibana exports it) and decodes the JSON-in-string attributes.
func Decode(line []byte) (Object, error) {
	var o Object
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
		return nil, err
	}
	attrs, _ := o["attributes"].(map[string]any)
	if attrs == nil {
		return nil, fmt.Errorf("object %v has no attributes", o["id"])
	}
	for _, k := range encodedAttrs {
		if err := decodeAt(attrs, k); err != nil {
			return nil, fmt.Errorf("object %v: %w", o["id"], err)
		}
	}
	if panels, ok := attrs["panelsJSON"].([]any); ok {
		for _, p := range panels {
			pa, _ := dig(p, "embeddableConfig", "attributes").(map[string]any)
			for _, k := range encodedPanelAttrs {
				if err := decodeAt(pa, k); err != nil {
					return nil, fmt.Errorf("object %v: panel: %w", o["id"], err)
				}
			}
		}
	}
	return o, nil
}

func encodeAt(m map[string]any, dotted string) error {
	parent, key := walk(m, dotted)
	if parent == nil {
		return nil
	}
	v, ok := parent[key]
	if !ok {
		return nil
	}
	if _, isString := v.(string); isString {
		return nil // already encoded
	}
	b, err := marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", dotted, err)
	}
	parent[key] = string(b)
	return nil
}

func decodeAt(m map[string]any, dotted string) error {
	parent, key := walk(m, dotted)
	if parent == nil {
		return nil
	}
	s, ok := parent[key].(string)
	if !ok {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%s is not JSON: %w", dotted, err)
	}
	parent[key] = v
	return nil
}

func walk(m map[string]any, dotted string) (map[string]any, string) {
	parts := strings.Split(dotted, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return nil, ""
		}
		m = next
	}
	if m == nil {
		return nil, ""
	}
	return m, parts[len(parts)-1]
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func clone(o Object) (Object, error) {
	b, err := marshal(o)
	if err != nil {
		return nil, err
	}
	var c Object
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return c, dec.Decode(&c)
}

// IDs returns the ids of the dashboards, in file order.
func IDs() ([]string, error) {
	src, err := Source()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, f := range src {
		if path.Dir(f.Name) == "dashboard" {
			ids = append(ids, f.Object["id"].(string))
		}
	}
	return ids, nil
}
