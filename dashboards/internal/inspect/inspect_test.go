package inspect

import (
	"reflect"
	"testing"
)

func TestKQLFields(t *testing.T) {
	f := func(q string, want ...string) {
		t.Helper()
		got := KQLFields(q)
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("KQLFields(%q) = %q, want %q", q, got, want)
		}
	}
	f("")
	f("event.action : TCP_DENIED* or http.response.status_code >= 400", "event.action", "http.response.status_code")
	f(`"snmp.interface.oper_status": *`, "snmp.interface.oper_status")
	f("event.severity <= 1", "event.severity")
	f("not (source.ip:10.0.0.0/8 and @timestamp > now-1h)", "source.ip", "@timestamp")
	f("free text only")
}

func TestFormulaFields(t *testing.T) {
	got := FormulaFields("8 * counter_rate(max(system.network.in.bytes), kql='system.network.name : eth0') / last_value(snmp.interface.speed_bps)")
	want := []FormulaField{
		{"max", "system.network.in.bytes"},
		{"last_value", "snmp.interface.speed_bps"},
		{"kql", "system.network.name"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FormulaFields = %+v, want %+v", got, want)
	}
	if got := FormulaFields("count() / 2"); len(got) != 0 {
		t.Errorf("FormulaFields(count() / 2) = %+v, want none", got)
	}
}
