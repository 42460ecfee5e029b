package file

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

func lines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n
}

func TestRotationKeepsNumberOfFilesAndCountsWhatItDeletes(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Path, cfg.RotateEveryKB, cfg.NumberOfFiles = dir, 1, 3
	m := monitoring.NewRegistry()
	o, err := New(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	const total = 100
	for i := range total {
		if i == 40 { // a restart: earlier files are counted when deleted
			o.Close()
			if o, err = New(cfg, m); err != nil {
				t.Fatal(err)
			}
		}
		e := event.New(time.Unix(int64(i), 0), 1)
		e.Fields.Add("message", "a line of about one hundred bytes ......................................")
		b := pipeline.NewTestBatch(e)
		if err := o.Publish(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		if b.Outcome(0) != pipeline.Acked {
			t.Fatalf("event %d not acked", i)
		}
	}
	o.Close()
	kept := lines(t, filepath.Join(dir, "shipper.ndjson")) + lines(t, filepath.Join(dir, "shipper.ndjson.1")) + lines(t, filepath.Join(dir, "shipper.ndjson.2"))
	if _, err := os.Stat(filepath.Join(dir, "shipper.ndjson.3")); err == nil {
		t.Error("a 4th file exists with number_of_files: 3")
	}
	gone := m.Counter("output.file.events_rotated_out").Load()
	if kept+int(gone) != total || gone == 0 {
		t.Errorf("kept %d + rotated out %d != %d written", kept, gone, total)
	}
}

func TestConfigErrors(t *testing.T) {
	c := DefaultConfig()
	c.Filename = "../x"
	c.Permissions = "rw"
	err := c.Validate()
	want := "path: the directory to write to is required\nfilename: must be a plain file name, got \"../x\"\npermissions: want an octal mode like 0600, got \"rw\""
	if err == nil || err.Error() != want {
		t.Errorf("Validate() =\n%v\nwant\n%s", err, want)
	}
}

// A process killed in the middle of a write(2) leaves a torn last line (the
// kernel stops a write at a page when SIGKILL is pending). The next run's
// first document must not be glued to it: that document is the first one
// the registry had not acknowledged, possibly the torn one itself, and a
// reader would lose its only whole copy.
func TestTornLastLineIsEndedBeforeAppending(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Path = dir
	path := filepath.Join(dir, "shipper.ndjson")
	if err := os.WriteFile(path, []byte("{\"message\":\"1\"}\n{\"message\":\"2 torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := monitoring.NewRegistry()
	o, err := New(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	e := event.New(time.Unix(1, 0), 1)
	e.Fields.Add("message", "2")
	if err := o.Publish(context.Background(), pipeline.NewTestBatch(e)); err != nil {
		t.Fatal(err)
	}
	o.Close()
	b, _ := os.ReadFile(path)
	got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(got) != 3 || got[1] != `{"message":"2 torn` || !strings.Contains(got[2], `"message":"2"`) || !strings.HasPrefix(got[2], "{") {
		t.Fatalf("file after the restart:\n%s", b)
	}
	if n := m.Counter("output.file.torn_lines").Load(); n != 1 {
		t.Errorf("output.file.torn_lines = %d, want 1", n)
	}
	// A file that ends with its newline is left alone.
	if o, err = New(cfg, m); err != nil {
		t.Fatal(err)
	}
	o.Close()
	if b2, _ := os.ReadFile(path); string(b2) != string(b) || m.Counter("output.file.torn_lines").Load() != 1 {
		t.Errorf("a whole file was changed:\n%s", b2)
	}
}
