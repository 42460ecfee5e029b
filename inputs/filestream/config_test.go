package filestream

import (
	"context"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/shipper/config"
)

// decodeYAML decodes one filestream input section the way the factory does,
// over the defaults, with the errors the loader gives (file:line: key).
func decodeYAML(t *testing.T, yml string) (Config, error) {
	t.Helper()
	root, err := config.Parse([]byte("shipper.inputs:\n"+yml), "shipper.yml", nil)
	if err != nil {
		return Config{}, err
	}
	sec := config.Section{Node: config.Section{Node: root}.Lookup("shipper.inputs").Content[0], File: "shipper.yml", Path: "shipper.inputs[0]"}
	cfg := DefaultConfig()
	err = sec.Decode(&cfg, inputs.CommonKeys...)
	return cfg, err
}

func mustDecode(t *testing.T, yml string) Config {
	t.Helper()
	cfg, err := decodeYAML(t, yml)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A rotated .gz next to the log was shipped as garbage: exclude_files was
// read as a glob, and Filebeat's regex `\.gz$` matched nothing (issue 15).
func TestExcludeFilesAreRegexes(t *testing.T) {
	for _, key := range []string{"prospector.scanner.exclude_files", "exclude_files"} {
		t.Run(key, func(t *testing.T) {
			s := newScenario(t)
			s.write("app.log", "one\n", "two\n")
			s.write("app.log.1.gz", "\x1f\x8b\x08\x00garbage\n", "more\x00garbage\n")
			cfg := mustDecode(t, "  - type: filestream\n    id: t\n    paths: ['"+s.path("app.log*")+"']\n    "+key+": ['\\.gz$']\n")
			cfg.Prospector.Scanner.Fingerprint.Length = 64
			got := s.runOnce(cfg)
			eq(t, "shipped", got, []string{"one", "two"})
		})
	}
}

// The default excludes compressed rotations (a router-specific default:
// Filebeat has none), as a regex on the full path.
func TestDefaultExcludesGz(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", "one\n")
	s.write("app.log.2.gz", "\x1f\x8b\x08\x00garbage\n")
	got := s.runOnce(s.config("app.log*"))
	eq(t, "shipped", got, []string{"one"})
}

func TestIncludeFilesRegex(t *testing.T) {
	s := newScenario(t)
	s.write("a.log", "a\n")
	s.write("b.txt", "b\n")
	cfg := mustDecode(t, "  - type: filestream\n    id: t\n    paths: ['"+s.path("*")+"']\n    prospector.scanner.include_files: ['\\.log$']\n")
	got := s.runOnce(cfg)
	eq(t, "shipped", got, []string{"a"})
}

// Bad keys are errors naming file, line and key.
func TestConfigErrorsNameFileLineKey(t *testing.T) {
	for _, c := range []struct{ yml, want string }{
		{"    exclude_files: ['*.gz']\n", "shipper.yml:6: shipper.inputs[0].exclude_files[0]: "},
		{"    prospector.scanner.exclude_files: ['(']\n", "shipper.yml:6: shipper.inputs[0].prospector.scanner.exclude_files[0]: "},
	} {
		_, err := decodeYAML(t, "  - type: filestream\n    id: t\n    paths: [/tmp/x]\n"+"    #\n"+c.yml)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.yml, err, c.want)
		}
	}
}

var _ = context.Background
