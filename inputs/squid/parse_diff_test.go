package squid

import (
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/processors/grok"
	"github.com/shipper-project/shipper/shipper/event"
)

// The squid parser was reworked for speed (issue 17); parseRef is Parse as
// it was before (grok's MatchValues with the timestamp as a field, taken out
// again before the ECS mapping, and the captures the mapping reads looked up
// by name among the fields, not grok.Picks), the reference the parser must agree with,
// field for field and in the same order, on every line.

func parseRef(p *Parser, line string) *event.Event {
	e := event.New(time.Time{}, 40)
	e.Fields.Add("message", line)
	e.Fields.Add("event.module", "squid")
	e.Fields.Add("event.dataset", "squid.access")
	e.Fields.Add("event.kind", "event")
	vals := grok.EventValues()
	if p.keepOriginal {
		e.Fields.Add("event.original", vals.String(line))
	}
	n := len(e.Fields)
	if p.g.MatchValues(line, &e.Fields, &vals) < 0 {
		e.Tag("_grokparsefailure")
		return e
	}
	takeTimestamp(e, n)            // the timestamp as a field, then taken out
	picks := picksOf(e.Fields[n:]) // looked up by name, not handed back by grok
	mapECS(e, &picks, &vals)
	return e
}

func diffLines(t testing.TB, n int) []string {
	var lines []string
	for _, f := range []string{"../../testdata/squid-access.log", "../../patterns/testdata/squid_native.log",
		"../../patterns/testdata/squid_common.log", "../../patterns/testdata/squid_combined.log"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.Split(strings.TrimSpace(string(b)), "\n")...)
	}
	r := rand.New(rand.NewSource(17))
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	for range n {
		host := pick("www.example.org", "Example.COM", "[2001:db8::1]", "93.184.216.34", "h", "a-b.c.")
		url := pick("http://"+host+"/", "https://"+host+":8443/p/a.html?x=1#f", host+":443", "/rel?q", "-",
			"error:transaction-end-before-headers", "ftp://u:p@"+host+":21/x", "http://"+host+":0/", "http://"+host+":99999/")
		l := fmt.Sprintf("%s %6s %s %s/%s %s %s %s %s %s/%s %s",
			pick("1795594303.206", "1795594303", "1795594303.2061234567", "9999999999999999999.1", "1.5"),
			pick("0", "87", "120", "99999999999999999999", "+5", "-1"),
			pick("10.0.0.5", "192.168.1.20", "-", "::1", "fe80::1%eth0", "2001:db8::2", "93.184.216.34", "010.1.1.1"),
			pick("TCP_MISS", "TCP_TUNNEL", "NONE", "TCP_DENIED"), pick("200", "000", "0", "304", "503", "99"),
			pick("0", "48213", "255", "256", "-3"), pick("GET", "CONNECT", "-", "POST"), url,
			pick("-", "alice", "carol@EXAMPLE.COM"), pick("HIER_DIRECT", "HIER_NONE", "ORIGINAL_DST"),
			pick("-", "93.184.216.34", "2001:db8::1", "::ffff:1.2.3.4", "www.example.org", "0.0.0.0", "1.2.3.04"),
			pick("text/html", "-", "application/json"))
		lines = append(lines, l)
		switch r.Intn(4) { // mutate: cut, double a blank, change a byte
		case 0:
			lines = append(lines, l[:r.Intn(len(l))])
		case 1:
			lines = append(lines, strings.Replace(l, " ", "  ", 1+r.Intn(3)))
		case 2:
			b := []byte(l)
			b[r.Intn(len(b))] = "-/ .:x0\t"[r.Intn(8)]
			lines = append(lines, string(b))
		}
	}
	return lines
}

func checkParseDiff(t *testing.T, p *Parser, line string) {
	want := parseRef(p, line)
	got := event.New(time.Time{}, 40)
	got.Fields.Add("message", line)
	if keep, err := p.Parse([]byte(line), got); !keep || err != nil {
		t.Fatalf("Parse(%q) = %v, %v", line, keep, err)
	}
	if !reflect.DeepEqual(want.Fields, got.Fields) {
		t.Fatalf("Parse(%q) fields (-want +got):\n%s", line, cmp.Diff(want.Fields, got.Fields))
	}
	if !got.Timestamp.Equal(want.Timestamp) || got.Timestamp.String() != want.Timestamp.String() {
		t.Fatalf("Parse(%q) @timestamp = %v, want %v", line, got.Timestamp, want.Timestamp)
	}
}

func diffParsers(t testing.TB) []*Parser {
	var ps []*Parser
	for _, cfg := range []Config{
		DefaultConfig(),
		{Patterns: []string{"%{SQUID_COMMON}", "%{SQUID_COMBINED}", "%{SQUID_NATIVE}"}, KeepOriginal: true},
		// A typed capture named timestamp is dropped, not made @timestamp.
		{Patterns: []string{`^%{NUMBER:timestamp:int}\s+%{GREEDYDATA:rest}`, `^%{NOTSPACE:timestamp} %{GREEDYDATA:rest}`}},
	} {
		p, err := NewParser(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// TestParseMatchesReference: the parser's documents are the reference's on
// samples and 5,000 generated and mutated lines, with the native
// pattern, with several patterns (common, combined, native) and
// keep_original, and with custom patterns.
func TestParseMatchesReference(t *testing.T) {
	lines := diffLines(t, 5000)
	for _, p := range diffParsers(t) {
		for _, l := range lines {
			checkParseDiff(t, p, l)
		}
	}
}

func FuzzParseMatchesReference(f *testing.F) {
	for _, l := range diffLines(f, 200) {
		f.Add(l)
	}
	ps := diffParsers(f)
	f.Fuzz(func(t *testing.T, line string) {
		for _, p := range ps {
			checkParseDiff(t, p, line)
		}
	})
}
