package mpstat

import (
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
)

// FuzzParse: no panic on any text after a header, and every line is
// either skipped, an event, or a tagged error.
func FuzzParse(f *testing.F) {
	sysstattest.FuzzParse(f, ParseFailureTag, func() sysstat.LineParser {
		return NewParser(time.UTC, sysstat.DateAuto, func() time.Time { return time.Unix(1e9, 0) })
	})
}
