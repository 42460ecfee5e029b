package config

import (
	"strings"
	"testing"
	"time"
)

// An unchanged filebeat.yml: filebeat.inputs, filebeat.registry.*, disabled
// outputs and inputs, global fields_under_root (issue 15).
func TestLoadFilebeatYML(t *testing.T) {
	yml := `filebeat.inputs:
- type: filestream
  id: squid
  enabled: true
  paths: [/var/log/squid/access.log]
- type: filestream
  id: off
  enabled: false
  paths: [/x]
filebeat.registry.path: reg
filebeat.registry.flush: 5
filebeat.registry.file_permissions: 0600
filebeat.shutdown_timeout: 3s
fields_under_root: true
fields: {env: prod}
max_procs: "2"
output.logstash:
  enabled: false
  hosts: ["localhost:5044"]
output.elasticsearch:
  enabled: false
  hosts: ["https://es:9200"]
output.console:
  enabled: true
  pretty: true
`
	c, err := LoadBytes([]byte(yml), "filebeat.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Shipper.Inputs); n != 2 || c.Shipper.Inputs[1].Path != "filebeat.inputs[1]" {
		t.Fatalf("inputs = %d, second at %q; want 2 from filebeat.inputs", n, c.Shipper.Inputs[1].Path)
	}
	if on, _ := c.Shipper.Inputs[1].Enabled(); on {
		t.Errorf("filebeat.inputs[1] enabled, want disabled")
	}
	if c.Shipper.Registry.Path != "reg" || c.Shipper.Registry.Flush != 5*time.Second || c.Shipper.ShutdownTimeout != 3*time.Second {
		t.Errorf("registry path %q flush %s shutdown %s, want reg 5s 3s", c.Shipper.Registry.Path, c.Shipper.Registry.Flush, c.Shipper.ShutdownTimeout)
	}
	if !c.FieldsUnderRoot || c.Fields["env"] != "prod" || c.MaxProcs != 2 {
		t.Errorf("fields_under_root %v fields %v max_procs %d", c.FieldsUnderRoot, c.Fields, c.MaxProcs)
	}
	out, ok := c.Output["console"]
	if len(c.Output) != 1 || !ok {
		t.Fatalf("outputs = %v, want console only", c.Output)
	}
	if out.Lookup("enabled") != nil || out.String("pretty") != "true" {
		t.Errorf("output.console section keeps enabled or lost pretty")
	}
}

// -E switches outputs as in Beats.
func TestOverridesSwitchOutputs(t *testing.T) {
	yml := "filebeat.inputs:\n- {type: filestream, id: a, paths: [x]}\noutput.console:\n  pretty: true\n"
	c, err := LoadBytes([]byte(yml), "filebeat.yml", []string{"output.console.enabled=false", "output.file.enabled=true", "output.file.path=/tmp/out"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Output["file"]; len(c.Output) != 1 || !ok {
		t.Errorf("outputs = %v, want file only", c.Output)
	}
}

func TestFilebeatKeysErrors(t *testing.T) {
	f := func(name, yml string, want ...string) {
		t.Helper()
		_, err := LoadBytes([]byte(yml), "filebeat.yml", nil)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != strings.Join(want, "\n") {
			t.Errorf("%s: error =\n%s\nwant\n%s", name, got, strings.Join(want, "\n"))
		}
	}
	in := "filebeat.inputs:\n- {type: filestream, id: a, paths: [x]}\noutput.console: {}\n"
	f("both inputs lists", in+"shipper.inputs:\n- {type: squid, id: b, paths: [y]}\n",
		"filebeat.yml:1: filebeat.inputs: set twice: also as shipper.inputs on line 5; keep one")
	f("both flushes", in+"filebeat.registry.flush: 1s\nshipper.registry.flush: 2s\n",
		"filebeat.yml:4: filebeat.registry.flush: set twice: also as shipper.registry.flush on line 5; keep one")
	f("config.inputs", in+"filebeat.config.inputs:\n  path: inputs.d/*.yml\n",
		"filebeat.yml:4: filebeat.config.inputs: not supported: inputs are listed in the one configuration file; reload it with SIGHUP (systemctl reload shipper)")
	f("modules", in+"filebeat.config:\n  modules:\n    path: modules.d/*.yml\n",
		"filebeat.yml:5: filebeat.config.modules: not supported: Filebeat modules are not shipped; the squid and snort inputs parse on the router")
	f("file permissions", in+"filebeat.registry.file_permissions: 0644\n",
		"filebeat.yml:4: filebeat.registry.file_permissions: only 0600 is supported (the registry is always written 0600), got 0644")
	f("enabled output typo", in+"output.file: {enabled: nope, path: /tmp}\n",
		`filebeat.yml:4: output.file.enabled: want true or false, got "nope"`,
		"filebeat.yml:3: output: exactly one enabled output is allowed, found 2: output.console, output.file (disable the others with enabled: false)")
	f("all disabled", "filebeat.inputs:\n- {type: filestream, enabled: false}\noutput.console: {enabled: false}\n",
		"filebeat.yml: no enabled output: set exactly one of output.elasticsearch, output.file, output.console",
		"filebeat.yml:1: filebeat.inputs: no enabled inputs: add at least one under filebeat.inputs (or shipper.inputs)")
	f("disabled input not validated", "filebeat.inputs:\n- {type: filestream, id: a, paths: [x]}\n- {enabled: false, id: a}\noutput.console: {}\n")
}

// Issue 19: a file with four mistakes gets four messages, each with its
// line and key.
func TestLoadReportsEveryError(t *testing.T) {
	yml := `filebeat.inputs:
- {type: filestream, id: a, paths: [x]}
- {type: filestream, id: a, paths: [y]}
queue.mem.events: lots
logging.levle: debug
output.console: {}
monitoring.enabled: true
`
	_, err := LoadBytes([]byte(yml), "filebeat.yml", nil)
	want := []string{
		"filebeat.yml:7: monitoring: not supported: metrics are served on http.* (/stats, /metrics), not shipped to a monitoring cluster",
		`filebeat.yml:5: logging.levle: unknown key "levle" (did you mean "level"?)`,
		"filebeat.yml:4: queue.mem.events: cannot unmarshal !!str `lots` into int",
		`filebeat.yml:3: filebeat.inputs[1].id: id "a" is also used by filebeat.inputs[0]; ids must be unique (they key the registry)`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("error =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}
