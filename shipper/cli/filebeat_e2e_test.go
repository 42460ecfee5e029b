package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// e2eFilebeatYML is written the way Filebeat's reference configuration
// (filebeat.reference.yml) writes one: its comments, filebeat.inputs with a
// disabled input, an output disabled in place, filebeat.registry.*, global
// tags, fields and processors. ${E2E_DIR} is the test's directory.
const e2eFilebeatYML = `###################### Filebeat Configuration Example #########################

# ============================== Filebeat inputs ===============================

filebeat.inputs:

# Each - is an input. Most options can be set at the input level, so
# you can use different inputs for various configurations.
- type: filestream

  # Unique ID among all inputs, an ID is required.
  id: billing-app

  # Change to true to enable this input configuration.
  enabled: true

  # Paths that should be crawled and fetched. Glob based paths.
  paths:
    - ${E2E_DIR}/app/*.log

  # Exclude lines. A list of regular expressions to match. It drops the lines that are
  # matching any regular expression from the list.
  exclude_lines: ['DEBUG']

  parsers:
    - multiline:
        type: pattern
        pattern: '^\d{4}-\d{2}-\d{2}'
        negate: true
        match: after

  fields:
    app: billing

  processors:
    - dissect:
        tokenizer: "%{date} %{time} %{level} %{text}"
        field: "message"
        target_prefix: "log_parts"
    - drop_event:
        when:
          equals:
            log_parts.level: TRACE

- type: filestream
  id: auth-json
  paths:
    - ${E2E_DIR}/json/*.ndjson
  parsers:
    - ndjson:
        target: ""
        add_error_key: true
  processors:
    - rename:
        fields:
          - from: "user"
            to: "user.name"
        ignore_missing: true
    - convert:
        fields:
          - {from: "count", type: "integer"}
        ignore_missing: true
    - add_tags:
        tags: [auth-failure]
        when:
          equals:
            ok: false

- type: squid
  id: squid-access
  paths:
    - ${E2E_DIR}/squid/access.log
  processors:
    - add_tags:
        tags: [internal-client]
        when:
          network:
            source.ip: private

- type: filestream
  id: old-logs
  enabled: false
  paths:
    - /var/log/*.log

# ================================== General ===================================

tags: ["router", "e2e"]

fields:
  env: staging

# ================================= Processors =================================
processors:
  - add_fields:
      target: project
      fields:
        name: myproject
        id: '574734885120952459'
  - drop_fields:
      fields: ["agent.ephemeral_id"]
      ignore_missing: true

# ================================== Outputs ===================================

# ---------------------------- Elasticsearch Output ----------------------------
output.elasticsearch:
  enabled: false
  # Array of hosts to connect to.
  hosts: ["localhost:9200"]

# ------------------------------- File Output ----------------------------------
output.file:
  path: "${E2E_DIR}/out"
  filename: filebeat

# ================================== Paths =====================================
path.data: ${E2E_DIR}/data
filebeat.registry.path: registry
filebeat.registry.flush: 0
logging.metrics.enabled: false
`

// e2eExpected are the documents Filebeat gives for the fixtures below,
// field by field, in (log.file.path, log.offset) order. Left out of the
// comparison and checked apart: agent.* and host.name (this machine),
// @timestamp of filestream lines (the time they were read).
//
// Known differences from Filebeat 8.x, not in these documents: Filebeat's
// filestream also writes log.file.device_id, log.file.inode and (with the
// fingerprint identity) log.file.fingerprint; agent.type is "shipper", not
// "filebeat".
var e2eExpected = []string{
	`{"ecs": {"version": "8.11.0"}, "fields": {"app": "billing", "env": "staging"}, "input": {"type": "filestream"}, "log": {"file": {"path": "@DIR@/app/billing.log"}, "offset": 0}, "log_parts": {"date": "2026-12-03", "level": "INFO", "text": "started billing", "time": "10:00:00"}, "message": "2026-12-03 10:00:00 INFO started billing", "project": {"id": "574734885120952459", "name": "myproject"}, "tags": ["router", "e2e"]}`,
	`{"ecs": {"version": "8.11.0"}, "fields": {"app": "billing", "env": "staging"}, "input": {"type": "filestream"}, "log": {"file": {"path": "@DIR@/app/billing.log"}, "flags": ["multiline"], "offset": 41}, "log_parts": {"date": "2026-12-03", "level": "ERROR", "text": "payment failed\n  at charge(card.go:12)\n  at main(main.go:3)", "time": "10:00:01"}, "message": "2026-12-03 10:00:01 ERROR payment failed\n  at charge(card.go:12)\n  at main(main.go:3)", "project": {"id": "574734885120952459", "name": "myproject"}, "tags": ["router", "e2e"]}`,
	`{"action": "login", "ecs": {"version": "8.11.0"}, "fields": {"env": "staging"}, "input": {"type": "filestream"}, "log": {"file": {"path": "@DIR@/json/auth.ndjson"}, "offset": 0}, "ok": true, "project": {"id": "574734885120952459", "name": "myproject"}, "tags": ["router", "e2e"], "user": {"name": "bob"}}`,
	`{"action": "sudo", "count": 3, "ecs": {"version": "8.11.0"}, "fields": {"env": "staging"}, "input": {"type": "filestream"}, "log": {"file": {"path": "@DIR@/json/auth.ndjson"}, "offset": 42}, "ok": false, "project": {"id": "574734885120952459", "name": "myproject"}, "tags": ["router", "e2e", "auth-failure"], "user": {"name": "eve"}}`,
	`{"ecs": {"version": "8.11.0"}, "error": {"message": "Error decoding JSON: invalid character 'o' in literal null (expecting 'u')", "type": "json"}, "fields": {"env": "staging"}, "input": {"type": "filestream"}, "log": {"file": {"path": "@DIR@/json/auth.ndjson"}, "offset": 96}, "message": "not json at all", "project": {"id": "574734885120952459", "name": "myproject"}, "tags": ["router", "e2e"]}`,
	`{"@timestamp": "2026-11-25T08:11:50.001Z", "destination": {"address": "93.184.216.34", "ip": "93.184.216.34"}, "ecs": {"version": "8.11.0"}, "event": {"action": "TCP_TUNNEL", "category": ["web", "network"], "dataset": "squid.access", "duration": 120000000, "kind": "event", "module": "squid", "outcome": "success", "type": ["access"]}, "fields": {"env": "staging"}, "http": {"request": {"method": "CONNECT"}, "response": {"bytes": 5120, "status_code": 200}}, "input": {"type": "squid"}, "log": {"file": {"path": "@DIR@/squid/access.log"}, "offset": 0}, "message": "1795594310.001    120 192.168.1.20 TCP_TUNNEL/200 5120 CONNECT www.example.org:443 alice HIER_DIRECT/93.184.216.34 -", "observer": {"product": "Squid", "type": "proxy", "vendor": "Squid"}, "project": {"id": "574734885120952459", "name": "myproject"}, "related": {"ip": ["192.168.1.20", "93.184.216.34"], "user": ["alice"]}, "source": {"ip": "192.168.1.20"}, "squid": {"hierarchy_code": "HIER_DIRECT", "request": {"duration": 120}}, "tags": ["router", "e2e", "internal-client"], "url": {"domain": "www.example.org", "original": "www.example.org:443", "port": 443}, "user": {"name": "alice"}}`,
	`{"@timestamp": "2026-11-25T08:11:51.5Z", "destination": {"address": "93.184.216.34", "ip": "93.184.216.34"}, "ecs": {"version": "8.11.0"}, "event": {"action": "TCP_MISS", "category": ["web", "network"], "dataset": "squid.access", "duration": 35000000, "kind": "event", "module": "squid", "outcome": "failure", "type": ["access"]}, "fields": {"env": "staging"}, "http": {"request": {"method": "GET"}, "response": {"bytes": 512, "status_code": 404}}, "input": {"type": "squid"}, "log": {"file": {"path": "@DIR@/squid/access.log"}, "offset": 117}, "message": "1795594311.500     35 203.0.113.7 TCP_MISS/404 512 GET http://example.com/missing - HIER_DIRECT/93.184.216.34 text/html", "observer": {"product": "Squid", "type": "proxy", "vendor": "Squid"}, "project": {"id": "574734885120952459", "name": "myproject"}, "related": {"ip": ["203.0.113.7", "93.184.216.34"]}, "source": {"ip": "203.0.113.7"}, "squid": {"content_type": "text/html", "hierarchy_code": "HIER_DIRECT", "request": {"duration": 35}}, "tags": ["router", "e2e"], "url": {"domain": "example.com", "original": "http://example.com/missing", "path": "/missing", "scheme": "http"}}`,
}

// Issue 15: an unchanged filebeat.yml with several inputs (filestream with
// multiline and ndjson parsers and exclude_lines, squid), conditions
// (equals, network: private) and processors (dissect, drop_event, rename,
// convert, add_tags, add_fields, drop_fields), run with --once: every
// document compared field by field; a second run ships nothing.
func TestFilebeatYMLEndToEnd(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("E2E_DIR", dir)
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("app/billing.log", "2026-12-03 10:00:00 INFO started billing\n"+
		"2026-12-03 10:00:01 ERROR payment failed\n  at charge(card.go:12)\n  at main(main.go:3)\n"+
		"2026-12-03 10:00:02 TRACE noisy detail\n"+ // dropped by drop_event when equals
		"2026-12-03 10:00:03 DEBUG cache warm\n") // dropped by exclude_lines
	write("json/auth.ndjson", `{"user":"bob","action":"login","ok":true}`+"\n"+
		`{"user":"eve","action":"sudo","ok":false,"count":"3"}`+"\n"+
		"not json at all\n")
	write("squid/access.log", "1795594310.001    120 192.168.1.20 TCP_TUNNEL/200 5120 CONNECT www.example.org:443 alice HIER_DIRECT/93.184.216.34 -\n"+
		"1795594311.500     35 203.0.113.7 TCP_MISS/404 512 GET http://example.com/missing - HIER_DIRECT/93.184.216.34 text/html\n")
	write("filebeat.yml", e2eFilebeatYML)
	cfgFile := filepath.Join(dir, "filebeat.yml")

	if code, out, errs := cmd(t, "", "test", "config", "-c", cfgFile); code != ExitOK {
		t.Fatalf("test config: exit %d\n%s%s", code, out, errs)
	}
	start := time.Now()
	if code, out, errs := cmd(t, "", "-e", "run", "--once", "-c", cfgFile); code != ExitOK {
		t.Fatalf("run --once: exit %d\n%s%s", code, out, errs)
	}
	end := time.Now()
	if _, err := os.Stat(filepath.Join(dir, "data", "registry", "registry.json")); err != nil {
		t.Errorf("filebeat.registry.path: %v", err)
	}
	got := readDocs(t, filepath.Join(dir, "out", "filebeat"))
	host, _ := os.Hostname()
	for i, d := range got {
		agent, _ := d["agent"].(map[string]any)
		if agent["name"] != host || agent["type"] != "shipper" || agent["id"] == "" || agent["version"] == "" {
			t.Errorf("document %d: agent = %v, want name %q, type shipper, an id and a version", i, agent, host)
		}
		if h, _ := d["host"].(map[string]any); h["name"] != host {
			t.Errorf("document %d: host = %v, want name %q", i, d["host"], host)
		}
		delete(d, "agent")
		delete(d, "host")
		if in, _ := d["input"].(map[string]any); in["type"] == "filestream" {
			ts, err := time.Parse(time.RFC3339Nano, d["@timestamp"].(string))
			if err != nil || ts.Before(start.Add(-time.Second)) || ts.After(end.Add(time.Second)) {
				t.Errorf("document %d: @timestamp %v is not the time it was read (%s…%s)", i, d["@timestamp"], start, end)
			}
			delete(d, "@timestamp")
		}
	}
	sort.Slice(got, func(i, j int) bool {
		pi, pj := docPath(got[i]), docPath(got[j])
		if pi != pj {
			return pi < pj
		}
		return docOffset(got[i]) < docOffset(got[j])
	})
	var want []map[string]any
	for _, w := range e2eExpected {
		var d map[string]any
		if err := json.Unmarshal([]byte(strings.ReplaceAll(w, "@DIR@", dir)), &d); err != nil {
			t.Fatalf("expected document %s: %v", w, err)
		}
		want = append(want, d)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("documents (-want +got):\n%s", d)
	}

	// A second run resumes from the registry: nothing new to ship.
	if code, out, errs := cmd(t, "", "run", "--once", "-c", cfgFile); code != ExitOK {
		t.Fatalf("second run --once: exit %d\n%s%s", code, out, errs)
	}
	if again := readDocs(t, filepath.Join(dir, "out", "filebeat")); len(again) != len(e2eExpected) {
		t.Errorf("after a second run the output holds %d documents, want still %d", len(again), len(e2eExpected))
	}
}

func readDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var d map[string]any
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		docs = append(docs, d)
	}
	return docs
}

func docPath(d map[string]any) string {
	l, _ := d["log"].(map[string]any)
	f, _ := l["file"].(map[string]any)
	p, _ := f["path"].(string)
	return p
}

func docOffset(d map[string]any) float64 {
	l, _ := d["log"].(map[string]any)
	o, _ := l["offset"].(float64)
	return o
}
