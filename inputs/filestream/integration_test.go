//go:build integration

package filestream_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A filebeat.yml written as Filebeat's reference writes it — filebeat.inputs,
// two filestream inputs with multiline, exclude_lines and ndjson — runs
// unchanged with `run --once`, and gives the documents Filebeat gives
// (field by field, without the per-run @timestamp/agent fields). A second
// run ships nothing: the cursors were committed after complete events only.
func TestFilebeatYMLOnce(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "shipper")
	if out, err := exec.Command("go", "build", "-o", bin, "../../shipper").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	write := func(name, data string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	app := write("app.log", "2026-12-03 10:00:00 ERROR boom\njava.lang.IllegalStateException: bad\n\tat a.b.C.d(C.java:10)\n"+
		"2026-12-03 10:00:01 DEBUG noise\n2026-12-03 10:00:02 INFO fine\n", 0o600)
	write("app.log.1.gz", "\x1f\x8b\x08\x00\x00\x00\x00\x00garbage\n", 0o600)
	nd := write("app.ndjson", `{"id":"a1","level":"info","msg":"hello","n":1,"log":{"level":"info"}}`+"\nnot json\n", 0o600)
	cfg := write("filebeat.yml", `filebeat.inputs:
- type: filestream
  id: java
  paths:
    - `+dir+`/*.log*
  prospector.scanner.exclude_files: ['\.gz$']
  exclude_lines: ['DEBUG']
  parsers:
    - multiline:
        type: pattern
        pattern: '^\d{4}-\d{2}-\d{2}'
        negate: true
        match: after
- type: filestream
  id: json
  paths:
    - `+dir+`/*.ndjson
  parsers:
    - ndjson:
        target: ""
        message_key: msg
        add_error_key: true
        document_id: id
output.console:
  enabled: true
path.data: `+dir+`/data
`, 0o600)

	run := func() []map[string]any {
		t.Helper()
		cmd := exec.Command(bin, "run", "--once", "-c", cfg)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("run --once: %v\n%s", err, stderr.String())
		}
		var docs []map[string]any
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var d map[string]any
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				t.Fatalf("not a document: %q", sc.Text())
			}
			for _, k := range []string{"@timestamp", "agent", "ecs", "host"} {
				delete(d, k)
			}
			docs = append(docs, d)
		}
		return docs
	}
	got := run()
	input := map[string]any{"type": "filestream"}
	want := []map[string]any{
		{"input": input, "log": map[string]any{"file": map[string]any{"path": app}, "flags": []any{"multiline"}, "offset": 0.0},
			"message": "2026-12-03 10:00:00 ERROR boom\njava.lang.IllegalStateException: bad\n\tat a.b.C.d(C.java:10)"},
		{"input": input, "log": map[string]any{"file": map[string]any{"path": app}, "offset": 123.0}, "message": "2026-12-03 10:00:02 INFO fine"},
		{"input": input, "log": map[string]any{"file": map[string]any{"path": nd}, "offset": 0.0, "level": "info"},
			"level": "info", "message": "hello", "msg": "hello", "n": 1.0},
		{"input": input, "log": map[string]any{"file": map[string]any{"path": nd}, "offset": 70.0}, "message": "not json",
			"error": map[string]any{"message": "Error decoding JSON: invalid character 'o' in literal null (expecting 'u')", "type": "json"}},
	}
	// The two inputs run concurrently: compare in a stable order.
	key := func(d map[string]any) string { b, _ := json.Marshal(d["log"]); return string(b) }
	sortDocs := func(ds []map[string]any) {
		for i := range ds {
			for j := i + 1; j < len(ds); j++ {
				if strings.Compare(key(ds[j]), key(ds[i])) < 0 {
					ds[i], ds[j] = ds[j], ds[i]
				}
			}
		}
	}
	sortDocs(got)
	sortDocs(want)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("documents (-want +got):\n%s", d)
	}
	if again := run(); len(again) != 0 {
		t.Errorf("second run shipped %d documents: %v", len(again), again)
	}
}
