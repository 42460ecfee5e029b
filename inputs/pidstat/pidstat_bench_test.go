package pidstat

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/event"
)

// BenchmarkParse parses the real C capture (pidstat -h -u -r -d: header, 2 samples
// of several processes) per iteration.
func BenchmarkParse(b *testing.B) {
	text, err := os.ReadFile("testdata/pidstat-hurd.C.txt")
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
