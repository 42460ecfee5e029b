package snort

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// BenchmarkParse parses the six fixture alerts (every field, both time
// forms, a truncated line) per iteration.
func BenchmarkParse(b *testing.B) {
	text, err := os.ReadFile("testdata/alert_json.txt")
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(text), []byte("\n"))
	loc, _ := time.LoadLocation("Europe/Berlin")
	now := func() time.Time { return time.Unix(1.8e9, 0) }
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		p := NewParser(loc, now, false)
		for _, l := range lines {
			e := event.New(time.Time{}, 32)
			p.Parse(l, e)
		}
	}
}
