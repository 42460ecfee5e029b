package conditions_test

import (
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors/conditions"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

// FuzzCheck evaluates one condition of each kind on events with arbitrary
// keys and values of every type an event holds: no panic, and not(c) is
// always the opposite of c.
func FuzzCheck(f *testing.F) {
	conds := []string{
		"equals: {a: 1, b.c: x, d: true}",
		"contains: {a: x, b.c: y}",
		"regexp: {a: '^x.*[0-9]$', b: 'a|b'}",
		"range: {a.gte: 1, a.lt: 10.5, b.c.gt: -3}",
		"network: {a: private, b.c: ['10.0.0.0/8', public, 'fd00::/8']}",
		"has_fields: [a, b.c, b]",
		"or: [{equals: {a: 1}}, {and: [{has_fields: [b]}, {not: {contains: {a: z}}}]}]",
	}
	var cs []conditions.Condition
	for _, c := range conds {
		cond, err := compile(f, c)
		if err != nil {
			f.Fatal(err)
		}
		cs = append(cs, cond)
	}
	f.Add("a", "10.1.2.3", int64(5), 2.5, true)
	f.Add("b.c", "x9", int64(-3), -1e300, false)
	f.Add("b", "::ffff:10.0.0.1", int64(1), 0.0, true)
	f.Fuzz(func(t *testing.T, key, s string, i int64, fl float64, b bool) {
		for kind := 0; kind < 7; kind++ {
			e := event.New(proctest.Time, 2)
			var v any
			switch kind {
			case 0:
				v = s
			case 1:
				v = i
			case 2:
				v = fl
			case 3:
				v = b
			case 4:
				v = []string{s, key}
			case 5:
				v = []any{s, i, nil}
			case 6:
				v = map[string]any{"c": s, key: i}
			}
			if key != "" {
				e.Fields.Put(key, v)
			}
			e.Fields.Put("b.c", s)
			for _, c := range cs {
				got := c.Check(e)
				if n := notOf(t, c); n.Check(e) == got {
					t.Fatalf("%s and its negation agree on %v", c, e.Fields)
				}
			}
		}
	})
}

func notOf(t *testing.T, c conditions.Condition) conditions.Condition {
	return negation{c}
}

type negation struct{ c conditions.Condition }

func (n negation) Check(e *event.Event) bool { return !n.c.Check(e) }
func (n negation) String() string            { return "not " + n.c.String() }

// FuzzCompile: any YAML under `when:` compiles or is a located error.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"equals: {a: 1}", "regexp: {a: '(['}", "range: {a.gte: x}", "network: {a: [1, 2]}",
		"or: [{not: {has_fields: a}}]", "and: ~", "not: []", "{}", "[]", "x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var doc yaml.Node
		if yaml.Unmarshal([]byte(src), &doc) != nil || len(doc.Content) == 0 {
			return
		}
		c, err := conditions.New(config.Section{Node: doc.Content[0], File: "f.yml", Path: "when"})
		if err != nil {
			return
		}
		c.Check(proctest.Event(t, `{"a": 1, "b": {"c": "x"}}`))
		_ = c.String()
	})
}
