package all_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/runner"
)

// TestProcessorsRunGloballyAndPerInput runs a filebeat.yml written as
// Filebeat's reference config writes processors — per input and global,
// with when:, if/then/else and a disabled one — with --once over a real file
// into the file output, and compares every document field by field.
func TestProcessorsRunGloballyAndPerInput(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	lines := "GET /index 200 10.0.0.5\n" +
		"GET /health 200 127.0.0.1\n" +
		"POST /login 403 203.0.113.9\n" +
		"garbage\n"
	if err := os.WriteFile(log, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := fmt.Sprintf(`filebeat.inputs:
  - type: filestream
    id: app
    paths: [%q]
    processors:
      - dissect:
          tokenizer: "%%{http.request.method} %%{url.path} %%{code} %%{client_ip}"
          target_prefix: ""
      - drop_event:
          when:
            equals:
              url.path: /health
      - convert:
          fields:
            - {from: code, to: http.response.status_code, type: long}
            - {from: client_ip, to: source.ip, type: ip}
          mode: rename
          ignore_missing: true
processors:
  - if:
      range.http.response.status_code.gte: 400
    then:
      - add_tags: {tags: [denied]}
    else:
      - add_labels: {labels: {outcome: ok}}
  - add_fields:
      target: ''
      fields: {observer.vendor: acme}
      when.network.source.ip: public
  - drop_fields:
      fields: [agent, ecs, host, input, log, "/^dissect/"]
      ignore_missing: true
  - rename:
      fields: [{from: url.path, to: url.original}]
      ignore_missing: true
  - add_tags:
      tags: [never]
      enabled: false
output.file:
  path: %q
  filename: out.ndjson
path.data: %q
logging.level: warning
`, log, dir, filepath.Join(dir, "data"))
	cfg, err := config.LoadBytes([]byte(yml), "filebeat.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(cfg, runner.Options{Once: true}, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "out.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		delete(d, "@timestamp")
		if e, ok := d["error"].(map[string]any); ok && strings.HasPrefix(fmt.Sprint(e["message"]), "dissect") {
			e["message"] = "(dissect's)"
		}
		b, _ := json.Marshal(d)
		got = append(got, string(b))
	}
	want := []string{
		`{"http":{"request":{"method":"GET"},"response":{"status_code":200}},"labels":{"outcome":"ok"},"message":"GET /index 200 10.0.0.5","source":{"ip":"10.0.0.5"},"url":{"original":"/index"}}`,
		`{"http":{"request":{"method":"POST"},"response":{"status_code":403}},"message":"POST /login 403 203.0.113.9","observer":{"vendor":"acme"},"source":{"ip":"203.0.113.9"},"tags":["denied"],"url":{"original":"/login"}}`,
		// dissect returns its error: the pipeline adds error.message (dissect's
		// own text, checked in its package) and a tag
		`{"error":{"message":"(dissect's)"},"labels":{"outcome":"ok"},"message":"garbage","tags":["_processor_failure"]}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("documents:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
