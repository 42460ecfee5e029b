package all_test

import (
	"log/slog"
	"strings"
	"testing"

	_ "github.com/shipper-project/shipper/inputs/all"
	_ "github.com/shipper-project/shipper/outputs/all"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/runner"
)

// TestBadProcessorConfigs: what `shipper test config` checks — a filebeat.yml
// with global and per-input processors, each mistake an error naming the
// file, the line and the key, all reported at once.
func TestBadProcessorConfigs(t *testing.T) {
	yml := `filebeat.inputs:
  - type: filestream
    id: app
    paths: [/tmp/none.log]
    processors:
      - add_field:
          fields: {a: 1}
      - drop_event:
          when:
            regexp:
              message: "^(GET"
processors:
  - rename:
      fields: [{from: a, to: b}]
      when:
        equal:
          status: OK
  - if:
      range.http.response.code.gte: high
    then:
      - drop_event:
  - drop_fields:
      fields: [a]
      when:
        equals: {a: 1}
        contains: {b: x}
  - add_tags:
      tags: [x]
      enabled: false
output.console: {}
`
	cfg, err := config.LoadBytes([]byte(yml), "filebeat.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = runner.Check(cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	for _, want := range []string{
		`filebeat.yml:16: processors[0].rename.when.equal: unknown condition "equal" (known: equals, contains, regexp, range, has_fields, network, or, and, not)`,
		`filebeat.yml:19: processors[1].if.range.http.response.code.gte: strconv.ParseFloat: parsing "high": invalid syntax`,
		`filebeat.yml:26: processors[2].drop_fields.when.contains: a condition has exactly one operator, found 2 (equals, contains); combine them with and/or`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	// The input's processors are checked too (Check stops at the global
	// list's errors, as the runner builds it first): check them alone.
	cfg, err = config.LoadBytes([]byte(strings.SplitAfter(yml, "              message: \"^(GET\"\n")[0]+"output.console: {}\n"), "filebeat.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = runner.Check(cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("no error for the input's processors")
	}
	for _, want := range []string{
		`filebeat.yml:6: filebeat.inputs[0].processors[0].add_field: unknown processor "add_field" (known: add_fields, `,
		"filebeat.yml:11: filebeat.inputs[0].processors[1].drop_event.when.regexp.message: error parsing regexp: missing closing ): `^(GET`",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, err)
		}
	}
}
