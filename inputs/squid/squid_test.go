package squid

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/processors/geoip"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
)

func parse(t *testing.T, p *Parser, line string) *event.Event {
	t.Helper()
	e := event.New(time.Time{}, 32)
	e.Fields.Add("message", line)
	if keep, err := p.Parse([]byte(line), e); !keep || err != nil {
		t.Fatalf("Parse(%q) = %v, %v", line, keep, err)
	}
	return e
}

func TestParseLine(t *testing.T) {
	p, err := NewParser(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	e := parse(t, p, "1795594310.001    120 192.168.1.20 TCP_TUNNEL/200 5120 CONNECT www.example.org:443 alice HIER_DIRECT/93.184.216.34 -")
	got := map[string]any{}
	for _, f := range e.Fields {
		got[f.Key] = f.Value
	}
	want := map[string]any{
		"message":                   "1795594310.001    120 192.168.1.20 TCP_TUNNEL/200 5120 CONNECT www.example.org:443 alice HIER_DIRECT/93.184.216.34 -",
		"event.module":              "squid",
		"event.dataset":             "squid.access",
		"event.kind":                "event",
		"event.category":            []string{"web", "network"},
		"event.type":                []string{"access"},
		"event.outcome":             "success",
		"event.action":              "TCP_TUNNEL",
		"squid.request.duration":    int64(120),
		"source.ip":                 "192.168.1.20",
		"http.response.status_code": int64(200),
		"http.response.bytes":       int64(5120),
		"http.request.method":       "CONNECT",
		"url.original":              "www.example.org:443",
		"url.domain":                "www.example.org",
		"user.name":                 "alice",
		"squid.hierarchy_code":      "HIER_DIRECT",
		"destination.address":       "93.184.216.34",
		"destination.ip":            "93.184.216.34",
		"event.duration":            int64(120_000_000), // ECS: nanoseconds
		"url.port":                  int64(443),
		"related.ip":                []string{"192.168.1.20", "93.184.216.34"},
		"related.user":              []string{"alice"},
		"observer.vendor":           "Squid",
		"observer.product":          "Squid",
		"observer.type":             "proxy",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	if ts := e.Timestamp.UTC().Format(time.RFC3339Nano); ts != "2026-11-25T08:11:50.001Z" {
		t.Errorf("@timestamp = %s", ts)
	}

	// A full URL and squid's %mt (the reply's Content-Type header): ECS
	// reserves http.response.mime_type for a type sniffed from the body, so
	// the header goes to squid.content_type (issue 19).
	e = parse(t, p, "1795594311.002     35 192.168.1.21 TCP_MISS/200 1500 GET http://Example.com:8080/path/a.html?x=1 - HIER_DIRECT/93.184.216.34 text/html")
	got = map[string]any{}
	for _, f := range e.Fields {
		got[f.Key] = f.Value
	}
	for k, w := range map[string]any{
		"url.scheme": "http", "url.domain": "Example.com", "url.port": int64(8080),
		"url.path": "/path/a.html", "url.query": "x=1", "squid.content_type": "text/html",
		"event.duration": int64(35_000_000), "related.ip": []string{"192.168.1.21", "93.184.216.34"},
	} {
		if d := cmp.Diff(w, got[k]); d != "" {
			t.Errorf("%s (-want +got):\n%s", k, d)
		}
	}
	for _, k := range []string{"http.response.mime_type", "related.user", "user.name"} {
		if v, ok := got[k]; ok {
			t.Errorf("%s = %v, want absent", k, v)
		}
	}
}

func TestUnparsableLineIsKeptAndTagged(t *testing.T) {
	p, _ := NewParser(DefaultConfig())
	e := parse(t, p, "garbage \x00\xff line")
	if !e.HasTag("_grokparsefailure") {
		t.Errorf("not tagged: %v", e.Fields)
	}
	if m, _ := e.Fields.GetString("message"); m != "garbage \x00\xff line" {
		t.Errorf("message = %q", m)
	}
}

func TestURLDomainAndTimestamp(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:pw@Example.org:8080/a?b":  "Example.org",
		"https://[2001:db8::1]:443/x":          "2001:db8::1",
		"github.com:443":                       "github.com",
		"/relative":                            "",
		"error:transaction-end-before-headers": "",
	} {
		if got := urlDomain(in); got != want {
			t.Errorf("urlDomain(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"1795594303.206":             "2026-11-25T08:11:43.206Z",
		"1795594303":                 "2026-11-25T08:11:43Z",
		"25/Nov/2026:08:12:03 +0100": "2026-11-25T07:12:03Z",
	} {
		ts, ok := parseTimestamp(in)
		if got := ts.UTC().Format(time.RFC3339Nano); !ok || got != want {
			t.Errorf("parseTimestamp(%q) = %s, %v; want %s", in, got, ok, want)
		}
	}
	if _, ok := parseTimestamp("1795594303.2x6"); ok {
		t.Error("parseTimestamp accepted a bad fraction")
	}
}

// With a database configured the destination is on the map; private
// clients are not looked up.
func TestGeoIPEnrichesPublicAddresses(t *testing.T) {
	dir := t.TempDir()
	city := filepath.Join(dir, "city.mmdb")
	if err := geoiptest.WriteCityDB(city, geoiptest.Cities()...); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.GeoIP = geoip.Sides{Database: city}
	p, err := NewParser(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.geo, err = geoip.ForSides(cfg.GeoIP, []string{"destination", "source"}, nil, nil, "input.t")
	if err != nil {
		t.Fatal(err)
	}
	defer geoip.Close(p.geo)
	e := parse(t, p, "1795594313.777     87 10.0.0.5 TCP_MISS/200 48213 GET http://www.example.co.uk/ - HIER_DIRECT/81.2.69.142 text/html")
	if c, _ := e.Fields.GetString("destination.geo.city_name"); c != "London" {
		t.Errorf("destination.geo.city_name = %q, want London (fields %v)", c, e.Fields)
	}
	if v, ok := e.Fields.Get("destination.geo.location"); !ok || v.(event.GeoPoint).Lat == 0 {
		t.Errorf("destination.geo.location = %v", v)
	}
	for _, f := range e.Fields {
		if strings.HasPrefix(f.Key, "source.geo") {
			t.Errorf("private source looked up: %s = %v", f.Key, f.Value)
		}
	}
	for _, k := range []string{"input.type", "agent.type", "agent.name", "agent.version", "agent.id", "host.name", "ecs.version"} {
		e.Fields.Add(k, "x")
	}
	e.Fields.Add("log.file.path", "/x")
	e.Fields.Add("log.offset", int64(0))
	cat, err := fields.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Check(e); err != nil {
		t.Error(err)
	}
}

// TestParseAllocs: the values of a line are boxed in a few blocks, not one
// allocation per field (issue 17). Allocation counts are deterministic,
// unlike timings.
func TestParseAllocs(t *testing.T) {
	p, err := NewParser(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	line := "1795594313.777     87 10.0.0.5 TCP_MISS/200 48213 GET http://www.wikipedia.org/wiki/Squid?q=1 alice HIER_DIRECT/185.15.59.224 text/html"
	e := event.New(time.Time{}, 40)
	n := testing.AllocsPerRun(100, func() {
		e.Fields = append(e.Fields[:0], event.Field{Key: "message", Value: line})
		p.Parse(nil, e)
	})
	// One block of grok.Values.
	if n > 1 {
		t.Errorf("Parse allocates %v times per line, want 1", n)
	}
}

// TestFileParser: a file's parser takes the values' blocks from slabs, so
// it allocates about once per 23 lines, and no line's values share memory
// with another's: every event parsed in sequence still equals the event
// Parse gives for its line alone.
func TestFileParser(t *testing.T) {
	p, err := NewParser(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	lines := sampleLines(t)
	fp := p.forFile()
	var got []*event.Event
	for i := range 100 {
		line := lines[i%len(lines)]
		e := event.New(time.Time{}, 40)
		e.Fields.Add("message", line)
		if keep, err := fp.Parse([]byte(line), e); !keep || err != nil {
			t.Fatalf("Parse(%q) = %v, %v", line, keep, err)
		}
		got = append(got, e)
	}
	for i, e := range got {
		want := parse(t, p, lines[i%len(lines)])
		if d := cmp.Diff(want, e, cmp.AllowUnexported(event.Event{})); d != "" {
			t.Fatalf("line %d (-alone +in sequence):\n%s", i, d)
		}
	}
	line := "1795594313.777     87 10.0.0.5 TCP_MISS/200 48213 GET http://www.wikipedia.org/wiki/Squid?q=1 alice HIER_DIRECT/185.15.59.224 text/html"
	e := event.New(time.Time{}, 40)
	if n := testing.AllocsPerRun(230, func() {
		e.Fields = append(e.Fields[:0], event.Field{Key: "message", Value: line})
		fp.Parse(nil, e)
	}); n != 0 {
		t.Errorf("a file's parser allocates %v times per line, want 0 (one slab per 23 lines)", n)
	}
}
