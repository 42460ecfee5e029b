package pidstat

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
	// The figures, and a value printed with more decimals than
	// pidstat's two: Metricbeat keeps 4 decimals of the fraction.
	for in, want := range map[string]string{"1.98": `"total":{"pct":0.0198}`, "97.51": `"total":{"pct":0.9751}`, "12.34567": `"total":{"pct":0.1235}`} {
		text := "Linux 6.1.0 (r1) \t11/25/2026 \t_x86_64_\t(4 CPU)\n\n08:27:42      UID       PID    %usr %system  %guest   %wait    %CPU   CPU  Command\n08:27:43        0     10735    0.00    0.00    0.00    0.00    " + in + "     1  pidstat\n"
		evs := sysstattest.ParseLines(t, NewParser(time.UTC, sysstat.DateAuto, nil), []byte(text))
		if len(evs) != 1 {
			t.Fatalf("%s: %d events, want 1", in, len(evs))
		}
		doc := event.AppendJSON(nil, evs[0])
		sysstattest.CheckFourDecimals(t, in, doc)
		if !strings.Contains(string(doc), want) {
			t.Errorf("%%CPU %s: %s, want it to contain %s", in, doc, want)
		}
	}
}
