package sysstattest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/event"
)

// FuzzParse is a sysstat parser's fuzz test, seeded with testdata/*.txt: a
// new parser (a header to come, then the fuzzed text line by line) must not
// panic, and every line is either skipped, an event with a timestamp, or an
// error with failureTag on the event.
func FuzzParse(f *testing.F, failureTag string, newParser func() sysstat.LineParser) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		p := newParser()
		for _, line := range bytes.Split(text, []byte("\n")) {
			e := event.New(time.Time{}, 8)
			keep, err := p.Parse(line, e)
			if err != nil && !e.HasTag(failureTag) {
				t.Fatalf("Parse(%q): error %v without the tag", line, err)
			}
			if keep && err == nil && e.Timestamp.IsZero() {
				t.Fatalf("Parse(%q): event without a timestamp", line)
			}
		}
	})
}
