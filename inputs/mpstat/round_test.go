package mpstat

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/event"
)

// checkFourDecimals fails for every *.pct value of doc with more than four
// decimals: Metricbeat rounds its percentages to 4 decimals
// (common.Round(v, 4)), and mpstat's two decimals divided by 100 must not
// come out as float noise (0.019799999999999998 for 1.98 %).
func checkFourDecimals(t *testing.T, name string, doc []byte) {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(prefix+"."+k, e)
			}
		case json.Number:
			if !strings.HasSuffix(prefix, ".pct") {
				return
			}
			s := x.String()
			if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 4 || strings.ContainsAny(s, "eE") {
				t.Errorf("%s: %s = %s, want at most 4 decimals", name, prefix[1:], s)
			}
		}
	}
	walk("", m)
}

func TestPercentagesRoundedToFourDecimals(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, f := range files {
		for i, e := range parseFile(t, f, time.UTC) {
			checkFourDecimals(t, filepath.Base(f)+"#"+strconv.Itoa(i), event.AppendJSON(nil, e))
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
		checkFourDecimals(t, c.line, doc)
		for _, w := range c.want {
			if !strings.Contains(string(doc), w) {
				t.Errorf("Parse(%q) = %s, want it to contain %s", c.line, doc, w)
			}
		}
	}
}
