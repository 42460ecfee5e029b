package all_test

import (
	"bytes"
	"testing"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/event"
)

// encoderChain rewrites, copies, splits and converts values the way a
// user's processors do after an input: what the output's Encoder then
// sees, event after event.
const encoderChain = `
- dissect: {tokenizer: "%{a} %{b} %{c}", field: message, target_prefix: "", ignore_failure: true}
- copy_fields: {fields: [{from: message, to: event.original}, {from: host.name, to: observer.name}], fail_on_error: false, ignore_missing: true}
- convert: {fields: [{from: b, to: n, type: long}, {from: c, to: c, type: string}], fail_on_error: false, ignore_missing: true}
- truncate_fields: {fields: [message, a], max_bytes: 7, fail_on_error: false, ignore_missing: true}
- add_tags: {tags: [t1]}
- rename: {fields: [{from: a, to: source.user}], fail_on_error: false, ignore_missing: true}
`

// Boxes shared by every event, as static fields and an input's constants
// are: the Encoder writes a step whose value is the same box in one piece.
var (
	sharedHost any = "router-1"
	sharedTags any = []string{"s1", "s2"}
	sharedNum  any = int64(1234567)
)

// FuzzEncoderAfterProcessors: one Encoder (an output worker's) writes
// event after event that went through processors which rewrite, copy and
// cut values, some of them boxes shared between events; every document
// must be AppendJSON's, byte for byte, whatever came before it.
func FuzzEncoderAfterProcessors(f *testing.F) {
	ps, err := processors.Build(proctest.Sections(f, encoderChain), processors.Env{Name: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	var enc event.Encoder // kept across inputs, as a worker keeps it
	f.Add("alice 42 GET /x", "x", uint8(0))
	f.Add("bob 43 POST /y", "y", uint8(1))
	f.Add("bob 43", "a\"b", uint8(2))
	f.Add("héllo 1 2 3", "", uint8(7))
	f.Fuzz(func(t *testing.T, msg, other string, shape uint8) {
		e := event.New(proctest.Time, 8)
		e.Fields.Add("message", msg)
		if shape&1 != 0 {
			e.Fields.Add("host.name", sharedHost)
		} else {
			e.Fields.Add("host.name", other)
		}
		if shape&2 != 0 {
			e.Fields.Add("tags", sharedTags)
		}
		if shape&4 != 0 {
			e.Fields.Add("size", sharedNum)
		}
		if shape&8 != 0 {
			e.Fields.Add("url.path", msg[:len(msg)/2]) // a slice of the message
		}
		for _, p := range ps {
			out, err := p.Run(e)
			if err != nil {
				continue // a processor error tags the event in the pipeline; the event goes on
			}
			if out == nil {
				return
			}
			e = out
		}
		want := event.AppendJSON(nil, e)
		for range 2 { // the second time every step repeats its last value
			if got := enc.Append(nil, e); !bytes.Equal(got, want) {
				t.Fatalf("Encoder wrote\n%s\nAppendJSON\n%s", got, want)
			}
		}
	})
}
