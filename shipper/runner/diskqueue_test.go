package runner

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 18, defect 1, as the review reproduced it: queue.disk and run --once
// on 40 lines, append 5, run --once again: the 5 must be shipped (they once
// were acknowledged to the input and never delivered).
func TestDiskQueueOnceTwiceShipsAppendedLines(t *testing.T) {
	e := newEnv(t)
	var lines []string
	for i := range 45 {
		lines = append(lines, fmt.Sprintf("line %02d not squid", i))
	}
	out := fmt.Sprintf("queue.disk: {max_size: 1MiB}\noutput.file: {path: %q, filename: out.ndjson}", e.dir)
	e.appendLines(lines[:40])
	e.runOnce(out)
	e.appendLines(lines[40:])
	e.runOnce(out)
	e.runOnce(out) // and a third, idle start
	docs := readNDJSON(t, filepath.Join(e.dir, "out.ndjson"))
	if got := messages(docs); strings.Join(got, "\n") != strings.Join(lines, "\n") {
		t.Fatalf("with queue.disk each line must be shipped once across restarts:\n got %q\nwant %q", got, lines)
	}
}
