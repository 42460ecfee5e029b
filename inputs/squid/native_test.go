package squid

import (
	"os"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/internal/squidgen"
)

// TestNativeTakesSquidLines: matchNative, which the differential tests
// hold to grok's documents, takes the lines squid writes (the sample log,
// the benchmark's generated lines, the generated lines of the differential
// test), so those tests exercise it; and it leaves to grok the shapes it
// does not take.
func TestNativeTakesSquidLines(t *testing.T) {
	count := func(lines []string) (n int) {
		for _, l := range lines {
			var nl nativeLine
			if scanNative(l, &nl) {
				n++
			}
		}
		return n
	}
	b, err := os.ReadFile("../../testdata/squid-access.log")
	if err != nil {
		t.Fatal(err)
	}
	sample := strings.Split(strings.TrimSpace(string(b)), "\n")
	gen := squidgen.Lines(2000, 42)
	diff := diffLines(t, 5000)
	for _, c := range []struct {
		name  string
		lines []string
		min   float64
	}{
		{"testdata/squid-access.log", sample, 0.8},
		{"squidgen", gen, 0.95}, // IPv6 clients are grok's
		{"the differential test's lines", diff, 0.05},
	} {
		if n := count(c.lines); float64(n) < c.min*float64(len(c.lines)) {
			t.Errorf("%s: matchNative takes %d of %d lines, want at least %.0f%%", c.name, n, len(c.lines), 100*c.min)
		}
	}
	for _, l := range []string{
		"1795594313.777     87 10.0.0.5 TCP_MISS/200 48213 GET http://www.wikipedia.org/wiki/Squid - HIER_DIRECT/185.15.59.224 text/html",
		"1795594313.777 0 - NONE/000 0 - error:transaction-end-before-headers - HIER_NONE/- -",
		"1795594313 5 10.0.0.5 TCP_TUNNEL/200 1 CONNECT example.org:443 alice HIER_DIRECT/93.184.216.34 -",
	} {
		if count([]string{l}) != 1 {
			t.Errorf("matchNative does not take %q", l)
		}
	}
	for _, l := range []string{
		"1795594313.777 87 ::1 TCP_MISS/200 1 GET http://a/ - HIER_DIRECT/185.15.59.224 text/html",           // IPv6
		"1795594313.777 87 10.0.0.5 TCP_MISS/200 1 GET http://a/ - HIER_DIRECT/www.example.org text/html",    // a host name
		"1795594313.777\t87 10.0.0.5 TCP_MISS/200 1 GET http://a/ - HIER_DIRECT/185.15.59.224 text/html",     // a tab
		"1795594313.777 87 10.0.0.5 TCP_MISS/0200 1 GET http://a/ - HIER_DIRECT/185.15.59.224 text/html",     // 0200
		"1795594313.777 87 10.0.0.5 TCP_MISS/200 1 GET http://a/é - HIER_DIRECT/185.15.59.224 text/html",     // not ASCII
		"1795594313.777 87 10.0.0.5 TCP_MISS/200 1 GET http://a/ - HIER_DIRECT/185.15.59.224 text/html ",     // a blank after
		"1795594313.777 -1 10.0.0.5 TCP_MISS/200 1 GET http://a/ - HIER_DIRECT/185.15.59.224 text/html",      // a sign
		"1795594313.777 87 010.0.0.5 TCP_MISS/200 1 GET http://a/ - HIER_DIRECT/185.15.59.224 text/html",     // a leading zero
		"1795594313.777 87 10.0.0.5 TCP_MISS/200 1 M-SEARCH http://a/ - HIER_DIRECT/185.15.59.224 text/html", // not a WORD
	} {
		if count([]string{l}) != 0 {
			t.Errorf("matchNative takes %q, which is grok's to decide", l)
		}
	}
}
