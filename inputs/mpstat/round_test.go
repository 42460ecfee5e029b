package mpstat

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
	"github.com/shipper-project/shipper/shipper/event"
)

func TestPercentagesRoundedToFourDecimals(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, f := range files {
		for i, e := range parseFile(t, f, time.UTC) {
			sysstattest.CheckFourDecimals(t, filepath.Base(f)+"#"+strconv.Itoa(i), event.AppendJSON(nil, e))
		}
	}
	// The figures: 1.98 % and 97.51 %.
	hdr := "Linux 6.1.0 (r1) \t2026-03-29 \t_aarch64_\t(4 CPU)"
	cols := "01:59:59     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle"
	p := NewParser(time.UTC, sysstat.DateAuto, nil)
	for _, c := range []struct {
		line string
		want []string
	}{
		{hdr, nil},
		{cols, nil},
		{"02:00:00     0    1.98 0.51 0 0 0 0 0 0 0 97.51", []string{`"user":{"pct":0.0198}`, `"idle":{"pct":0.9751}`}},
		{"02:00:00     all    1.98 0.51 0 0 0 0 0 0 0 97.51", []string{`"user":{"norm":{"pct":0.0198},"pct":0.0792}`, `"idle":{"norm":{"pct":0.9751},"pct":3.9004}`}},
	} {
		e := event.New(time.Time{}, 8)
		keep, err := p.Parse([]byte(c.line), e)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.line, err)
		}
		if !keep {
			continue
		}
		doc := event.AppendJSON(nil, e)
		sysstattest.CheckFourDecimals(t, c.line, doc)
		for _, w := range c.want {
			if !strings.Contains(string(doc), w) {
				t.Errorf("Parse(%q) = %s, want it to contain %s", c.line, doc, w)
			}
		}
	}
}
