package filestream

import (
	"os"
	"testing"
	"time"
)

// close.reader.on_eof: the reader closes at the end and ships a finished
// multiline event; the next scan reopens the file when it grew.
func TestCloseReaderOnEOF(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", "A\n  a\n")
	c := s.fsFollow("  - type: filestream\n    id: t\n    paths: [$DIR/app.log]\n    close.reader.on_eof: true\n    parsers:\n      - multiline: {pattern: '^\\s', match: after, timeout: 1h}\n")
	eq(t, "at EOF", s.waitFor(c, 1), []string{"A\n  a"})
	s.waitUntil("reader closed", func() bool { return s.metrics.Snapshot()["input.t.files.open"] == 0 })
	s.write("app.log", "B\n")
	eq(t, "reopened", s.waitFor(c, 2), []string{"A\n  a", "B"})
	if n := s.metrics.Snapshot()["input.t.files.opened"]; n < 2 {
		t.Errorf("files.opened = %d, want >= 2", n)
	}
}

// close.reader.after_interval: the reader closes after the interval even
// while the file is written; the next scan goes on where it stopped.
func TestCloseReaderAfterInterval(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", numbered(0, 5)...)
	c := s.fsFollow("  - type: filestream\n    id: t\n    paths: [$DIR/app.log]\n    close.reader.after_interval: 100ms\n")
	s.waitFor(c, 5)
	s.waitUntil("reader closed", func() bool { return s.metrics.Snapshot()["input.t.files.open"] == 0 })
	s.write("app.log", numbered(5, 10)...)
	once(t, s.waitFor(c, 10), trimmed(numbered(0, 10))...)
	if n := s.metrics.Snapshot()["input.t.files.opened"]; n < 2 {
		t.Errorf("files.opened = %d, want >= 2", n)
	}
}

// close.on_state_change.renamed: a renamed file's reader closes even when
// removed is off; the file under its new name is outside the globs here.
func TestCloseOnRenamed(t *testing.T) {
	s := newScenario(t)
	s.write("app.log", "one\n")
	c := s.fsFollow("  - type: filestream\n    id: t\n    paths: [$DIR/app.log]\n    close.on_state_change.removed: false\n    close.on_state_change.renamed: true\n")
	s.waitFor(c, 1)
	if err := os.Rename(s.path("app.log"), s.path("old.txt")); err != nil {
		t.Fatal(err)
	}
	s.waitUntil("reader closed", func() bool { return s.metrics.Snapshot()["input.t.files.open"] == 0 })
}

// ignore_inactive: since_last_start skips files not written since the
// input started.
func TestIgnoreInactiveSinceLastStart(t *testing.T) {
	s := newScenario(t)
	s.write("old.log", "old\n")
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(s.path("old.log"), past, past); err != nil {
		t.Fatal(err)
	}
	s.write("new.log", "new\n")
	if err := os.Chtimes(s.path("new.log"), time.Now().Add(time.Hour), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	eq(t, "events", s.fsOnce("  - type: filestream\n    id: t\n    paths: [$DIR/*.log]\n    ignore_inactive: since_last_start\n").messages(), []string{"new"})
}
