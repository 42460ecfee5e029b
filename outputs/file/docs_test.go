package file

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// fileEvent fills e as event i: documents of varied sizes (a few larger
// than a pipeline chunk's reserve) and key sets.
func fileEvent(e *event.Event, i int) {
	e.Fields.Add("message", fmt.Sprintf("line %d %s", i, strings.Repeat("ab\"c", i%40)))
	e.Fields.Add("log.offset", int64(i))
	if i%5 == 0 {
		e.Fields.Add("user.name", "bob")
	}
	if i%301 == 0 {
		e.Fields.Add("big", strings.Repeat("z", 40<<10))
	}
	e.Fields.Add("agent.type", "shipper")
}

// The pipeline encodes the documents at Publish (DocumentsAtPublish) and
// the output writes runs of them from where they lie: the files hold,
// in order, exactly the documents event.Encoder writes for the events,
// one a line, and rotate at rotate_every_kb as with documents encoded by
// the output itself (every file within the limit unless it holds one
// document), whatever buffer_size.
func TestDocumentsFromThePipeline(t *testing.T) {
	for _, bufSize := range []config.ByteSize{256 << 10, 100} {
		t.Run(fmt.Sprint("buffer_size=", bufSize), func(t *testing.T) {
			const n, rotateKB = 5000, 200
			dir := t.TempDir()
			cfg := DefaultConfig()
			cfg.Path, cfg.RotateEveryKB, cfg.NumberOfFiles, cfg.BufferSize = dir, rotateKB, 1024, bufSize
			m := monitoring.NewRegistry()
			o, err := New(cfg, m)
			if err != nil {
				t.Fatal(err)
			}
			p := pipeline.New(pipeline.Settings{QueueEvents: 4096, BatchSize: cfg.BulkMaxSize, FlushTimeout: time.Millisecond},
				o, slog.New(slog.DiscardHandler), m)
			c := p.Connect(pipeline.ClientConfig{Name: "input.t"}, m)
			p.Start()
			pool := event.NewPool(4)
			ts := time.Unix(1795594303, 5e6)
			var want strings.Builder
			for i := range n {
				e := pool.Get(ts)
				fileEvent(e, i)
				ref := event.New(ts, 4)
				fileEvent(ref, i)
				want.Write(event.AppendJSON(nil, ref))
				want.WriteByte('\n')
				if err := c.Publish(context.Background(), e); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Drain(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			files := 0
			for g := cfg.NumberOfFiles - 1; g >= 0; g-- {
				name := filepath.Join(dir, cfg.Filename)
				if g > 0 {
					name += fmt.Sprint(".", g)
				}
				b, err := os.ReadFile(name)
				if os.IsNotExist(err) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				files++
				if len(b) > rotateKB*1024 && strings.Count(string(b), "\n") > 1 {
					t.Errorf("%s: %d bytes, more than rotate_every_kb %d KiB with more than one document", name, len(b), rotateKB)
				}
				got.Write(b)
			}
			if got.String() != want.String() {
				g, w := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
				for i := range min(len(g), len(w)) {
					if g[i] != w[i] {
						t.Fatalf("document %d (of %d written, %d wanted):\n got %.300q\nwant %.300q", i, len(g)-1, len(w)-1, g[i], w[i])
					}
				}
				t.Fatalf("%d documents written, want %d", len(g)-1, len(w)-1)
			}
			if files < 3 {
				t.Errorf("%d files: the test did not cover rotation", files)
			}
			if w := m.Counter("output.write.bytes").Load(); w != int64(want.Len()) {
				t.Errorf("output.write.bytes = %d, want %d", w, want.Len())
			}
		})
	}
}
