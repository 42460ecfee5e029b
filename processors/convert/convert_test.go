package convert_test

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/convert"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		name, conf, in, want string
		failures             int64
	}{
		{"doc example", `
- convert:
    fields:
      - {from: "src_ip", to: "source.ip", type: "ip"}
      - {from: "src_port", to: "source.port", type: "integer"}
    ignore_missing: true
    fail_on_error: false`,
			`{"src_ip": "192.168.1.7", "src_port": "51000"}`,
			`{"src_ip": "192.168.1.7", "src_port": "51000", "source": {"ip": "192.168.1.7", "port": 51000}}`, 0},
		{"mode rename", `
- convert:
    fields:
      - {from: "src_ip", to: "source.ip", type: "ip"}
      - {from: "src_port", to: "source.port", type: "long"}
    mode: rename`,
			`{"src_ip": "192.168.1.7", "src_port": "0x1F90"}`,
			`{"source": {"ip": "192.168.1.7", "port": 8080}}`, 0},
		{"in place, every type", `
- convert:
    fields:
      - {from: a, type: integer}
      - {from: b, type: long}
      - {from: c, type: float}
      - {from: d, type: double}
      - {from: e, type: string}
      - {from: f, type: boolean}
      - {from: g, type: String}
      - {from: h, type: long}
      - {from: i, type: string}`,
			`{"a": "-12", "b": 3.9, "c": "1.1", "d": 7, "e": 42, "f": "TRUE", "g": true, "h": "+0x10", "i": 2.5}`,
			`{"a": -12, "b": 3, "c": 1.1, "d": 7, "e": "42", "f": true, "g": "true", "h": 16, "i": "2.5"}`, 0},
		{"copy without type", `- convert: {fields: [{from: a, to: b}]}`,
			`{"a": "x"}`, `{"a": "x", "b": "x"}`, 0},
		{"a failure leaves the event as it came (fail_on_error)", `
- convert:
    fields:
      - {from: a, type: integer}
      - {from: b, type: ip}`,
			`{"a": "1", "b": "not-an-ip"}`, `{"a": "1", "b": "not-an-ip"}`, 1},
		{"missing (fail_on_error)", `- convert: {fields: [{from: a, type: integer}, {from: nope, type: long}]}`,
			`{"a": "1"}`, `{"a": "1"}`, 1},
		{"without fail_on_error the others are done", `
- convert:
    fail_on_error: false
    fields:
      - {from: a, type: integer}
      - {from: b, type: boolean}
      - {from: c, type: integer}`,
			`{"a": "99999999999", "b": "yes", "c": "5"}`, `{"a": "99999999999", "b": "yes", "c": 5}`, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := monitoring.NewRegistry()
			p, err := convert.New(proctest.Section(t, tc.conf), processors.Env{Metrics: m, Name: "p"})
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.Run(proctest.Event(t, tc.in))
			if err != nil || out == nil {
				t.Fatalf("Run = %v, %v", out, err)
			}
			if got, want := proctest.JSON(t, out), proctest.Canon(t, tc.want); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if n := m.Snapshot()["p.failures"]; n != tc.failures {
				t.Errorf("failures = %d, want %d", n, tc.failures)
			}
		})
	}
}

// TestErrorText: the message logged (at debug) is Beats' newConvertError.
func TestErrorText(t *testing.T) {
	_, err := convert.To(convert.Integer, "x")
	if err == nil || err.Error() != `strconv.ParseInt: parsing "x": invalid syntax` {
		t.Errorf("got %v", err)
	}
	for _, tc := range []struct {
		typ  convert.Type
		v    any
		want string
	}{
		{convert.String, nil, "invalid conversion of [null] to string"},
		{convert.Long, []string{"a"}, "invalid conversion of [[]string] to long"},
		{convert.Boolean, int64(1), "invalid conversion of [int64] to boolean"},
		{convert.IP, "300.1.1.1", "value is not a valid IP address"},
		{convert.IP, int64(1), "invalid conversion of [int64] to IP"},
	} {
		if _, err := convert.To(tc.typ, tc.v); err == nil || err.Error() != tc.want {
			t.Errorf("%v(%v): got %v, want %q", tc.typ, tc.v, err, tc.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"- convert: {mode: copy}", "processors[0].convert.fields: missing required field"},
		{"- convert:\n    fields:\n      - {from: a, type: int}", "test.yml:4: processors[0].convert.fields[0].type: invalid data type: int (want one of integer, long, float, double, string, boolean, ip)"},
		{"- convert:\n    fields:\n      - {from: a}", "test.yml:4: processors[0].convert.fields[0]: each field must have a 'to' or a 'type'"},
		{"- convert:\n    fields:\n      - {to: a, type: long}", "test.yml:4: processors[0].convert.fields[0]: missing required field from"},
		{"- convert:\n    mode: move\n    fields: [{from: a, type: long}]", "test.yml:3: processors[0].convert.mode: invalid mode: move (want copy or rename)"},
	} {
		_, err := convert.New(proctest.Section(t, tc.conf), processors.Env{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %q", tc.conf, err, tc.want)
		}
	}
}
