package mpstat

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/event"
)

// BenchmarkParse parses the real C capture (header, 2 samples of 3 CPUs,
// Average block) per iteration.
func BenchmarkParse(b *testing.B) {
	text, err := os.ReadFile("testdata/mpstat-P-ALL.C.txt")
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(text, []byte("\n"))
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		p := NewParser(time.UTC, sysstat.DateAuto, nil)
		for _, l := range lines {
			e := event.New(time.Time{}, 24)
			p.Parse(l, e)
		}
	}
}
