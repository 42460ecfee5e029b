package filestream

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// FuzzMultiline runs lines through each multiline type and checks that no
// input panics and that the events cover every line exactly once, in
// order (the cursor invariant: nothing lost, nothing twice).
func FuzzMultiline(f *testing.F) {
	f.Add([]byte(javaTrace), uint8(0), uint8(3))
	f.Add([]byte("a\n b\n\n c\nd"), uint8(1), uint8(0))
	f.Add([]byte("1\n2\n3\n"), uint8(4), uint8(2))
	f.Add([]byte(" x\n y\nz\n"), uint8(5), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, mode, limit uint8) {
		c := defaultMultiline()
		c.Pattern = regex{regexp.MustCompile(`^\s`)}
		c.MaxLines = int(limit % 4)
		switch mode % 6 {
		case 0:
			c.Match = "after"
		case 1:
			c.Match, c.Negate = "before", true
		case 2:
			c.Match, c.FlushPattern = "after", regex{regexp.MustCompile(`END`)}
		case 3:
			c.Match = "before"
		case 4:
			c.Type, c.CountLines = "count", int(limit%5)+1
		case 5:
			c.Type, c.Negate = "while_pattern", limit%2 == 0
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		var got []message
		cfg := Config{Encoding: "plain", LineTerminator: "auto", Parsers: parsers{{Multiline: &c}}}
		ch := newChain(&cfg, 64, func(m message) error {
			m.content = append([]byte(nil), m.content...)
			got = append(got, m)
			return nil
		}, time.Now)
		lr := newLineReader(bytes.NewReader(data), 0, 512, 64) // the engine cuts lines to message_max_bytes too
		lines, read := 0, int64(0)
		for {
			line, start, end, trunc, err := lr.next()
			if err != nil {
				break
			}
			lines, read = lines+1, end
			if err := ch.line(line, start, end, trunc); err != nil {
				t.Fatal(err)
			}
		}
		if err := ch.flush(); err != nil {
			t.Fatal(err)
		}
		if _, ok := ch.held(); ok {
			t.Fatal("held after flush")
		}
		next, n := int64(0), 0
		for _, m := range got {
			if m.start != next || m.end <= m.start {
				t.Fatalf("event [%d,%d) after %d: %+v", m.start, m.end, next, got)
			}
			if len(m.content) > 64 {
				t.Fatalf("content %d bytes > max 64", len(m.content))
			}
			next = m.end
			n += m.lines
		}
		if next != read || n != lines {
			t.Fatalf("events cover [0,%d) and %d lines, read [0,%d) and %d lines", next, n, read, lines)
		}
	})
}

// FuzzNDJSON decodes any line with every option set; no panic, and the
// fields encode.
func FuzzNDJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"@timestamp":"2026-01-02T03:04:05Z","type":"_x","@metadata":{"_id":"i"}}`,
		`{"a.b":1,"a":{"c":[1,{"d":null}]}}`, `[1]`, `null`, `{"msg":3}`, `{"e":{}}`, "{\"a\":1}\xff"} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, line []byte, opts uint8) {
		c := &ndjsonConf{
			OverwriteKeys: opts&1 != 0, AddErrorKey: opts&2 != 0, ExpandKeys: opts&4 != 0,
			DocumentID: "a.b",
		}
		if opts&8 != 0 {
			c.MessageKey = "msg"
		}
		if opts&16 != 0 {
			c.Target = "json"
		}
		p := &ndjson{c: c}
		m := message{raw: line, content: line, lines: 1}
		p.decode(&m)
		e := event.New(m.ts, 8)
		for _, fl := range m.fields {
			e.Fields.Put(fl.Key, fl.Value)
		}
		_ = event.AppendJSON(nil, e)
	})
}
