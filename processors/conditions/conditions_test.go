package conditions_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors/conditions"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

// compile builds the condition written under `when:` of a drop_event.
func compile(t testing.TB, cond string) (conditions.Condition, error) {
	t.Helper()
	body := proctest.Section(t, "- drop_event:\n    when:\n"+indent(cond, "      "))
	return conditions.New(body.Sub("when"))
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = pre + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// A document in the shape of Beats' docs examples (HTTP, process, network).
const doc = `{
  "http": {"response": {"code": 200, "bytes": 1024}},
  "status": "OK",
  "message": "Specific error: disk full",
  "tags": ["router", "squid"],
  "process": {"name": "foobar", "cpu": {"pct": 0.65}},
  "source": {"ip": "192.168.1.7", "port": 51000},
  "destination": {"ip": "8.8.8.8"},
  "client": {"ip": "::1"},
  "flag": true,
  "code_str": "200",
  "json": {"nested": {"k": "v"}}
}`

// TestBeatsDocExamples: each condition from Beats' "Conditions" reference
// page, against one document.
func TestBeatsDocExamples(t *testing.T) {
	e := proctest.Event(t, doc)
	// the decoded-JSON case: a map value reached by a dotted key
	e.Fields.Put("obj", map[string]any{"a": map[string]any{"b": "deep"}})
	for _, tc := range []struct {
		cond string
		want bool
	}{
		{"equals:\n  http.response.code: 200", true},
		{"equals:\n  http.response.code: 404", false},
		{"equals:\n  http:\n    response:\n      code: 200", true},
		{"equals:\n  status: OK", true},
		{"equals:\n  status: ok", false},
		{"equals:\n  flag: true", true},
		{"equals:\n  code_str: 200", false},             // int wanted, string there: no match (Beats)
		{"equals:\n  code_str: '200'", true},            // string wanted
		{"equals:\n  http.response.code: '200'", false}, // string wanted, int there
		{"equals:\n  missing: x", false},
		{"equals:\n  obj.a.b: deep", true},
		{"equals:\n  status: OK\n  http.response.code: 200", true},
		{"equals:\n  status: OK\n  http.response.code: 201", false},
		{"contains:\n  message: \"Specific error\"", true},
		{"contains:\n  message: \"other\"", false},
		{"contains:\n  tags: squi", true},                // any element of a list
		{"contains:\n  http.response.code: '20'", false}, // numbers are not strings
		{"regexp:\n  process.name: \"^foo.*\"", true},
		{"regexp:\n  process.name: \"^bar\"", false},
		{"regexp:\n  tags: \"^rou\"", true},
		{"range:\n  http.response.code:\n    gte: 400", false},
		{"range:\n  http.response.code:\n    lt: 400", true},
		{"range:\n  http.response.code.gte: 200", true},
		{"range:\n  http.response.code.gt: 200", false},
		{"range:\n  process.cpu.pct.gte: 0.5\n  process.cpu.pct.lt: 0.8", true},
		{"range:\n  process.cpu.pct.gte: 0.7", false},
		{"range:\n  code_str.gte: 100", false},            // strings never in range (Beats)
		{"range:\n  http.response.code.lte: '200'", true}, // a numeric string bound is a number
		{"network:\n  source.ip: private", true},
		{"network:\n  destination.ip: private", false},
		{"network:\n  destination.ip: public", true},
		{"network:\n  source.ip: public", false},
		{"network:\n  source.ip: '192.168.1.0/24'", true},
		{"network:\n  destination.ip: ['192.168.1.0/24', '10.0.0.0/8', loopback]", false},
		{"network:\n  client.ip: ['192.168.1.0/24', '10.0.0.0/8', loopback]", true},
		{"network:\n  client.ip: loopback", true},
		{"network:\n  destination.ip: unicast", true},
		{"network:\n  destination.ip: global_unicast", true},
		{"network:\n  message: public", false}, // not an address: no match
		{"network:\n  source.ip: private\n  destination.ip: public", true},
		{"has_fields: ['http.response.code']", true},
		{"has_fields: ['http.response.code', 'nope']", false},
		{"has_fields: ['http']", true},  // an object (prefix of flat keys)
		{"has_fields: ['obj.a']", true}, // inside a map value
		{"has_fields: ['@timestamp']", true},
		{"has_fields: ['htt']", false},
		{"or:\n  - equals:\n      http.response.code: 304\n  - equals:\n      http.response.code: 200", true},
		{"or:\n  - equals:\n      http.response.code: 304\n  - equals:\n      http.response.code: 404", false},
		{"and:\n  - equals:\n      http.response.code: 200\n  - equals:\n      status: OK", true},
		{"and:\n  - equals:\n      http.response.code: 200\n  - equals:\n      status: KO", false},
		{"or:\n  - equals:\n      status: KO\n  - and:\n      - equals:\n          http.response.code: 200\n      - network:\n          source.ip: private", true},
		{"not:\n  equals:\n    status: OK", false},
		{"not:\n  equals:\n    status: KO", true},
	} {
		c, err := compile(t, tc.cond)
		if err != nil {
			t.Errorf("%s: %v", tc.cond, err)
			continue
		}
		if got := c.Check(e); got != tc.want {
			t.Errorf("%s\n  = %v, want %v (%s)", tc.cond, got, tc.want, c)
		}
	}
}

// TestNamedNetworks: Beats' named ranges, address by address.
func TestNamedNetworks(t *testing.T) {
	for _, tc := range []struct {
		ip    string
		in    []string
		notIn []string
	}{
		{"127.0.0.1", []string{"loopback"}, []string{"public", "private", "unicast"}},
		{"::1", []string{"loopback"}, []string{"public"}},
		{"10.1.2.3", []string{"private", "unicast"}, []string{"public", "loopback"}},
		{"172.31.255.255", []string{"private"}, []string{"public"}},
		{"172.32.0.1", []string{"public"}, []string{"private"}},
		{"fd12::1", []string{"private"}, []string{"public"}},
		{"2001:4860::8888", []string{"public", "unicast", "global_unicast"}, []string{"private"}},
		{"224.0.0.251", []string{"multicast", "link_local_multicast"}, []string{"unicast", "public"}},
		{"239.1.1.1", []string{"multicast", "public"}, []string{"link_local_multicast"}},
		{"ff01::1", []string{"multicast", "interface_local_multicast"}, []string{"public"}},
		{"169.254.1.1", []string{"link_local_unicast"}, []string{"public", "unicast"}},
		{"fe80::1", []string{"link_local_unicast"}, []string{"public"}},
		{"0.0.0.0", []string{"unspecified"}, []string{"public"}},
		{"::", []string{"unspecified"}, []string{"public"}},
		{"255.255.255.255", nil, []string{"public", "unicast"}},
		{"100.64.0.1", []string{"public"}, []string{"private"}}, // CGNAT is not "private" in Beats
	} {
		e := event.New(proctest.Time, 1)
		e.Fields.Put("ip", tc.ip)
		check := func(name string, want bool) {
			c, err := compile(t, "network:\n  ip: "+name)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Check(e); got != want {
				t.Errorf("%s in %s = %v, want %v", tc.ip, name, got, want)
			}
		}
		for _, n := range tc.in {
			check(n, true)
		}
		for _, n := range tc.notIn {
			check(n, false)
		}
	}
}

// TestBadConditions: each wrong shape is an error naming file, line and key.
func TestBadConditions(t *testing.T) {
	for _, tc := range []struct {
		cond string
		want string // substring, after "test.yml:"
	}{
		{"regexp:\n  process.name: '^(foo'", "test.yml:5: processors[0].drop_event.when.regexp.process.name: error parsing regexp: missing closing ): `^(foo`"},
		{"equal:\n  a: 1", "test.yml:4: processors[0].drop_event.when.equal: unknown condition \"equal\""},
		{"equals:\n  a: 1.5", "test.yml:5: processors[0].drop_event.when.equals.a: condition attempted to set 'a' -> '1.5' and encountered unexpected type 'float64', only strings, ints, and booleans are allowed"},
		{"equals:\n  a: [1, 2]", "processors[0].drop_event.when.equals.a: condition attempted to set"},
		{"equals: 3", "test.yml:4: processors[0].drop_event.when.equals: want a mapping of field: value"},
		{"contains:\n  a: 5", "test.yml:5: processors[0].drop_event.when.contains.a: unexpected type uint64 of 5"},
		{"range:\n  a.between: 5", "test.yml:5: processors[0].drop_event.when.range.a.between: unexpected range operator between"},
		{"range:\n  a.gte: high", "processors[0].drop_event.when.range.a.gte: strconv.ParseFloat: parsing \"high\": invalid syntax"},
		{"network:\n  ip: 10.0.0.0/33", "test.yml:5: processors[0].drop_event.when.network.ip: failed to parse CIDR"},
		{"network:\n  ip: [private, privat]", "test.yml:5: processors[0].drop_event.when.network.ip[1]: failed to parse CIDR"},
		{"network:\n  ip: 5", "processors[0].drop_event.when.network.ip: network condition attempted to set '5'"},
		{"has_fields: {a: 1}", "processors[0].drop_event.when.has_fields: want a list of field names"},
		{"or: []", "processors[0].drop_event.when.or: want a non-empty list of conditions"},
		{"or:\n  - equals: {a: 1}\n  - regexp: {b: '['}", "test.yml:6: processors[0].drop_event.when.or[1].regexp.b: error parsing regexp"},
		{"not:\n  nope: {a: 1}", "processors[0].drop_event.when.not.nope: unknown condition"},
		{"equals: {a: 1}\ncontains: {b: x}", "test.yml:5: processors[0].drop_event.when.contains: a condition has exactly one operator, found 2 (equals, contains)"},
		{"~", "processors[0].drop_event.when: missing or invalid condition"},
	} {
		_, err := compile(t, tc.cond)
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.cond, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %q", tc.cond, err, tc.want)
		}
		var ce *config.Error
		if !asConfigError(err, &ce) || ce.Line == 0 {
			t.Errorf("%s: %v is not a located config error", tc.cond, err)
		}
	}
}
