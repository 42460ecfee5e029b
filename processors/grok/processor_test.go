package grok

import (
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func TestProcessor(t *testing.T) {
	m := monitoring.NewRegistry()
	cfg := DefaultConfig()
	cfg.Patterns = []string{"%{SYSLOG3164}", "%{SQUID_NATIVE}"}
	p, err := NewProcessor(cfg, m, "processor.grok.0")
	if err != nil {
		t.Fatal(err)
	}
	run := func(msg string) *event.Event {
		t.Helper()
		e := event.New(time.Unix(0, 0), 4)
		e.Fields.Add("message", msg)
		out, err := p.Run(e)
		if err != nil || out != e {
			t.Fatalf("Run(%q) = %v, %v", msg, out, err)
		}
		return e
	}
	e := run("1795594310.001    120 192.168.1.20 TCP_TUNNEL/200 5120 CONNECT www.example.org:443 alice HIER_DIRECT/93.184.216.34 -")
	if v, _ := e.Fields.Get("http.response.bytes"); v != int64(5120) {
		t.Errorf("http.response.bytes = %#v", v)
	}
	e.Fields.Delete("timestamp") // the squid input turns it into @timestamp
	if err := fields.Check(e, fieldsYAML); err != nil {
		t.Errorf("fields.Check: %v", err)
	}
	// syslog captures message: it replaces the field, not repeat it.
	e = run("<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed")
	n := 0
	for _, f := range e.Fields {
		if f.Key == "message" {
			n++
		}
	}
	if msg, _ := e.Fields.GetString("message"); n != 1 || msg != "'su root' failed" {
		t.Errorf("message = %q (%d times)", msg, n)
	}
	e = run("garbage")
	if !e.HasTag("_grokparsefailure") {
		t.Errorf("no _grokparsefailure tag: %v", e.Fields)
	}
	if msg, _ := e.Fields.GetString("message"); msg != "garbage" {
		t.Errorf("message = %q", msg)
	}
	want := map[string]int64{
		"processor.grok.0.pattern.0.matched": 1, "processor.grok.0.pattern.0.failed": 2,
		"processor.grok.0.pattern.1.matched": 1, "processor.grok.0.pattern.1.failed": 1,
	}
	snap := m.Snapshot()
	for k, v := range want {
		if snap[k] != v {
			t.Errorf("counter %s = %d, want %d", k, snap[k], v)
		}
	}
	if snap["processor.grok.0.pattern.0.ns"] <= 0 {
		t.Error("no time counted")
	}
}

func TestTypedAndBracketNames(t *testing.T) {
	g, err := Compile(Config{
		Patterns:           []string{`^%{INT:[http][response][bytes]:long} %{NUMBER:f:float} %{WORD:[a][b]}(?<opt>x)?$`},
		PatternDefinitions: map[string]string{"UNUSED": "y"},
		BreakOnMatch:       true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var f event.Fields
	if i := g.Match("42 1.5 w", &f); i != 0 {
		t.Fatalf("Match = %d", i)
	}
	want := event.Fields{{Key: "http.response.bytes", Value: int64(42)}, {Key: "f", Value: 1.5}, {Key: "a.b", Value: "w"}}
	if len(f) != len(want) {
		t.Fatalf("fields = %v, want %v", f, want)
	}
	for i := range want {
		if f[i] != want[i] {
			t.Errorf("field %d = %#v, want %#v", i, f[i], want[i])
		}
	}
}
