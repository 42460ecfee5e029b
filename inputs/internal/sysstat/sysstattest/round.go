package sysstattest

import (
	"encoding/json"
	"strings"
	"testing"
)

// CheckFourDecimals fails for every *.pct value of doc with more than four
// decimals: Metricbeat rounds its percentages to 4 decimals
// (common.Round(v, 4)), and sysstat's two decimals divided by 100 must not
// come out as float noise (0.019799999999999998 for 1.98 %).
func CheckFourDecimals(t *testing.T, name string, doc []byte) {
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
