package event

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestAppendJSON(t *testing.T) {
	ts := time.Date(2026, 11, 25, 8, 12, 3, 206_000_000, time.UTC)
	f := func(name string, fields Fields, want string) {
		t.Helper()
		e := &Event{Timestamp: ts, Fields: fields}
		got := string(AppendJSON(nil, e))
		if got != want {
			t.Errorf("%s: AppendJSON = %s\nwant %s", name, got, want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("%s: invalid JSON %s", name, got)
		}
	}
	f("empty", nil, `{"@timestamp":"2026-11-25T08:12:03.206Z"}`)
	f("nested", Fields{
		{"source.ip", "10.0.0.1"},
		{"http.response.status_code", 200},
		{"http.request.method", "GET"},
		{"message", "x"},
		{"http.response.bytes", int64(635)},
		{"source.port", 3128},
	}, `{"@timestamp":"2026-11-25T08:12:03.206Z","http":{"request":{"method":"GET"},"response":{"bytes":635,"status_code":200}},"message":"x","source":{"ip":"10.0.0.1","port":3128}}`)
	f("siblings with punctuation", Fields{
		{"a.b.c", 1}, {"a.b-x", 2}, {"a.bz", 3}, {"a.b.d.e", 4},
	}, `{"@timestamp":"2026-11-25T08:12:03.206Z","a":{"b-x":2,"b":{"c":1,"d":{"e":4}},"bz":3}}`)
	f("values", Fields{
		{"s", "q\"\\\n\x01\xff€"},
		{"f", 0.5}, {"nan", math.NaN()}, {"big", 1e21}, {"tiny", 1e-9},
		{"tags", []string{"a", "b"}},
		{"m", map[string]any{"z": 1, "a": []any{"x", true, nil}}},
		{"geo", GeoPoint{Lat: 35.5, Lon: 139.75}},
		{"raw", RawJSON(`{"k":[1]}`)},
		{"t", ts},
	}, `{"@timestamp":"2026-11-25T08:12:03.206Z","big":1e+21,"f":0.5,"geo":{"lat":35.5,"lon":139.75},"m":{"a":["x",true,null],"z":1},"nan":null,"raw":{"k":[1]},"s":"q\"\\\n\u0001\ufffd€","t":"2026-11-25T08:12:03.206Z","tags":["a","b"],"tiny":1e-9}`)
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	e := &Event{Timestamp: time.Unix(1795594303, 0), Fields: Fields{
		{"url.original", "http://x/?a=<b>&c"}, {"user.name", "bob"}, {"event.action", "TCP_MISS"},
		{"event.duration", int64(12)}, {"destination.address", "example.org"},
	}}
	var got map[string]any
	if err := json.Unmarshal(AppendJSON(nil, e), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"@timestamp":  "2026-11-25T08:11:43Z",
		"url":         map[string]any{"original": "http://x/?a=<b>&c"},
		"user":        map[string]any{"name": "bob"},
		"event":       map[string]any{"action": "TCP_MISS", "duration": 12.0},
		"destination": map[string]any{"address": "example.org"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("decoded document (-want +got):\n%s", d)
	}
}

func TestPutConflicts(t *testing.T) {
	var f Fields
	f.Put("a", 1)
	f.Put("a.b", 2) // replaces the scalar a
	f.Put("a.c", 3)
	f.Put("a.b", 4)
	if d := cmp.Diff(Fields{{"a.b", 4}, {"a.c", 3}}, f); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	f.Put("a", "x") // replaces both a.b and a.c
	if d := cmp.Diff(Fields{{"a", "x"}}, f); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	f.Put("m", map[string]any{"k": map[string]any{"v": 1}})
	if v, ok := f.Get("m.k.v"); !ok || v != 1 {
		t.Errorf("Get(m.k.v) = %v, %v; want 1, true", v, ok)
	}
	if !f.Delete("m") || f.Has("m.k") {
		t.Errorf("Delete(m) left %v", f)
	}
}

func TestTag(t *testing.T) {
	e := New(time.Time{}, 2)
	e.Tag("_grokparsefailure")
	e.Tag("_grokparsefailure")
	e.Tag("x")
	if v, _ := e.Fields.Get("tags"); !cmp.Equal(v, []string{"_grokparsefailure", "x"}) {
		t.Errorf("tags = %v", v)
	}
	if !e.HasTag("x") || e.HasTag("y") {
		t.Errorf("HasTag wrong for %v", e.Fields)
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("a.b", "v", "a.c", "\xff")
	f.Add(".", "", "..", "x")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		var fs Fields
		fs.Put(k1, v1)
		fs.Put(k2, v2)
		out := AppendJSON(nil, &Event{Fields: fs})
		if !json.Valid(out) {
			t.Fatalf("invalid JSON for %q: %s", fs, out)
		}
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	e := &Event{Timestamp: time.Unix(1795594303, 206e6), Fields: Fields{
		{"source.ip", "10.0.0.1"}, {"http.response.status_code", 200}, {"http.request.method", "GET"},
		{"message", "1795594303.206      0 127.0.0.1 TCP_MISS/200 635 GET http://127.0.0.1:9428/ - HIER_DIRECT/127.0.0.1 text/html"},
		{"http.response.bytes", int64(635)}, {"url.original", "http://127.0.0.1:9428/"}, {"event.action", "TCP_MISS"},
		{"squid.hierarchy_code", "HIER_DIRECT"}, {"destination.ip", "127.0.0.1"}, {"destination.address", "127.0.0.1"},
		{"http.response.mime_type", "text/html"}, {"squid.request.duration", int64(0)}, {"log.file.path", "/var/log/squid/access.log"},
		{"log.offset", int64(123456)}, {"input.type", "squid"}, {"ecs.version", "8.11.0"}, {"host.name", "router"},
	}}
	b.Run("AppendJSON", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = AppendJSON(buf[:0], e)
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("Encoder", func(b *testing.B) {
		var buf []byte
		var enc Encoder
		b.ReportAllocs()
		for b.Loop() {
			buf = enc.Append(buf[:0], e)
		}
		b.SetBytes(int64(len(buf)))
	})
}

func TestEncoderCacheFollowsKeyChanges(t *testing.T) {
	var enc Encoder
	a := &Event{Fields: Fields{{"b", 1}, {"a", 2}}}
	b := &Event{Fields: Fields{{"b", 1}, {"c", 3}, {"a", 2}}}
	c := &Event{Fields: Fields{{"a", 2}, {"b", 1}}}
	for i, tc := range []struct {
		e    *Event
		want string
	}{{a, `"a":2,"b":1}`}, {a, `"a":2,"b":1}`}, {b, `"a":2,"b":1,"c":3}`}, {c, `"a":2,"b":1}`}, {a, `"a":2,"b":1}`}} {
		got := string(enc.Append(nil, tc.e))
		if !strings.HasSuffix(got, tc.want) || got != string(AppendJSON(nil, tc.e)) {
			t.Errorf("step %d: Encoder.Append = %s, want suffix %s", i, got, tc.want)
		}
	}
}

func TestEncoderAlternatingKeySets(t *testing.T) {
	var enc Encoder
	var evs []*Event
	for i := range 20 { // more key sets than the cache holds
		f := Fields{{"z", i}, {"a", 1}}
		for j := range i % 11 {
			f = append(f, Field{Key: fmt.Sprintf("k%02d", j), Value: j})
		}
		evs = append(evs, &Event{Fields: f})
	}
	for round := range 3 {
		for i, e := range evs {
			if got, want := string(enc.Append(nil, e)), string(AppendJSON(nil, e)); got != want {
				t.Fatalf("round %d event %d: %s, want %s", round, i, got, want)
			}
		}
	}
}

// FuzzEncoderPlan: the Encoder's cached plan writes what AppendJSON writes,
// for any keys (nested, conflicting, escaped, "@timestamp"), the first time
// and from the cache.
func FuzzEncoderPlan(f *testing.F) {
	f.Add("a.b,a.c,b,@timestamp,x.y.z,x.y", "v")
	f.Add("a,a.b,.,..,a..b,\"q\".\\", "\xff\n")
	f.Add("z.z.z.z.z.z.z.z.z.z,z.z.z.z.z.z.z.z.z.y,a", "")
	f.Fuzz(func(t *testing.T, keys, v string) {
		var fs Fields
		for i, k := range strings.Split(keys, ",") {
			fs = append(fs, Field{Key: k, Value: v + strconv.Itoa(i)})
		}
		if len(fs) > 255 {
			return
		}
		var enc Encoder
		e := &Event{Timestamp: time.Unix(1, 5), Fields: fs}
		for range 2 {
			ev := e.Clone() // AppendJSON may sort a long event's fields in place
			want := string(AppendJSON(nil, ev))
			if got := string(enc.Append(nil, e)); got != want {
				t.Fatalf("keys %q: Encoder.Append = %s, AppendJSON = %s", keys, got, want)
			}
		}
	})
}

// FuzzAppendString: the 8-byte scan writes what a byte-by-byte scan
// writes, and encoding/json reads the string back (invalid UTF-8 as U+FFFD).
func FuzzAppendString(f *testing.F) {
	f.Add("plain ascii text, long enough for two words")
	f.Add("quote\" back\\slash\x1f ctl\x7f del é \xff\u2028 end of the line")
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q: invalid JSON %s: %v", s, got, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); utf8.ValidString(s) && back != want {
			t.Fatalf("%q: read back %q", s, back)
		}
		for i := range len(s) / 8 {
			w := s[8*i : 8*i+8]
			want := true
			for j := 0; j < 8; j++ {
				want = want && safeASCII[w[j]]
			}
			if safe8(w) != want {
				t.Fatalf("safe8(%q) = %v, want %v", w, !want, want)
			}
		}
	})
}

// TestEncoderManyKeySets: past maxPlans key sets the Encoder starts over
// and still writes what AppendJSON writes.
func TestEncoderManyKeySets(t *testing.T) {
	var enc Encoder
	for round := range 2 {
		for i := range maxPlans + 50 {
			e := &Event{Fields: Fields{{fmt.Sprintf("k.%d", i), i}, {"a.b", 1}, {fmt.Sprintf("k%d", i%7), "x"}}}
			if got, want := string(enc.Append(nil, e)), string(AppendJSON(nil, e.Clone())); got != want {
				t.Fatalf("round %d set %d: %s, want %s", round, i, got, want)
			}
		}
	}
}

// squidEvent is a document like the squid input's (36 fields, in the
// order the input, the parser and the static fields add them): the line,
// its offset, source and URL differ from event to event.
func squidEvent(i int) *Event {
	e := New(time.Unix(1572202844, int64(i%1000)*1e6), 40)
	src := fmt.Sprintf("10.170.%d.%d", i/250%250, i%250)
	url := fmt.Sprintf("http://search.example.org/robots%d.txt", i)
	for _, f := range []Field{
		{"message", fmt.Sprintf("1572202844.%03d    752 %s TCP_MISS/200 16801 POST %s - ORIGINAL_DST/83.111.231.225 image/png", i%1000, src, url)},
		{"log.file.path", "/var/log/squid/access.log"}, {"log.offset", int64(i) * 130},
		{"event.action", "TCP_MISS"}, {"http.response.status_code", int64(200)}, {"http.response.bytes", int64(16801)},
		{"http.request.method", "POST"}, {"url.original", url},
		{"squid.hierarchy_code", "ORIGINAL_DST"}, {"destination.address", "83.111.231.225"},
		{"squid.content_type", "image/png"}, {"squid.request.duration", int64(752)}, {"source.ip", src},
		{"event.kind", "event"}, {"event.module", "squid"}, {"event.dataset", "squid.access"},
		{"destination.ip", "83.111.231.225"}, {"url.domain", "search.example.org"}, {"url.scheme", "http"},
		{"url.path", url[len("http://search.example.org"):]}, {"event.duration", int64(752000000)},
		{"related.ip", []string{src, "83.111.231.225"}}, {"event.category", []string{"web", "network"}},
		{"event.type", []string{"access"}}, {"event.outcome", "success"},
		{"observer.vendor", "Squid"}, {"observer.product", "Squid"}, {"observer.type", "proxy"},
		{"input.type", "squid"}, {"ecs.version", "8.11.0"}, {"host.name", "vm"},
		{"agent.id", "4e68a30b-f37f-46be-ba02-9d30bf08c22a"}, {"agent.name", "vm"}, {"agent.type", "shipper"},
		{"agent.version", "0.1.0-dev"},
	} {
		e.Fields.Add(f.Key, f.Value)
	}
	return e
}

// BenchmarkEncoderSquid encodes squid documents (the file output's hot
// path); the timestamps move by a millisecond per event.
func BenchmarkEncoderSquid(b *testing.B) {
	evs := make([]*Event, 1000)
	for i := range evs {
		evs[i] = squidEvent(i)
	}
	var buf []byte
	var enc Encoder
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = enc.Append(buf[:0], evs[i%len(evs)])
		i++
	}
	b.SetBytes(int64(len(buf)))
}

// The Encoder's cached second writes what time.AppendFormat writes: the
// same second again, the next one, other zones, no fraction, nanoseconds,
// and years that need a sign or a fifth digit.
func TestEncoderTimestamp(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	var enc Encoder
	for _, ts := range []time.Time{
		time.Unix(1572202844, 25e6), time.Unix(1572202844, 60e6), time.Unix(1572202844, 0),
		time.Unix(1572202845, 1), time.Unix(1572202845, 123456789).In(tokyo), time.Unix(1572202845, 100).In(tokyo),
		time.Unix(1572202844, 999999999), {}, time.Date(9999, 12, 31, 23, 59, 59, 5e8, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 5e8, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 7, time.UTC), time.Unix(1572202844, 25e6),
		time.Unix(1572202844, 1e6), time.Unix(1572202844, 100e6), time.Unix(1572202844, 120e6),
		time.Unix(1572202844, 999e6), time.Unix(1572202844, 10e6), time.Unix(1572202844, 1e6+1),
	} {
		e := &Event{Timestamp: ts, Fields: Fields{{"a", 1}}}
		if got, want := string(enc.Append(nil, e)), string(AppendJSON(nil, e)); got != want {
			t.Errorf("Encoder.Append at %v = %s, want %s", ts, got, want)
		}
	}
}

func FuzzEncoderTimestamp(f *testing.F) {
	f.Add(int64(1572202844), int64(25e6), int64(1), int64(0))
	f.Add(int64(-62135596800), int64(0), int64(-1), int64(999999999))
	f.Fuzz(func(t *testing.T, sec, nsec, dsec, dnsec int64) {
		var enc Encoder
		for _, ts := range []time.Time{time.Unix(sec, nsec), time.Unix(sec+dsec, dnsec), time.Unix(sec, dnsec)} {
			e := &Event{Timestamp: ts}
			if got, want := string(enc.Append(nil, e)), string(AppendJSON(nil, e)); got != want {
				t.Fatalf("Encoder.Append at %d.%09d = %s, want %s", ts.Unix(), ts.Nanosecond(), got, want)
			}
		}
	})
}

// The Encoder's repeated values (a step's frag and value kept in one
// piece once a value repeats) follow every change: a value that changes
// after repeating, alternates, changes type, or is equal with other
// storage.
func TestEncoderRepeatedValues(t *testing.T) {
	var enc Encoder
	vals := []any{"a", "a", "a", "b", "b", "a", int64(1), int64(1), "1", "1", int64(2), 2, 2, []string{"x"}, []string{"x"},
		"q\"", "q\"", strings.Repeat("é", 3), strings.Repeat("é", 3), nil, nil, int64(1), "a"}
	for i, v := range vals {
		e := &Event{Timestamp: time.Unix(1572202844, 0), Fields: Fields{{"k.v", v}, {"k.w", vals[len(vals)-1-i]}, {"n", int64(i % 2)}}}
		if got, want := string(enc.Append(nil, e)), string(AppendJSON(nil, e)); got != want {
			t.Fatalf("document %d: Encoder.Append = %s, want %s", i, got, want)
		}
	}
}

// FuzzEncoderValues: documents of one key set whose values come from a
// small pool, so that they repeat, alternate and change (the Encoder's
// repeated-value path), encode as AppendJSON does.
func FuzzEncoderValues(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 0, 2, 2, 3, 3, 0})
	f.Fuzz(func(t *testing.T, picks []byte) {
		pool := []any{"x", "x\n", int64(7), int64(-7), "", 7, []string{"x"}, nil}
		var enc Encoder
		for i := 0; i+1 < len(picks); i += 2 {
			e := &Event{Fields: Fields{{"a.b", pool[int(picks[i])%len(pool)]}, {"a.c", pool[int(picks[i+1])%len(pool)]}}}
			if got, want := string(enc.Append(nil, e)), string(AppendJSON(nil, e)); got != want {
				t.Fatalf("document %d: Encoder.Append = %s, want %s", i/2, got, want)
			}
		}
	})
}

// A string value inside the document's message is copied without the
// escape scan only when the message needs no escape: substrings of a
// message with and without escapes, a value outside it, and the very same
// boxed []string with its elements changed in between (a step that repeats
// a box compares a list's elements).
func TestEncoderMessageSubstringsAndSharedBoxes(t *testing.T) {
	var enc Encoder
	list := []string{"web", "network"}
	var shared any = list
	for i, msg := range []string{
		`1572202844.025 752 10.0.0.1 TCP_MISS/200 GET http://x.example/a?b=c`,
		"1572202844.025 752 10.0.0.1 TCP_MISS/200 GET \"http://x.example/a\"\n\xff",
		`short`,
		`1572202844.025 752 10.0.0.1 TCP_MISS/200 GET http://x.example/a?b=c`,
		"tab\there and a quote \" here, long enough to scan words",
	} {
		if i == 3 {
			list[1] = "changed\n"
		}
		e := &Event{Timestamp: time.Unix(1572202844, 25e6), Fields: Fields{
			{"message", msg}, {"a.first", msg[:len(msg)/2]}, {"a.last", msg[len(msg)/3:]},
			{"b.list", []string{msg[1:4], msg[2:]}}, {"c", shared}, {"d", "\"outside\""},
		}}
		for round := range 3 {
			if got, want := string(enc.Append(nil, e)), string(AppendJSON(nil, e)); got != want {
				t.Fatalf("message %d round %d: Encoder.Append = %s, want %s", i, round, got, want)
			}
		}
	}
}

// FuzzEncoderSubstrings: values cut from the message (which may need
// escapes anywhere) encode as AppendJSON does.
func FuzzEncoderSubstrings(f *testing.F) {
	f.Add("1572202844.025 752 10.0.0.1 TCP_MISS/200 GET http://x.example/", uint8(3), uint8(9), uint8(20))
	f.Add("a\"b\\c\x01d\xffe€f\u2028g and some more text", uint8(1), uint8(5), uint8(2))
	f.Fuzz(func(t *testing.T, msg string, a, b, c uint8) {
		cut := func(i, j uint8) string {
			if len(msg) == 0 {
				return ""
			}
			x, y := int(i)%len(msg), int(j)%len(msg)
			return msg[min(x, y):max(x, y)]
		}
		var enc Encoder
		for _, m := range []string{msg, msg + " tail", msg} {
			e := &Event{Fields: Fields{{"z", cut(b, c)}, {"message", m}, {"a", cut(a, b)}, {"r", []string{cut(a, c), cut(c, b)}}}}
			if got, want := string(enc.Append(nil, e)), string(AppendJSON(nil, e)); got != want {
				t.Fatalf("Encoder.Append = %s, want %s", got, want)
			}
		}
	})
}

// FuzzEncoderSharedBoxes: documents of six fields whose values come from
// a few shared boxes (as constants and static fields are), repeated and
// changed at any step, and a shared []string that changes its elements
// under the same box: each document encodes as AppendJSON does.
func FuzzEncoderSharedBoxes(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 9, 3, 4, 5, 6, 8})
	f.Fuzz(func(t *testing.T, picks []byte) {
		list := []string{"web", "network"}
		pool := []any{"x", "x\n", int64(7), int64(-7), list, "", 7, nil, "y", []string{"z"}}
		keys := []string{"a.b", "a.c", "b", "c.d.e", "c.f", "z"}
		var enc Encoder
		for n := 0; len(picks) > 0; n++ {
			fs := make(Fields, len(keys))
			for i, k := range keys {
				fs[i] = Field{Key: k, Value: pool[int(picks[0])%len(pool)]}
				if picks[0] >= 200 { // change the shared list's elements under its box
					list[picks[0]%2] = strconv.Itoa(n)
				}
				if picks = picks[1:]; len(picks) == 0 {
					break
				}
			}
			for range 3 { // documents in a row with the same values
				e := &Event{Fields: fs}
				if got, want := string(enc.Append(nil, e)), string(AppendJSON(nil, e)); got != want {
					t.Fatalf("document %d: Encoder.Append = %s, want %s", n, got, want)
				}
			}
		}
	})
}

// FuzzAllSafe: allSafe is true exactly when every byte is safeASCII.
func FuzzAllSafe(f *testing.F) {
	f.Add("plain ascii text, long enough for two words and a tail")
	f.Add("0123456789abcde\"")
	f.Add("\x7f")
	f.Fuzz(func(t *testing.T, s string) {
		want := true
		for i := 0; i < len(s); i++ {
			want = want && safeASCII[s[i]]
		}
		if got := allSafe(s); got != want {
			t.Fatalf("allSafe(%q) = %v, want %v", s, got, want)
		}
	})
}

// FuzzAppendInt: appendInt writes what strconv.AppendInt writes.
func FuzzAppendInt(f *testing.F) {
	for _, v := range []int64{0, 9, 10, 99, 100, 101, 999, 1000, 752000000, 1<<63 - 1, -1, -1 << 63} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v int64) {
		if got, want := string(appendInt([]byte("x"), v)), string(strconv.AppendInt([]byte("x"), v, 10)); got != want {
			t.Fatalf("appendInt(%d) = %s, want %s", v, got, want)
		}
	})
}

// FuzzEncoderKeySets: one Encoder, documents whose key sets vary (keys
// left out, repeated, in other orders, prefixes of one another, sets that
// end where another goes on; no key twice, as Put and Add keep them), as
// a source's optional fields make them:
// every document is what AppendJSON writes, whichever plan its key set
// finds in the tree (issue 17: the plans are found by a walk along the
// keys).
func FuzzEncoderKeySets(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 255, 0, 1, 2, 255, 0, 1, 2, 3, 4, 255, 0, 1, 255, 3, 2, 1, 0})
	f.Add([]byte{5, 255, 255, 5, 5, 255, 6, 7, 8, 9, 255, 6, 7, 8})
	f.Fuzz(func(t *testing.T, picks []byte) {
		keys := []string{"message", "a.b", "a.c", "b", "c.d.e", "c.f", "z", "a", "@timestamp", "y.y"}
		var enc Encoder
		fs := Fields{}
		n := 0
		check := func() {
			e := &Event{Timestamp: time.Unix(int64(n), 0), Fields: fs}
			want := string(AppendJSON(nil, e.Clone()))
			if got := string(enc.Append(nil, e)); got != want {
				t.Fatalf("document %d, keys %v: Encoder.Append = %s, want %s", n, e.Fields, got, want)
			}
			n++
		}
		for _, p := range picks {
			if p == 255 { // the document ends: write it, start the next
				check()
				fs = Fields{}
				continue
			}
			if k := keys[int(p)%len(keys)]; !fs.HasKey(k) { // Add's promise: a new key
				fs = append(fs, Field{Key: k, Value: int64(p) + int64(n)})
			}
		}
		check()
	})
}
