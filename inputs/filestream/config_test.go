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
		{"    exclude_files: ['*.gz']\n", "shipper.yml:6: shipper.inputs[0].exclude_files[0]: invalid regular expression"},
		{"    prospector.scanner.exclude_files: ['(']\n", "shipper.yml:6: shipper.inputs[0].prospector.scanner.exclude_files[0]: invalid regular expression"},
		{"    include_lines: ['[']\n", "shipper.yml:6: shipper.inputs[0].include_lines[0]: invalid regular expression"},
		{"    encoding: utf-16le\n", `shipper.yml:6: shipper.inputs[0].encoding: encoding "utf-16le" is not supported`},
		{"    line_terminator: null_terminator\n", `shipper.yml:6: shipper.inputs[0].line_terminator: "null_terminator" is not supported`},
		{"    take_over: true\n", "shipper.yml:6: shipper.inputs[0].take_over: not supported: taking over"},
		{"    delete.enabled: true\n", "shipper.yml:6: shipper.inputs[0].delete.enabled: not supported: the shipper never deletes"},
		{"    prospector.scanner.resend_on_touch: true\n", "shipper.yml:6: shipper.inputs[0].prospector.scanner.resend_on_touch: not supported"},
		{"    file_identity.inode_marker.path: /x\n", "shipper.yml:6: shipper.inputs[0].file_identity.inode_marker.path: file_identity.inode_marker is not supported"},
		{"    file_identity: inode\n", `shipper.yml:6: shipper.inputs[0].file_identity: unknown file_identity "inode"`},
		{"    ignore_inactive: since_ever\n", `shipper.yml:6: shipper.inputs[0].ignore_inactive: unknown "since_ever"`},
		{"    close.reader.on_eoff: true\n", `shipper.yml:6: shipper.inputs[0].close.reader.on_eoff: unknown key "on_eoff" (did you mean "on_eof"?)`},
		{"    rotation.external.strategy.copytruncate: {dateformat: -20060102}\n", "shipper.inputs[0].rotation.external.strategy.copytruncate.suffix_regex: required"},
		{"    rotation.external.strategy.copytruncate.suffix_regex: '('\n", "shipper.yml:6: shipper.inputs[0].rotation.external.strategy.copytruncate.suffix_regex: invalid regular expression"},
		{"    parsers:\n      - multiline: {type: pattern, match: after}\n", "shipper.yml:7: shipper.inputs[0].parsers[0].multiline.pattern: required for type pattern"},
		{"    parsers:\n      - multiline: {type: pattern, match: after, pattern: '['}\n", "shipper.yml:7: shipper.inputs[0].parsers[0].multiline.pattern: invalid regular expression"},
		{"    parsers:\n      - ndjson: {target: '', overwrite_keyz: true}\n", `shipper.yml:7: shipper.inputs[0].parsers[0].ndjson.overwrite_keyz: unknown key "overwrite_keyz" (did you mean "overwrite_keys"?)`},
		{"    parsers:\n      - multiline:\n          pattern: '^a'\n          match: sideways\n", `shipper.yml:9: shipper.inputs[0].parsers[0].multiline.match: want after or before, got "sideways"`},
		{"    parsers:\n      - multiline:\n          pattern: '(('\n          match: after\n", "shipper.yml:8: shipper.inputs[0].parsers[0].multiline.pattern: invalid regular expression"},
		{"    parsers:\n      - multiline:\n          type: count\n", "shipper.yml:8: shipper.inputs[0].parsers[0].multiline.count_lines: must be > 0"},
		{"    parsers:\n      - multiline:\n          type: lines\n", `shipper.yml:8: shipper.inputs[0].parsers[0].multiline.type: unknown "lines"`},
		{"    parsers:\n      - multiline:\n          patern: x\n", `shipper.yml:8: shipper.inputs[0].parsers[0].multiline.patern: unknown key "patern" (did you mean "pattern"?)`},
		{"    parsers:\n      - ndjson:\n          targte: j\n", `shipper.yml:8: shipper.inputs[0].parsers[0].ndjson.targte: unknown key "targte" (did you mean "target"?)`},
		{"    parsers:\n      - ndjson:\n          field: j\n", `shipper.yml:8: shipper.inputs[0].parsers[0].ndjson.field: not supported`},
		{"    parsers:\n      - container: {}\n", `shipper.yml:7: shipper.inputs[0].parsers[0]: parser "container" is not supported`},
		{"    parsers:\n      - xml: {}\n", `shipper.yml:7: shipper.inputs[0].parsers[0]: unknown parser "xml"`},
	} {
		_, err := decodeYAML(t, "  - type: filestream\n    id: t\n    paths: [/tmp/x]\n"+"    #\n"+c.yml)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s got  %v\nwant %q", c.yml, err, c.want)
		}
	}
}

func TestTwoDoubleStarsRefused(t *testing.T) {
	_, err := decodeYAML(t, "  - type: filestream\n    id: t\n    paths: ['/a/**/b/**/c']\n")
	if err == nil || !strings.Contains(err.Error(), "shipper.yml:4: shipper.inputs[0].paths: more than one ** in") {
		t.Fatalf("got %v", err)
	}
}

// Filebeat spellings that mean what the shipper does anyway are accepted.
func TestFilebeatSpellingsAccepted(t *testing.T) {
	cfg := mustDecode(t, `  - type: filestream
    id: t
    paths: [/var/log/app.log]
    file_identity.native: ~
    take_over.enabled: false
    allow_deprecated_id_duplication: false
    prospector.scanner.fingerprint.enabled: false
    clean_inactive: -1s
    ignore_older: 0s
    close.on_state_change.renamed: true
    close.on_state_change.check_interval: 5s
    close.reader.on_eof: false
    close.reader.after_interval: 0s
    parsers:
      - multiline: {type: while-pattern, pattern: '^\s'}
      - ndjson: {keys_under_root: true}
`)
	if cfg.FileIdentity != "native" || cfg.Parsers[0].Multiline.Type != "while_pattern" {
		t.Errorf("decoded %+v", cfg)
	}
}

var _ = context.Background
