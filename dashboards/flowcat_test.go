package dashboards

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/shipper/fields"
)

// CatalogWithFlows is the built-in catalog plus the netflow and sflow
// inputs' fields.yml while those inputs are not registered yet: their
// catalogs landed first so that the Flows dashboard could be built
// (issue 16). Once registered, Builtin has them and the files are not read.
func CatalogWithFlows(t testing.TB) fields.Catalog {
	t.Helper()
	cat, err := fields.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"netflow", "sflow"} {
		if _, ok := inputs.Lookup(name); ok {
			continue
		}
		b, err := os.ReadFile(filepath.Join("..", "inputs", name, "fields.yml"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := fields.Parse(map[string][]byte{name: b})
		if err != nil {
			t.Fatal(err)
		}
		for k, f := range c {
			if old, ok := cat[k]; ok && old.Type != f.Type {
				t.Errorf("field %s is %s in %s but %s in inputs/%s/fields.yml", k, old.Type, old.Source, f.Type, name)
			}
			cat[k] = f
		}
	}
	return cat
}
