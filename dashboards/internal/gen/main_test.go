package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFilesUpToDate fails when the committed JSON files are not what this
// program writes: run `go generate ./dashboards` and review the diff.
func TestFilesUpToDate(t *testing.T) {
	files, err := render(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..")
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./dashboards)", name, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from the generator's output (run go generate ./dashboards; a data view's fieldFormatMap follows the fields.yml of its inputs, so a changed fields.yml needs it too)", name)
		}
	}
	for _, sub := range []string{"dashboard", "index-pattern"} {
		on, _ := filepath.Glob(filepath.Join(dir, sub, "*.json"))
		for _, f := range on {
			rel, _ := filepath.Rel(dir, f)
			if _, ok := files[rel]; !ok {
				t.Errorf("%s is not written by the generator (remove it or add it to gen)", rel)
			}
		}
	}
}
