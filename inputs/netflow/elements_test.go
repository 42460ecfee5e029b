package netflow

import "testing"

func TestSnakeCase(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
	f("octetDeltaCount", "octet_delta_count")
	f("sourceIPv4Address", "source_ipv4_address")
	f("postNATSourceIPv4Address", "post_nat_source_ipv4_address")
	f("selectorIDTotalFlowsObserved", "selector_id_total_flows_observed")
	f("flowStartSysUpTime", "flow_start_sys_up_time")
	f("icmpTypeCodeIPv4", "icmp_type_code_ipv4")
	f("dot1qVlanId", "dot1q_vlan_id")
	f("VRFname", "vrf_name")
	f("uptimeMillis", "uptime_millis")
	f("sourceId", "source_id")
	f("already_snake", "already_snake")
}
