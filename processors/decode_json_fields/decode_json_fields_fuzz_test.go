package decodejsonfields

import (
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// FuzzDecodeJSONFields runs the processor on any text with every mode:
// no panic, the event is kept and still encodes.
func FuzzDecodeJSONFields(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `{"log":"{\"level\":\"info\"}","n":3}`, `[1,"[2]",{"x":"{}"}]`, `{"a.b":{"c":1},"a.b.d":2}`,
		`{"a.b":"c","a.b.c":"d"}`, `{"@timestamp":"2024-01-02T03:04:05Z","@metadata":{"_id":"x"},"type":"t"}`,
		`1e999`, `"str"`, `{"msg":"{\"msg\":\"{}\"}"}`, `{} {}`, `{"":{"":1}}`, `{"a":{"b":1},"a.b":2}`,
	} {
		f.Add(s, uint8(0), uint8(2))
	}
	f.Fuzz(func(t *testing.T, text string, mode, depth uint8) {
		target := ""
		cfg := Config{
			Fields: []string{"msg"}, MaxDepth: int(depth%4) + 1,
			ExpandKeys: mode&1 != 0, OverwriteKeys: mode&2 != 0, AddErrorKey: mode&4 != 0, ProcessArray: mode&8 != 0,
			DocumentID: "a.b",
		}
		if mode&16 != 0 {
			cfg.Target = &target
		}
		p, err := NewProcessor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e := event.New(time.Unix(0, 0), 4)
		e.Fields.Put("msg", text)
		e.Fields.Put("a.x", 1)
		e.Fields.Put("obj", map[string]any{"k": "v"})
		out, _ := p.Run(e)
		if out == nil {
			t.Fatal("event dropped")
		}
		event.AppendJSON(nil, out)
	})
}
