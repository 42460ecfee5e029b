package monitoring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/shipper-project/shipper/inputs/all"
	_ "github.com/shipper-project/shipper/outputs/all"
	_ "github.com/shipper-project/shipper/processors/all"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/runner"
)

// TestStatsMatchFileOutput runs the squid sample through the file output
// (run --once) and checks /stats counts exactly the documents the file got.
func TestStatsMatchFileOutput(t *testing.T) {
	dir := t.TempDir()
	sample, err := filepath.Abs("../../testdata/squid-access.log")
	if err != nil {
		t.Fatal(err)
	}
	yml := `
shipper.inputs:
  - type: squid
    id: squid-sample
    paths: [` + sample + `]
output.file:
  path: ` + filepath.Join(dir, "out") + `
path.data: ` + filepath.Join(dir, "data") + `
logging.metrics.enabled: false
`
	cfg, err := config.LoadBytes([]byte(yml), "shipper.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(cfg, runner.Options{Once: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(filepath.Join(dir, "out", "shipper.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	docs := int64(bytes.Count(out, []byte("\n")))
	if docs == 0 {
		t.Fatal("the file output got nothing")
	}

	h := monitoring.NewHandler(r.Metrics, func() monitoring.Status {
		return monitoring.Status{Inputs: []monitoring.InputStatus{{ID: "squid-sample", Type: "squid"}}, Output: "file"}
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/stats", nil))
	var s monitoring.Stats
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Output.Events.Acked != docs || s.Pipeline.Events.Published != docs || s.Inputs[0].Events.Published != docs || s.Inputs[0].Events.Acked != docs {
		t.Errorf("/stats: output acked %d, pipeline published %d, input published %d acked %d; the file has %d documents",
			s.Output.Events.Acked, s.Pipeline.Events.Published, s.Inputs[0].Events.Published, s.Inputs[0].Events.Acked, docs)
	}
	if s.Output.WriteBytes != int64(len(out)) {
		t.Errorf("/stats output.write_bytes = %d, the file has %d bytes", s.Output.WriteBytes, len(out))
	}
	if s.Registry.Writes == 0 {
		t.Error("/stats registry.writes = 0 after a run --once")
	}
	if s.Pipeline.Queue.Filled != 0 || s.Pipeline.Events.Active != 0 {
		t.Errorf("/stats after the run: queue %d, active %d, want 0", s.Pipeline.Queue.Filled, s.Pipeline.Events.Active)
	}
}
