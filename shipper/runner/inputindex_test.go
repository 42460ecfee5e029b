package runner

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/shipper/config"
)

// TestInputIndexFormatStringRefused: in Filebeat an input's `index` is a
// format string ("%{[agent.name]}-myindex-%{+yyyy.MM.dd}", static fields
// and the event's date). Here it was taken as the index name itself, so
// the events went to an index literally named "%{[agent.name]}-x" (or,
// with upper-case letters, all to the dead-letter file). Until it is
// rendered, it is a configuration error naming the file, line and key.
func TestInputIndexFormatStringRefused(t *testing.T) {
	e := newEnv(t)
	e.appendLines([]string{"x"})
	yml := fmt.Sprintf("shipper.inputs:\n  - type: squid\n    id: sq\n    paths: [%q]\n    index: \"%%{[agent.name]}-x-%%{+yyyy.MM.dd}\"\npath.data: %q\noutput.file: {path: %q}\n", e.log, e.data, e.dir)
	cfg, err := config.LoadBytes([]byte(yml), "test.yml", nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	_, err = New(cfg, Options{Once: true, CheckOnly: true}, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "test.yml:5:") || !strings.Contains(err.Error(), "index") {
		t.Fatalf("runner.New: error %v, want one naming test.yml:5 and index", err)
	}
}
