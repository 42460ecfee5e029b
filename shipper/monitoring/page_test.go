package monitoring

import (
	"html"
	"strings"
	"testing"
	"time"
)

// TestStatusPageEscapesValues puts markup in every value the page shows
// that comes from the config, the log or the counters: each must appear
// escaped, never as markup.
func TestStatusPageEscapesValues(t *testing.T) {
	const (
		name    = `<script>alert("name")</script>`
		version = `1.0<b>`
		commit  = `abc"def`
		id      = `<script>alert('id')</script>`
		typ     = `squid<i>`
		out     = `<img src=x onerror=alert(1)>`
		host    = `http://h/"><script>alert(2)</script>`
		msg     = `bulk failed: <script>alert(3)</script> & more`
		attrs   = `reason="</span><script>alert(4)</script>"`
		level   = `ERROR" onmouseover="alert(5)`
		metric  = `<script>alert(6)</script>`
	)
	m := NewRegistry()
	m.Counter("input." + id + ".events.published").Set(3)
	m.Counter("input." + id + "." + metric).Set(7)
	st := Status{
		Name: name, Version: version, Commit: commit, Start: t0,
		Inputs:      []InputStatus{{ID: id, Type: typ}},
		Output:      out,
		OutputHosts: []string{host},
		Errors:      []LogEntry{{Time: t0, Level: level, Message: msg, Attrs: attrs}},
	}
	h := newHandler(m, func() Status { return st }, func() time.Time { return t0.Add(time.Minute) })
	_, body := get(t, h, "/")
	for _, v := range []string{name, version, commit, id, typ, out, host, msg, attrs, level, metric + "=7"} {
		if strings.Contains(body, v) {
			t.Errorf("GET /: %q appears unescaped", v)
		}
		if esc := html.EscapeString(v); !strings.Contains(body, esc) {
			t.Errorf("GET /: no %q (the escaped %q) in the page", esc, v)
		}
	}
	// The only script-like markup is none: the page has no script of its own.
	if strings.Contains(strings.ToLower(body), "<script") || strings.Contains(body, "<img") {
		t.Errorf("GET /: markup from a value reached the page:\n%s", body)
	}
}

// TestStatusPageEmpty: a run without inputs, output, errors or commit says
// so instead of leaving holes.
func TestStatusPageEmpty(t *testing.T) {
	h := newHandler(NewRegistry(), func() Status { return Status{Name: "r"} }, func() time.Time { return t0 })
	_, body := get(t, h, "/")
	for _, want := range []string{"Output: none", `class="badge idle"`, "no inputs", "no warnings or errors since start", "0 B, 0 events</td>", "<span>version </span>", "</html>\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /: no %q in the page:\n%s", want, body)
		}
	}
	for _, unwanted := range []string{"hosts", "dropped</td>", "GeoIP"} {
		if strings.Contains(body, unwanted) {
			t.Errorf("GET /: %q in the page of an empty run:\n%s", unwanted, body)
		}
	}
}

// TestStatusPageQueueBytes: the page shows the queue's estimated bytes
// against queue.mem.bytes next to its events, and says when there is no
// byte bound; the bar follows the nearer bound.
func TestStatusPageQueueBytes(t *testing.T) {
	m, st := fixture()
	page := func() string {
		h := newHandler(m, func() Status { return st }, func() time.Time { return t0.Add(time.Minute) })
		_, body := get(t, h, "/")
		return body
	}
	body := page()
	for _, want := range []string{"<td>queue bytes</td><td class=\"n\">3.0 MiB / 8.0 MiB</td>", "20 / 4096 (38%)", `<div style="width:38%">`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /: no %q in the page:\n%s", want, body)
		}
	}
	st.QueueBytes = 0
	if body := page(); !strings.Contains(body, "not bounded (queue.mem.bytes: 0)") {
		t.Errorf("GET / without a byte bound: no \"not bounded\" in the page:\n%s", body)
	}
}

func TestHumanBytes(t *testing.T) {
	f := func(in float64, want string) {
		t.Helper()
		if got := humanBytes(in); got != want {
			t.Errorf("humanBytes(%v) = %q, want %q", in, got, want)
		}
	}
	f(0, "0 B")
	f(1023, "1023 B")
	f(1024, "1.0 KiB")
	f(4096, "4.0 KiB")
	f(25.9*(1<<20), "25.9 MiB")
	f(3*(1<<40)*1024, "3072.0 TiB")
}
