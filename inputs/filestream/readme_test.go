package filestream

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// readmeBlock returns the YAML block under the README heading.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## " + regexp.QuoteMeta(heading) + "\n.*?```yaml\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatalf("no yaml block under %q in README.md", heading)
	}
	return string(m[1])
}

// The README's defaults block decodes and shows the real defaults.
func TestREADMEDefaults(t *testing.T) {
	yml := readmeBlock(t, "Configuration (defaults shown)")
	got := mustDecode(t, indent(yml))
	want := DefaultConfig()
	want.Paths = []string{"/var/log/app/*.log"}
	if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Config{}), cmpopts.EquateEmpty()); d != "" {
		t.Errorf("README block differs from the defaults (-want +got):\n%s", d)
	}
}

// The README's parsers block decodes, with Filebeat's defaults.
func TestREADMEParsers(t *testing.T) {
	yml := readmeBlock(t, "Parsers")
	got := mustDecode(t, "  - type: filestream\n    id: t\n    paths: [/x]\n"+indent(yml))
	ml := got.Parsers[0].Multiline
	if ml == nil || ml.FlushPattern.Regexp != nil || ml.MaxLines != 500 || ml.Timeout.Seconds() != 5 || got.Parsers[1].NDJSON == nil {
		t.Fatalf("parsers %+v", got.Parsers)
	}
}

// indent puts a README list item under `shipper.inputs:`.
func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}
