package pidstat

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/event"
)

// FuzzParse feeds a header, then the fuzzed text line by line: no panic,
// and every line is either skipped, an event, or a tagged error.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		p := NewParser(time.UTC, sysstat.DateAuto, func() time.Time { return time.Unix(1e9, 0) })
		for _, line := range bytes.Split(text, []byte("\n")) {
			e := event.New(time.Time{}, 8)
			keep, err := p.Parse(line, e)
			if err != nil && !e.HasTag(ParseFailureTag) {
				t.Fatalf("Parse(%q): error %v without the tag", line, err)
			}
			if keep && err == nil && e.Timestamp.IsZero() {
				t.Fatalf("Parse(%q): event without a timestamp", line)
			}
		}
	})
}
