package grok

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/shipper/event"
)

// TestMatchPicks: MatchPicks adds the same fields as MatchAside, returns
// the same pattern and aside text, and hands back in out exactly the value
// each picked name has among the fields (nil when it has none), with one or
// several patterns, break_on_match on and off, and a typed aside.
func TestMatchPicks(t *testing.T) {
	lines := append(allSamples(t, 2000), "", "-", "1.5 x", "7 8")
	names := []string{"destination.address", "url.original", "http.response.status_code", "source.ip", "user.name", "nope", "n"}
	for _, c := range []struct {
		patterns []string
		aside    string
		brk      bool
	}{
		{[]string{"%{SQUID_NATIVE}"}, "timestamp", true},
		{[]string{"%{SQUID_NATIVE}", "%{SQUID_COMMON}", "%{SQUID_COMBINED}"}, "timestamp", true},
		{[]string{"%{SQUID_COMMON}", "%{SQUID_NATIVE}", "%{SQUID_COMBINED}"}, "", false},
		{[]string{"^%{NUMBER:timestamp:int} %{INT:n:int}$", "^%{NUMBER:timestamp} %{WORD:n}$", "%{SQUID_NATIVE}"}, "timestamp", false},
		{[]string{"%{SYSLOG3164}", "%{SNORT3_ALERT_FAST}"}, "timestamp", true},
	} {
		g, err := CompileWith(NewLibrary(), c.patterns, c.brk)
		if err != nil {
			t.Fatal(err)
		}
		pk := g.Picks(c.aside, names...)
		for _, line := range lines {
			var want event.Fields
			var wv Values
			wi, wa := g.MatchAside(line, &want, &wv, c.aside)
			var got event.Fields
			var gv Values
			out := make([]any, len(names))
			gi, ga := g.MatchPicks(line, &got, &gv, pk, out)
			if gi != wi || ga != wa {
				t.Fatalf("%v on %q: MatchPicks = %d, %q; MatchAside = %d, %q", c.patterns, line, gi, ga, wi, wa)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("%v on %q: fields differ (-MatchAside +MatchPicks):\n%s", c.patterns, line, d)
			}
			for k, name := range names {
				var v any
				for _, f := range got {
					if f.Key == name {
						v = f.Value
					}
				}
				if out[k] != v {
					t.Fatalf("%v on %q: out[%d] (%s) = %#v, the field is %#v", c.patterns, line, k, name, out[k], v)
				}
			}
		}
	}
}
