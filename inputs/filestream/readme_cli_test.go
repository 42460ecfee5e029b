package filestream_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/shipper/cli"
)

// `shipper test config` accepts the README's defaults block as it is.
func TestREADMEDefaultsPassTestConfig(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Configuration \\(defaults shown\\)\n.*?```yaml\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("no defaults block in README.md")
	}
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("shipper.inputs:\n")
	for _, l := range strings.Split(strings.TrimRight(string(m[1]), "\n"), "\n") {
		cfg.WriteString("  " + l + "\n")
	}
	cfg.WriteString("output.console: {}\npath.data: " + filepath.Join(dir, "data") + "\n")
	file := filepath.Join(dir, "shipper.yml")
	if err := os.WriteFile(file, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := cli.TestConfig([]string{"-c", file}, &out, &errb); code != 0 {
		t.Fatalf("test config exit %d:\n%s\n%s\nconfig:\n%s", code, out.String(), errb.String(), cfg.String())
	}
}
