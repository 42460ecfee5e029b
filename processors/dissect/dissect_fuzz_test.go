package dissect

import (
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// FuzzDissect compiles any pattern and runs it on any message, through the
// tokenizer and the processor: no panic, no hang, and the values of a
// pattern without conversions are pieces of the message.
func FuzzDissect(f *testing.F) {
	for _, c := range [][2]string{
		{"%{key1} %{key2}", "foo bar"},
		{"%{+key/3} %{+key/1} %{+key/2}", "1 2 3"},
		{"%{?key} %{&key}", "hello world"},
		{"%{*key} %{&key}", "hello world"},
		{"%{id} %{function->} %{server}", "00000043 ViewReceive     machine-321"},
		{"%{id} %{function} %{server->} ", "00000043 ViewReceive machine-321    "},
		{"{%{a}}{%{b}} %{rest}", "{c}{d} anything"},
		{"%{a#3}%{b}", "abcdef"},
		{"%{a#3}-%{b#2}", "abc-d"},
		{"%{a->}%{b}", "xy"},
		{"%{a|long} %{b|float} %{c|ip}", "0x10 1.5 ::1"},
		{"%{?a} %{a|integer} %{&a}", "a 1 2"},
		{"%{a}\n%{b}", "x\ny"},
		{squidTokenizer, "1795594303.206      0 127.0.0.1 TCP_MISS/200 635 GET http://127.0.0.1:9428/ - HIER_DIRECT/127.0.0.1 text/html"},
	} {
		f.Add(c[0], c[1], false, uint8(0))
	}
	f.Fuzz(func(t *testing.T, tok, msg string, overwrite bool, trim uint8) {
		d, err := Compile(tok)
		if err != nil {
			return
		}
		pairs, err := d.appendPairs(nil, msg)
		if err == nil && !d.convert {
			for _, p := range pairs {
				if p.val != nil {
					t.Fatalf("converted value without a type: %#v", p)
				}
				if !strings.Contains(msg, p.str) && !hasAppend(d) {
					t.Fatalf("value %q is not in the message %q", p.str, msg)
				}
			}
		}
		p, err := NewProcessor(Config{Tokenizer: tok, Field: "message", TargetPrefix: "t", OverwriteKeys: overwrite, TrimValues: TrimMode(trim % 4), TrimChars: " \té"})
		if err != nil {
			t.Fatalf("compiles alone but not in the processor: %v", err)
		}
		e := event.New(time.Unix(0, 0), 4)
		e.Fields.Put("message", msg)
		e.Fields.Put("t.x", "y")
		out, _ := p.Run(e)
		if out == nil {
			t.Fatal("event dropped")
		}
		event.AppendJSON(nil, out)
	})
}

func hasAppend(d *Dissector) bool {
	for _, f := range d.fields {
		if f.kind == kindAppend {
			return true
		}
	}
	return false
}
