package elasticsearch

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

func TestCheckIndexName(t *testing.T) {
	f := func(name string, valid bool) {
		t.Helper()
		why := checkIndexName([]byte(name))
		if (why == "") != valid {
			t.Errorf("checkIndexName(%q) = %q, want valid=%v", name, why, valid)
		}
	}
	f("shipper-squid.access", true)
	f("shipper-2025.03.01", true)
	f(".ds-logs", true) // hidden and system indices start with a dot
	f("café-logs", true)
	f(strings.Repeat("a", 255), true)
	f("a\u2028b", true) // valid JSON as it is

	f("", false)
	f(".", false)
	f("..", false)
	f(strings.Repeat("a", 256), false)
	f(strings.Repeat("é", 128), false) // 256 bytes
	f("-x", false)
	f("_x", false)
	f("+x", false)
	f("Shipper", false)
	f("CAFÉ", false)
	f("café-LOGS", false)
	f("Ölogs", false)
	for _, c := range `\/*?"<>| ,#:` {
		f("a"+string(c)+"b", false)
	}
	f("a\nb", false)
	f("a\x00b", false)
	f("a\x7fb", false)
	f("a\xffb", false) // invalid UTF-8
}

func TestConfigRefusesInvalidIndexLiterals(t *testing.T) {
	f := func(index string, ok bool) {
		t.Helper()
		cfg := DefaultConfig()
		cfg.Index = index
		if err := cfg.Validate(); (err == nil) != ok {
			t.Errorf("Validate(index %q) = %v, want ok=%v", index, err, ok)
		}
	}
	f("shipper-%{[event.dataset]}-%{+yyyy.MM.dd}", true)
	f("%{[event.dataset]}", true)
	f("Shipper-%{[event.dataset]}", true) // lower-cased, as Beats
	f("shipper %{[event.dataset]}", false)
	f("_shipper-%{[event.dataset]}", false)
	f(`ship"per`, false)
}

// parseBody checks that body is NDJSON made of action/document pairs, each
// action a single create; it returns the actions.
func parseBody(t testing.TB, body []byte) []map[string]string {
	t.Helper()
	lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
	if len(body) == 0 {
		return nil
	}
	if len(lines)%2 != 0 {
		t.Fatalf("body has %d lines, want action/document pairs:\n%s", len(lines), body)
	}
	var out []map[string]string
	for k := 0; k < len(lines); k += 2 {
		var action map[string]map[string]string
		if err := json.Unmarshal(lines[k], &action); err != nil || len(action) != 1 || action["create"] == nil {
			t.Fatalf("line %d is not one create action (%v): %s\nbody:\n%s", k+1, err, lines[k], body)
		}
		if !json.Valid(lines[k+1]) {
			t.Fatalf("line %d is not a JSON document: %s", k+2, lines[k+1])
		}
		out = append(out, action["create"])
	}
	return out
}

// Issue 14 item 2: values interpolated into the action line cannot add an
// action of their own nor break the request. A bad index goes to the
// dead-letter file; a bad _id or pipeline is escaped.
func TestActionLineCannotBeInjected(t *testing.T) {
	const inject = "x\"}}\n{\"delete\":{\"_index\":\"victim\",\"_id\":\"1\"}}\n"
	out, err := New(DefaultConfig(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(dataset string, set func(*event.Event)) *event.Event {
		e := event.New(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 2)
		e.Fields.Add("message", "m")
		e.Fields.Add("event.dataset", dataset)
		if set != nil {
			set(e)
		}
		return e
	}
	evs := []*event.Event{
		mk("squid.access", nil),
		mk(inject, nil), // field value in %{[event.dataset]}
		mk("squid.access", func(e *event.Event) { e.Meta.Index = inject }),
		mk("squid.access", func(e *event.Event) { e.Meta.Index = `victim"},"delete":{"_index":"victim` }),
		mk("squid.access", func(e *event.Event) { e.Meta.ID = inject }),
		mk("squid.access", func(e *event.Event) { e.Meta.Pipeline = inject }),
		mk("Web", nil), // lower-cased, as Beats does
		mk("squid.access", func(e *event.Event) { e.Meta.Index = "Shipper-Upper" }), // lower-cased, as Beats
		mk("a b", nil),
	}
	b := pipeline.NewTestBatch(evs...)
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
	body, sent, n := out.encode(b, idx)
	if n != len(idx) {
		t.Fatalf("encode went through %d of %d events", n, len(idx))
	}
	actions := parseBody(t, body)
	if got, want := len(actions), 5; got != want || len(sent) != want {
		t.Fatalf("%d actions (sent %v), want %d:\n%s", got, sent, want, body)
	}
	want := []map[string]string{
		{"_index": "shipper-squid.access"},
		{"_index": "shipper-squid.access", "_id": inject},
		{"_index": "shipper-squid.access", "pipeline": inject},
		{"_index": "shipper-web"},
		{"_index": "shipper-upper"},
	}
	for k, w := range want {
		for key, v := range w {
			if actions[k][key] != v {
				t.Errorf("action %d %s = %q, want %q", k, key, actions[k][key], v)
			}
		}
	}
	for _, i := range []int{1, 2, 3, 8} {
		if got := b.Outcome(i); got != pipeline.DeadLettered {
			t.Errorf("event %d (index %q) outcome %v, want dead-lettered", i, evs[i].Meta.Index, got)
		}
	}
	for _, i := range []int{0, 4, 5, 6, 7} {
		if got := b.Outcome(i); got != pipeline.Pending {
			t.Errorf("event %d outcome %v, want pending (sent)", i, got)
		}
	}
}

// BenchmarkCheckIndexName is the cost the index-name check adds to every
// event's action line (issue 14 item 2), to compare with BenchmarkPublish's
// ns/event.
func BenchmarkCheckIndexName(b *testing.B) {
	name := []byte("shipper-squid.access")
	b.ReportAllocs()
	for b.Loop() {
		if checkIndexName(name) != "" {
			b.Fatal("invalid")
		}
	}
}

// TestIndexFieldNotAString: a number or boolean in %{[field]} is written
// as Beats' format string writes it (logs-2024), not as the missing-field
// fallback "generic", which sent the documents to another index.
func TestIndexFieldNotAString(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Index = "logs-%{[n]}-%{[b]}"
	out, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := event.New(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 2)
	e.Fields.Add("n", int64(2024))
	e.Fields.Add("b", true)
	if got, _ := out.index.render(nil, e); string(got) != "logs-2024-true" {
		t.Errorf("render = %q, want %q", got, "logs-2024-true")
	}
}

// TestIndexLowerCasedAsBeats: Beats lower-cases every index name it sends
// (libbeat/idxmgmt BuildSelector: outil.SelectorLowerCase for index and
// indices, literals included; getEventCustomIndex: strings.ToLower of
// @metadata.raw_index, set by an input's index, and of @metadata.index).
// Here an upper-case literal in index was a configuration error and an
// event's own upper-case index went to the dead-letter file, so a
// filebeat.yml that Filebeat runs was refused or lost its documents.
func TestIndexLowerCasedAsBeats(t *testing.T) {
	f := func(index, metaIndex, dataset, want string) {
		t.Helper()
		cfg := DefaultConfig()
		cfg.Index = index
		out, err := New(cfg, nil, nil)
		if err != nil {
			t.Errorf("New(index %q): %v", index, err)
			return
		}
		e := event.New(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 2)
		e.Fields.Add("event.dataset", dataset)
		e.Meta.Index = metaIndex
		b := pipeline.NewTestBatch(e)
		body, _, _ := out.encode(b, []int{0})
		actions := parseBody(t, body)
		switch {
		case want == "" && b.Outcome(0) != pipeline.DeadLettered:
			t.Errorf("index %q, event index %q: actions %v, want the dead-letter file", index, metaIndex, actions)
		case want != "" && (len(actions) != 1 || actions[0]["_index"] != want):
			t.Errorf("index %q, event index %q: actions %v (outcome %v), want one to %q", index, metaIndex, actions, b.Outcome(0), want)
		}
	}
	f("Shipper-%{[event.dataset]}-%{+yyyy.MM.dd}", "", "Squid.Access", "shipper-squid.access-2025.03.01")
	f("Logs-%{[missing]:Generic}", "", "x", "logs-generic")
	f("MyIndex", "", "x", "myindex")
	f("ÉTÉ-%{[event.dataset]}", "", "x", "été-x")
	f("shipper", "Shipper-Upper", "x", "shipper-upper")
	f("shipper", "CAFÉ-Logs", "x", "café-logs")
	f("shipper", "Bad Name", "x", "") // still checked after lower-casing
	f("shipper", "_Hidden", "x", "")
}

// BenchmarkAppendAction is the action line's cost per event: the default
// index rendered from %{[event.dataset]:generic}, and an event's own index
// (an input's index), lower-case as most are.
func BenchmarkAppendAction(b *testing.B) {
	out, err := New(DefaultConfig(), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	e := event.New(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 2)
	e.Fields.Add("event.dataset", "squid.access")
	e.Meta.ID = "sq-0000002a"
	own := *e
	own.Meta.Index = "squid-0.1.0-2025.03.01"
	for _, c := range []struct {
		name string
		e    *event.Event
	}{{"rendered", e}, {"own", &own}} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				var why string
				if buf, why = out.appendAction(buf[:0], c.e); why != "" {
					b.Fatal(why)
				}
			}
		})
	}
}

// TestInputIndex: an input's index as Filebeat renders it
// (fmtstr.TimestampFormatString over fmtstr.FieldsForBeat, the cases of
// Beats' TestTimestampFormatString that make an index name), lower-cased
// as the output does with @metadata.raw_index.
func TestInputIndex(t *testing.T) {
	static := map[string]string{"agent.name": "shipper", "agent.version": "1.2.3", "beat.name": "shipper", "key": "Value", "nested.key": "value"}
	ts := time.Date(2015, 5, 1, 20, 12, 34, 0, time.UTC)
	f := func(format string, at time.Time, want string) {
		t.Helper()
		x, err := NewInputIndex(format, static)
		if err != nil {
			t.Errorf("NewInputIndex(%q): %v", format, err)
			return
		}
		if got := x.Render(at); got != want {
			t.Errorf("NewInputIndex(%q).Render(%v) = %q, want %q", format, at, got, want)
		}
		_, fixed := x.Fixed()
		if wantFixed := !strings.Contains(format, "%{+"); fixed != wantFixed {
			t.Errorf("NewInputIndex(%q).Fixed() = %v, want %v", format, fixed, wantFixed)
		}
	}
	f("format-string", ts, "format-string")
	f("%{[key]}", ts, "value")
	f("%{[missing]:default}", ts, "default")
	f("%{[nested.key]}", ts, "value")
	f("%{[nested][key]}", ts, "value")
	f("%{[key]}-%{+yyyy.MM.dd}", ts, "value-2015.05.01")
	f("%{[agent.name]}-myindex-%{+yyyy.MM.dd}", ts, "shipper-myindex-2015.05.01") // Filebeat's docs: filebeat-myindex-2019.11.01
	f("squid-%{[agent.version]}-%{+yyyy.MM.dd}", ts, "squid-1.2.3-2015.05.01")
	f("%{[key]:x}-%{[key]}", ts, "value-value")
	f("Logs-%{+yyyy.MM.dd-HH}", ts, "logs-2015.05.01-20")
	// The event's time in UTC, as Beats normalizes it.
	f("x-%{+yyyy.MM.dd}", time.Date(2015, 5, 2, 1, 0, 0, 0, time.FixedZone("UTC+8", 8*3600)), "x-2015.05.01")

	// One name per second is kept: a new day is a new name, in any order.
	x, err := NewInputIndex("x-%{+yyyy.MM.dd}", static)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{ts, "x-2015.05.01"}, {ts.Add(time.Millisecond), "x-2015.05.01"},
		{ts.Add(24 * time.Hour), "x-2015.05.02"}, {ts, "x-2015.05.01"},
	} {
		if got := x.Render(c.at); got != c.want {
			t.Errorf("Render(%v) = %q, want %q", c.at, got, c.want)
		}
	}

	for _, bad := range []string{"%{[host.name]}", "%{[key]}-%{[other]}", "%{[key]", "%{key}", "a b", "_x", "-%{+yyyy}", ".", strings.Repeat("x", 256)} {
		if _, err := NewInputIndex(bad, static); err == nil {
			t.Errorf("NewInputIndex(%q) accepted, want an error", bad)
		}
	}
}

// BenchmarkInputIndexRender is an input's index with a date, per event.
func BenchmarkInputIndexRender(b *testing.B) {
	x, err := NewInputIndex("squid-%{[agent.version]}-%{+yyyy.MM.dd}", map[string]string{"agent.version": "1.2.3"})
	if err != nil {
		b.Fatal(err)
	}
	ts := time.Date(2015, 5, 1, 20, 12, 34, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = x.Render(ts.Add(time.Duration(i) * time.Millisecond))
	}
}

// TestIndexDateAsBeats: %{+pattern} is Beats' date pattern
// (libbeat/common/dtfmt, Joda-like), not Go's layout: the cases of Beats'
// dtfmt TestFormat (UTC), as render writes them (the action line then
// lower-cases the name, as Beats does). Here
// only yyyy, yy, MM, dd, HH, mm and ss were known, so the common
// %{+YYYY.MM.dd} wrote "yyyy.03.01" and weekly indices (xxxx.ww) their
// letters.
func TestIndexDateAsBeats(t *testing.T) {
	f := func(at time.Time, pattern, want string) {
		t.Helper()
		cfg := DefaultConfig()
		cfg.Index = "x-%{+" + pattern + "}"
		out, err := New(cfg, nil, nil)
		if err != nil {
			t.Errorf("New(index %q): %v", cfg.Index, err)
			return
		}
		e := event.New(at, 1)
		if got, why := out.index.render(nil, e); string(got) != "x-"+want || why != "" {
			t.Errorf("index %q at %v = %q (%s), want %q", cfg.Index, at, got, why, "x-"+want)
		}
	}
	d := func(y, m, dd int) time.Time { return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC) }
	tm := func(h, m, s, ms int) time.Time { return time.Date(2000, 1, 1, h, m, s, ms*1e6, time.UTC) }
	f(d(6, 8, 1), "y.M.d", "6.8.1")
	f(d(2006, 8, 1), "y.M.d", "2006.8.1")
	f(d(2006, 8, 1), "yy.MM.dd", "06.08.01")
	f(d(6, 8, 1), "yy.MM.dd", "06.08.01")
	f(d(2006, 8, 1), "yyy.MMM.dd", "2006.Aug.01")
	f(d(2006, 8, 1), "yyyy.MMMM.d", "2006.August.1")
	f(d(2006, 8, 1), "yyyyyy.MM.ddd", "002006.08.001")
	f(d(2006, 8, 1), "YYYY.MM.dd", "2006.08.01")
	f(d(2006, 8, 1), "YY.MM.dd", "06.08.01")
	f(d(2015, 1, 1), "xx.ww.e", "15.01.4")
	f(d(2014, 12, 31), "xx.ww.e", "15.01.3")
	f(d(2015, 1, 1), "xx.w.E", "15.1.Thu")
	f(d(2014, 12, 31), "xx.w.EEEE", "15.1.Wednesday")
	f(d(2014, 12, 31), "xxxx.ww", "2015.01")
	f(d(2015, 1, 1), "xxxx.w.EEEE", "2015.1.Thursday")
	f(d(2006, 8, 1), "D.DDD", "213.213")
	f(tm(8, 5, 24, 0), "K.m.s-a", "8.5.24-AM")
	f(tm(20, 5, 24, 0), "KK.mm.ss-aa", "08.05.24-PM")
	f(tm(8, 5, 24, 0), "h.m.s", "9.5.24") // Beats' clock hours: hour+1
	f(tm(20, 5, 24, 0), "hh.mm.ss", "09.05.24")
	f(tm(20, 5, 24, 0), "H.m.s", "20.5.24")
	f(tm(20, 5, 24, 0), "kk.mm.ss", "21.05.24")
	f(tm(1, 2, 3, 123), "S", "1")
	f(tm(1, 2, 3, 123), "SS", "12")
	f(tm(1, 2, 3, 123), "SSS", "123")
	f(tm(1, 2, 3, 123), "SSSS", "1230")
	f(d(2017, 1, 2), "yyyy-MM-dd'T'HH.mm", "2017-01-02T00.00")
	f(d(2017, 1, 2), "'plain' '' 'text'", "plain ' text")
	f(d(2017, 1, 2), "'plain '' text'", "plain ' text")
	f(d(2017, 1, 2), "=+_!", "=+_!")
	for _, bad := range []string{"G", "C", "Z", "'open"} {
		cfg := DefaultConfig()
		cfg.Index = "x-%{+" + bad + "}"
		if _, err := New(cfg, nil, nil); err == nil {
			t.Errorf("New(index %q) accepted, want an error (as Beats' dtfmt)", cfg.Index)
		}
	}
}

// FuzzDateFormat: any %{+pattern} either is refused or renders any time
// without a panic.
func FuzzDateFormat(f *testing.F) {
	for _, s := range []string{"yyyy.MM.dd", "YYYY.MM.dd", "xxxx.ww.e", "'a''b'", "''", "'", "EEEE MMMM SSSSS", "yyyyyyyyyyyyyyyyyyyyyyy", "é'é"} {
		f.Add(s, int64(1e9))
	}
	f.Fuzz(func(t *testing.T, pattern string, sec int64) {
		d, err := parseDate(pattern)
		if err != nil {
			return
		}
		_ = d.append(nil, time.Unix(sec%(1<<40), 0))
	})
}
