package grok

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"

	vj "github.com/vjeantet/grok"

	"github.com/shipper-project/shipper/patterns"
)

// bundledDefs returns the definitions of the bundled pattern files, to load
// them into vjeantet/grok for the differential test and the benchmark.
func bundledDefs(t testing.TB) map[string]string {
	t.Helper()
	defs := map[string]string{}
	names, _ := fs.Glob(patterns.FS, "*")
	for _, n := range names {
		data, err := fs.ReadFile(patterns.FS, n)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if l == "" || l[0] == '#' {
				continue
			}
			k, v, _ := strings.Cut(l, " ")
			defs[k] = strings.TrimSpace(v)
		}
	}
	return defs
}

// newVJ returns vjeantet/grok loaded with the bundled patterns, configured
// the way our matcher behaves: only named captures, empty values left out.
func newVJ(t testing.TB) *vj.Grok {
	t.Helper()
	g, err := vj.NewWithConfig(&vj.Config{NamedCapturesOnly: true, RemoveEmptyValues: true, Patterns: bundledDefs(t)})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// readLines returns the non-empty lines of a testdata file.
func readLines(t testing.TB, name string) []string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
