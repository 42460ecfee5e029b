package meminfo

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// BenchmarkParse parses one real /proc/meminfo (58 lines) per iteration.
func BenchmarkParse(b *testing.B) {
	text, err := os.ReadFile("testdata/meminfo-6.18.txt")
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(text, []byte("\n"))
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	now := func() time.Time { return time.Unix(1e9, 0) }
	for b.Loop() {
		p := NewParser(time.UTC, now)
		for _, l := range lines {
			e := event.New(time.Time{}, 24)
			p.Parse(l, e)
		}
	}
}
