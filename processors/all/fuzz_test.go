package all_test

import (
	"testing"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/event"
)

// fuzzChain runs every field processor of this package's list on the
// fuzzed keys "a", "b" and "a.b" (and what they hold).
const fuzzChain = `
- convert:
    fail_on_error: false
    ignore_missing: true
    fields:
      - {from: a, to: c.int, type: integer}
      - {from: a, to: c.long, type: long}
      - {from: a, to: c.float, type: float}
      - {from: a, to: c.double, type: double}
      - {from: a, to: c.bool, type: boolean}
      - {from: a, to: c.ip, type: ip}
      - {from: b, to: c.str, type: string}
- truncate_fields: {fields: [a, b, a.b], max_characters: 3, fail_on_error: false, ignore_missing: true}
- truncate_fields: {fields: [a, b], max_bytes: 2}
- copy_fields: {fields: [{from: a, to: d}, {from: b, to: a.b.c}], fail_on_error: false}
- rename: {fields: [{from: b, to: b.x}, {from: a.b, to: e}]}
- add_tags: {tags: [t1], target: a}
- add_labels: {labels: {k: v}}
- add_fields: {target: '', fields: {a.b.c: 1, labels.z: 2}}
- drop_fields: {fields: ["/^c\\./", b, a]}
- include_fields: {fields: [d, e, labels, error, log]}
`

// FuzzFieldProcessors: no panic on any event, and the result encodes.
func FuzzFieldProcessors(f *testing.F) {
	ps, err := processors.Build(proctest.Sections(f, fuzzChain), processors.Env{Name: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("a", "b", "0x1F", int64(7), 1.5, uint8(0))
	f.Add("a.b", "labels", "héllo wörld", int64(-1), -0.0, uint8(3))
	f.Add("b", "a", "10.0.0.1", int64(1<<40), 1e300, uint8(5))
	f.Fuzz(func(t *testing.T, k1, k2, s string, i int64, fl float64, shape uint8) {
		e := event.New(proctest.Time, 8)
		vals := []any{s, i, fl, []string{s, k2}, []any{s, i}, map[string]any{"b": s, k2: i}, nil, true, []byte(s)}
		e.Fields.Put(k1, vals[int(shape)%len(vals)])
		e.Fields.Put(k2, vals[int(shape/9)%len(vals)])
		e.Fields.Put("a.b", s)
		for _, p := range ps {
			out, err := p.Run(e)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if out == nil {
				return
			}
			e = out
		}
		event.AppendJSON(nil, e)
	})
}
