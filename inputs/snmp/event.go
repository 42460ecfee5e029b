package snmp

import (
	"math"
	"strconv"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// eventFields is the capacity a fresh event gets: about what a 64-bit
// interface with rates fills, so Add never reallocates.
const eventFields = 48

// agentInfo is the per-poll, agent-wide part of every event.
type agentInfo struct {
	address string // canonical target, "udp://192.0.2.1:161"
	ip      string
	sys     sysInfo
}

// buildEvent makes the one event of interface r for a poll taken at at.
// res is nil when no rates are computed at all (run --once).
func buildEvent(at time.Time, ag *agentInfo, r *ifRow, res *rateResult) *event.Event {
	e := event.New(at, eventFields)
	f := &e.Fields
	f.Add("event.kind", "metric")
	f.Add("event.module", "snmp")
	f.Add("event.dataset", "snmp.interface")
	if ag.sys.name != "" {
		f.Add("observer.hostname", ag.sys.name)
	}
	if ag.ip != "" {
		f.Add("observer.ip", ag.ip)
	}
	f.Add("snmp.agent.address", ag.address)
	if ag.sys.hasUptime {
		f.Add("snmp.agent.uptime", int64(ag.sys.uptime/100))
	}

	// Metricbeat's system.network.* names, cumulative, so that Kibana's
	// counter_rate formulas work on them as they do on Metricbeat data.
	f.Add("system.network.name", r.displayName())
	addCounter(f, "system.network.in.bytes", r.c[cInOctets])
	addCounter(f, "system.network.out.bytes", r.c[cOutOctets])
	if n, ok := packets(&r.c, inPacketSlots[:]); ok {
		addCounter(f, "system.network.in.packets", counterVal{v: n, bits: 64})
	}
	if n, ok := packets(&r.c, outPacketSlots[:]); ok {
		addCounter(f, "system.network.out.packets", counterVal{v: n, bits: 64})
	}
	addCounter(f, "system.network.in.errors", r.c[cInErrors])
	addCounter(f, "system.network.out.errors", r.c[cOutErrors])
	addCounter(f, "system.network.in.dropped", r.c[cInDiscards])
	addCounter(f, "system.network.out.dropped", r.c[cOutDiscards])

	f.Add("snmp.interface.index", int64(r.index))
	if r.descr != "" {
		f.Add("snmp.interface.descr", r.descr)
	}
	if r.alias != "" {
		f.Add("snmp.interface.alias", r.alias)
	}
	if r.mac != "" {
		f.Add("snmp.interface.mac", r.mac)
	}
	if r.has&hasType != 0 {
		f.Add("snmp.interface.type", ifTypeName(r.ifType))
	}
	if r.has&hasMTU != 0 {
		f.Add("snmp.interface.mtu", r.mtu)
	}
	if s := r.speedBps(); s > 0 {
		f.Add("snmp.interface.speed_bps", int64(s))
	}
	if r.has&hasAdmin != 0 {
		f.Add("snmp.interface.admin_status", statusName(r.admin))
	}
	if r.has&hasOper != 0 {
		f.Add("snmp.interface.oper_status", statusName(r.oper))
	}
	// ifLastChange is a sysUpTime value; turn it into a date.
	if r.has&hasLastChange != 0 && ag.sys.hasUptime && r.lastChange <= ag.sys.uptime {
		ago := time.Duration(ag.sys.uptime-r.lastChange) * 10 * time.Millisecond
		f.Add("snmp.interface.last_change", at.Add(-ago).UTC())
	}
	if r.c[cInOctets].bits != 0 || r.c[cOutOctets].bits != 0 {
		f.Add("snmp.interface.counter_bits", r.counterBits())
	}

	if res == nil {
		return e
	}
	if res.reset != resetNone {
		f.Add("snmp.rate.reset", string(res.reset))
		return e
	}
	if res.interval > 0 {
		f.Add("snmp.rate.interval_s", res.interval)
	}
	for i, name := range rateNames {
		if res.ok[i] {
			f.Add(name, res.val[i])
		}
	}
	if s := r.speedBps(); s > 0 {
		if res.ok[rInBps] {
			f.Add("snmp.utilization.in.pct", res.val[rInBps]/float64(s))
		}
		if res.ok[rOutBps] {
			f.Add("snmp.utilization.out.pct", res.val[rOutBps]/float64(s))
		}
	}
	return e
}

// rateNames are the field names of the rate slots.
var rateNames = [nRates]string{
	rInBps:       "snmp.rate.in.bps",
	rOutBps:      "snmp.rate.out.bps",
	rInPps:       "snmp.rate.in.pps",
	rOutPps:      "snmp.rate.out.pps",
	rInErrors:    "snmp.rate.in.errors_ps",
	rOutErrors:   "snmp.rate.out.errors_ps",
	rInDiscards:  "snmp.rate.in.discards_ps",
	rOutDiscards: "snmp.rate.out.discards_ps",
}

// addCounter adds a raw counter as a long. A Counter64 above 2^63-1 does not
// fit an Elasticsearch long and is left out (its rate is still computed).
func addCounter(f *event.Fields, key string, c counterVal) {
	if c.bits == 0 || c.v > math.MaxInt64 {
		return
	}
	f.Add(key, int64(c.v))
}

// statusName names ifAdminStatus / ifOperStatus values (RFC 2863).
func statusName(v int64) string {
	switch v {
	case 1:
		return "up"
	case 2:
		return "down"
	case 3:
		return "testing"
	case 4:
		return "unknown"
	case 5:
		return "dormant"
	case 6:
		return "notPresent"
	case 7:
		return "lowerLayerDown"
	}
	return strconv.FormatInt(v, 10)
}

// ifTypeName names the common IANAifType values; others are the number.
func ifTypeName(v int64) string {
	switch v {
	case 1:
		return "other"
	case 6:
		return "ethernetCsmacd"
	case 23:
		return "ppp"
	case 24:
		return "softwareLoopback"
	case 37:
		return "atm"
	case 53:
		return "propVirtual"
	case 62:
		return "fastEther"
	case 71:
		return "ieee80211"
	case 94:
		return "adsl"
	case 97:
		return "vdsl"
	case 117:
		return "gigabitEthernet"
	case 131:
		return "tunnel"
	case 135:
		return "l2vlan"
	case 136:
		return "l3ipvlan"
	case 161:
		return "ieee8023adLag"
	case 166:
		return "mpls"
	case 209:
		return "bridge"
	}
	return strconv.FormatInt(v, 10)
}
