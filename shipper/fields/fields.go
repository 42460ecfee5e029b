// Package fields is the field catalog: the ECS base fields plus every
// plugin's fields.yml, merged. It renders the composable index template
// (`shipper export template`, `shipper setup --index-management`) and checks
// documents against it in tests, so that a field the template does not know
// (which Elasticsearch would map dynamically, as the wrong type) fails a test
// instead of breaking a dashboard.
package fields

import (
	_ "embed"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/version"
)

//go:embed base.yml
var baseYAML []byte

// Field is one catalog entry.
type Field struct {
	Name        string `yaml:"name"`
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	Source      string `yaml:"-"` // the catalog it came from
}

// Catalog maps dotted names to fields.
type Catalog map[string]Field

var knownTypes = map[string]bool{
	"keyword": true, "constant_keyword": true, "wildcard": true, "text": true, "match_only_text": true,
	"long": true, "integer": true, "short": true, "byte": true, "float": true, "double": true,
	"scaled_float": true, "half_float": true, "unsigned_long": true,
	"boolean": true, "date": true, "ip": true, "geo_point": true, "object": true, "flattened": true,
}

// Parse merges catalogs (fields.yml texts). The same name twice with
// different types is an error.
func Parse(sources map[string][]byte) (Catalog, error) {
	c := Catalog{}
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, src := range names {
		var list []Field
		if err := yaml.Unmarshal(sources[src], &list); err != nil {
			return nil, fmt.Errorf("fields of %s: %w", src, err)
		}
		for _, f := range list {
			if f.Name == "" || !knownTypes[f.Type] {
				return nil, fmt.Errorf("fields of %s: field %q has unknown type %q", src, f.Name, f.Type)
			}
			if old, ok := c[f.Name]; ok && old.Type != f.Type {
				return nil, fmt.Errorf("field %s is %s in %s but %s in %s", f.Name, old.Type, old.Source, f.Type, src)
			}
			f.Source = src
			c[f.Name] = f
		}
	}
	return c, nil
}

// Builtin returns the catalog of the base fields and every registered input
// and processor.
func Builtin() (Catalog, error) {
	src := map[string][]byte{"base": baseYAML}
	for _, p := range inputs.All() {
		if len(p.Fields) > 0 {
			src["input "+p.Name] = p.Fields
		}
	}
	for _, p := range processors.All() {
		if len(p.Fields) > 0 {
			src["processor "+p.Name] = p.Fields
		}
	}
	return Parse(src)
}

// WithBase parses the base fields plus the given catalogs, for plugin tests.
func WithBase(catalogs ...[]byte) (Catalog, error) {
	src := map[string][]byte{"base": baseYAML}
	for i, c := range catalogs {
		src[fmt.Sprintf("catalog %d", i)] = c
	}
	return Parse(src)
}

// Check reports every field of e that the catalog (base fields plus
// catalogs) does not know or whose value does not fit its type.
func Check(e *event.Event, catalogs ...[]byte) error {
	c, err := WithBase(catalogs...)
	if err != nil {
		return err
	}
	return c.Check(e)
}

// Check reports every field of e unknown to c or of the wrong type.
func (c Catalog) Check(e *event.Event) error {
	var problems []string
	var walk func(key string, v any)
	walk = func(key string, v any) {
		f, ok := c[key]
		if !ok {
			if m, isMap := v.(map[string]any); isMap {
				for k, sub := range m {
					walk(key+"."+k, sub)
				}
				return
			}
			problems = append(problems, fmt.Sprintf("%s: not in the field catalog (value %v)", key, v))
			return
		}
		if msg := typeMismatch(f.Type, v); msg != "" {
			problems = append(problems, fmt.Sprintf("%s: catalog type %s, %s", key, f.Type, msg))
		}
	}
	for _, fl := range e.Fields {
		walk(fl.Key, fl.Value)
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return fmt.Errorf("document does not match the field catalog:\n  %s", strings.Join(problems, "\n  "))
}

func typeMismatch(typ string, v any) string {
	switch x := v.(type) {
	case []string:
		for _, s := range x {
			if m := typeMismatch(typ, s); m != "" {
				return m
			}
		}
		return ""
	case []any:
		for _, s := range x {
			if m := typeMismatch(typ, s); m != "" {
				return m
			}
		}
		return ""
	}
	switch typ {
	case "keyword", "constant_keyword", "wildcard", "text", "match_only_text":
		if _, ok := v.(string); ok {
			return ""
		}
	case "long", "integer", "short", "byte", "unsigned_long":
		switch v.(type) {
		case int, int64, int32, uint64, uint32, uint:
			return ""
		}
	case "float", "double", "scaled_float", "half_float":
		switch v.(type) {
		case float64, float32, int, int64, uint64:
			return ""
		}
	case "boolean":
		if _, ok := v.(bool); ok {
			return ""
		}
	case "date":
		switch v.(type) {
		case time.Time, string:
			return ""
		}
	case "ip":
		if s, ok := v.(string); ok {
			if _, err := netip.ParseAddr(s); err == nil {
				return ""
			}
			return fmt.Sprintf("value %q is not an IP address", s)
		}
	case "geo_point":
		if _, ok := v.(event.GeoPoint); ok {
			return ""
		}
	case "object", "flattened":
		if _, ok := v.(map[string]any); ok {
			return ""
		}
	}
	return fmt.Sprintf("value %v has Go type %T", v, v)
}

// Template renders the composable index template for the index patterns.
// Single node, router-sized cluster defaults: 1 shard, 0 replicas.
func (c Catalog) Template(patterns []string) map[string]any {
	props := map[string]any{}
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := c[n]
		m := props
		parts := strings.Split(n, ".")
		for _, p := range parts[:len(parts)-1] {
			obj, ok := m[p].(map[string]any)
			if !ok {
				obj = map[string]any{"properties": map[string]any{}}
				m[p] = obj
			}
			m = obj["properties"].(map[string]any)
		}
		m[parts[len(parts)-1]] = mapping(f.Type)
	}
	return map[string]any{
		"index_patterns": patterns,
		"priority":       150,
		"data_stream":    map[string]any{},
		"template": map[string]any{
			"settings": map[string]any{
				"index": map[string]any{
					"number_of_shards":   1,
					"number_of_replicas": 0,
					"mapping": map[string]any{
						"total_fields": map[string]any{"limit": 10000},
					},
				},
			},
			"mappings": map[string]any{
				"dynamic_templates": []any{
					map[string]any{"strings_as_keyword": map[string]any{
						"match_mapping_type": "string",
						"mapping":            map[string]any{"type": "keyword", "ignore_above": 1024},
					}},
				},
				"properties": props,
			},
		},
		"_meta": map[string]any{"managed_by": "shipper", "version": version.Version, "ecs_version": version.ECS},
	}
}

func mapping(typ string) map[string]any {
	switch typ {
	case "keyword":
		return map[string]any{"type": "keyword", "ignore_above": 1024}
	case "scaled_float":
		return map[string]any{"type": "scaled_float", "scaling_factor": 1000}
	case "object":
		return map[string]any{"type": "object"}
	}
	return map[string]any{"type": typ}
}
