package config

import (
	"testing"
)

// FuzzLoadBytes: no panic on any text and any -E, and a usable result or
// an error (the loader walks YAML nodes by hand: dotted keys, coercion,
// the syntax error's line, the refused keys).
func FuzzLoadBytes(f *testing.F) {
	f.Add("filebeat.inputs:\n- {type: filestream, id: a, paths: [x], close.inactive: 90}\noutput.console: {enabled: true}\n", "output.file.enabled=false")
	f.Add("shipper.inputs:\n  - type: squid\n    id: a\n   paths: [x]\n", "queue.mem.events=abc")
	f.Add("filebeat.config:\n  modules:\n    path: x\nfields: {a: {b: 1}}\nfields_under_root: \"true\"\n", "filebeat.inputs=[{type: nope}]")
	f.Add("a: &x {b: *x}\n", "a.b.c=1")
	f.Add("output: [1, 2]\nfilebeat.registry.file_permissions: 0o600\n", "=")
	f.Fuzz(func(t *testing.T, yml, override string) {
		c, err := LoadBytes([]byte(yml), "f.yml", []string{override})
		if c == nil && err == nil {
			t.Fatalf("LoadBytes(%q, -E %q) = nil, nil", yml, override)
		}
		if c != nil {
			c.Export()
		}
	})
}
