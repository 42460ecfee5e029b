package console

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

func TestWritesOneDocumentPerLineAndAcks(t *testing.T) {
	var buf bytes.Buffer
	o := New(&buf, false)
	e := event.New(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC), 1)
	e.Fields.Add("source.ip", "10.0.0.1")
	b := pipeline.NewTestBatch(e, e)
	if err := o.Publish(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	want := `{"@timestamp":"2026-11-25T08:00:00Z","source":{"ip":"10.0.0.1"}}` + "\n"
	if buf.String() != want+want {
		t.Errorf("output = %q, want twice %q", buf.String(), want)
	}
	if b.Outcome(0) != pipeline.Acked || b.Outcome(1) != pipeline.Acked {
		t.Error("batch not acknowledged")
	}
	buf.Reset()
	New(&buf, true).Publish(context.Background(), pipeline.NewTestBatch(e))
	if !bytes.Contains(buf.Bytes(), []byte("\n  \"source\": {\n")) {
		t.Errorf("pretty output = %s", buf.String())
	}
}
