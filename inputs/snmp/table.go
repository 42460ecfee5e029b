package snmp

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// OIDs, numeric: Debian ships no IETF MIB files and gosnmp needs none.
const (
	oidSysUpTime = ".1.3.6.1.2.1.1.3.0" // SNMPv2-MIB sysUpTime.0, TimeTicks (1/100 s)
	oidSysName   = ".1.3.6.1.2.1.1.5.0" // SNMPv2-MIB sysName.0
	oidIfTable   = ".1.3.6.1.2.1.2.2.1" // IF-MIB ifEntry
	oidIfXTable  = ".1.3.6.1.2.1.31.1.1.1"
)

// Counter slots of one interface. The packet totals Metricbeat has
// (system.network.in.packets) are sums of the unicast, multicast and
// broadcast slots.
const (
	cInOctets = iota
	cInUcast
	cInMcast
	cInBcast
	cInNUcast // ifInNUcastPkts (deprecated ifTable column): used when the ifXTable has no multicast/broadcast
	cInErrors
	cInDiscards
	cOutOctets
	cOutUcast
	cOutMcast
	cOutBcast
	cOutNUcast
	cOutErrors
	cOutDiscards
	nCounters
)

// ifRow is one interface: the ifTable and ifXTable rows joined by ifIndex.
type ifRow struct {
	index      uint32
	name       string // ifName (ifXTable)
	descr      string // ifDescr
	alias      string // ifAlias
	mac        string // ifPhysAddress
	ifType     int64
	mtu        int64
	speed      uint32 // ifSpeed, bit/s (saturates at 2^32-1)
	highSpeed  uint32 // ifHighSpeed, Mbit/s
	admin      int64  // ifAdminStatus
	oper       int64  // ifOperStatus
	lastChange uint32 // ifLastChange, sysUpTime ticks
	discTime   uint32 // ifCounterDiscontinuityTime, sysUpTime ticks
	has        hasBits
	c32, c64   [nCounters]counterVal // as read; resolve() picks one per slot
	c          [nCounters]counterVal // resolved: HC when present, else 32-bit
}

// hasBits records which scalar columns the agent answered.
type hasBits uint16

const (
	hasType hasBits = 1 << iota
	hasMTU
	hasSpeed
	hasHighSpeed
	hasAdmin
	hasOper
	hasLastChange
	hasDiscTime
)

// displayName is the interface's name as Metricbeat has it: ifName, or
// ifDescr on agents without an ifXTable.
func (r *ifRow) displayName() string {
	if r.name != "" {
		return r.name
	}
	return r.descr
}

// identity distinguishes interfaces that reuse one ifIndex (a tunnel
// deleted and another created): a different identity resets the baseline.
func (r *ifRow) identity() string {
	return r.displayName() + "\x00" + strconv.FormatInt(r.ifType, 10)
}

// speedBps is the interface speed in bit/s as RFC 2863 defines it: ifSpeed,
// unless it saturates (4294967295), then ifHighSpeed × 10^6. 0 = unknown.
func (r *ifRow) speedBps() uint64 {
	if r.has&hasSpeed != 0 && r.speed < 1<<32-1 {
		if r.speed == 0 && r.has&hasHighSpeed != 0 {
			return uint64(r.highSpeed) * 1e6
		}
		return uint64(r.speed)
	}
	if r.has&hasHighSpeed != 0 {
		return uint64(r.highSpeed) * 1e6
	}
	if r.has&hasSpeed != 0 {
		return uint64(r.speed)
	}
	return 0
}

// counterBits is 64 when both octet counters are the HC ones, else 32.
func (r *ifRow) counterBits() int64 {
	if r.c[cInOctets].bits == 64 && r.c[cOutOctets].bits == 64 {
		return 64
	}
	return 32
}

// resolve picks, per slot, the 64-bit HC counter when the agent has it and
// the 32-bit one otherwise.
func (r *ifRow) resolve() {
	for i := range r.c {
		if r.c64[i].bits != 0 {
			r.c[i] = r.c64[i]
		} else {
			r.c[i] = r.c32[i]
		}
	}
}

// table collects the varbinds of one poll into rows.
type table struct {
	rows    map[uint32]*ifRow
	skipped int // varbinds dropped: garbage type or malformed OID
}

func newTable() *table { return &table{rows: make(map[uint32]*ifRow, 16)} }

// splitColumn parses "<root>.<column>.<ifIndex>" into its column and
// ifIndex. gosnmp names start with a dot; a name without it is accepted.
func splitColumn(name, root string) (col int, idx uint32, ok bool) {
	name = strings.TrimPrefix(name, ".")
	root = strings.TrimPrefix(root, ".")
	if len(name) <= len(root)+1 || !strings.HasPrefix(name, root) || name[len(root)] != '.' {
		return 0, 0, false
	}
	rest := name[len(root)+1:]
	dot := strings.IndexByte(rest, '.')
	if dot <= 0 {
		return 0, 0, false
	}
	c, err := strconv.ParseUint(rest[:dot], 10, 8)
	if err != nil || c == 0 {
		return 0, 0, false
	}
	// ifIndex is 1..2147483647 (InterfaceIndex), one sub-identifier.
	i, err := strconv.ParseUint(rest[dot+1:], 10, 31)
	if err != nil || i == 0 {
		return 0, 0, false
	}
	return int(c), uint32(i), true
}

func (t *table) row(idx uint32) *ifRow {
	r := t.rows[idx]
	if r == nil {
		r = &ifRow{index: idx}
		t.rows[idx] = r
	}
	return r
}

// note counts a garbage varbind.
func (t *table) note(s status) bool {
	if s == valGarbage {
		t.skipped++
	}
	return s == valOK
}

// addIfTable stores one ifTable varbind.
func (t *table) addIfTable(p gosnmp.SnmpPDU) {
	col, idx, ok := splitColumn(p.Name, oidIfTable)
	if !ok {
		t.skipped++
		return
	}
	switch col {
	case 1, 15, 21, 22: // ifIndex (repeats the index), ifInUnknownProtos, ifOutQLen, ifSpecific
		return
	}
	r := t.row(idx)
	switch col {
	case 2:
		if s, st := toString(p); t.note(st) {
			r.descr = s
		}
	case 3:
		t.setInt(p, &r.ifType, &r.has, hasType)
	case 4:
		t.setInt(p, &r.mtu, &r.has, hasMTU)
	case 5:
		t.setUint32(p, &r.speed, &r.has, hasSpeed, gosnmp.Gauge32, gosnmp.Uinteger32)
	case 6:
		if s, st := toMAC(p); t.note(st) {
			r.mac = s
		}
	case 7:
		t.setInt(p, &r.admin, &r.has, hasAdmin)
	case 8:
		t.setInt(p, &r.oper, &r.has, hasOper)
	case 9:
		t.setUint32(p, &r.lastChange, &r.has, hasLastChange, gosnmp.TimeTicks)
	case 10:
		t.setCounter(p, &r.c32[cInOctets])
	case 11:
		t.setCounter(p, &r.c32[cInUcast])
	case 12:
		t.setCounter(p, &r.c32[cInNUcast])
	case 13:
		t.setCounter(p, &r.c32[cInDiscards])
	case 14:
		t.setCounter(p, &r.c32[cInErrors])
	case 16:
		t.setCounter(p, &r.c32[cOutOctets])
	case 17:
		t.setCounter(p, &r.c32[cOutUcast])
	case 18:
		t.setCounter(p, &r.c32[cOutNUcast])
	case 19:
		t.setCounter(p, &r.c32[cOutDiscards])
	case 20:
		t.setCounter(p, &r.c32[cOutErrors])
	}
}

// addIfXTable stores one ifXTable varbind. Only interfaces the ifTable
// listed are kept (the join is ifTable-driven), but a row is created here
// too: the ifTable walk may have come first or not at all (then it is
// dropped in rows()).
func (t *table) addIfXTable(p gosnmp.SnmpPDU) {
	col, idx, ok := splitColumn(p.Name, oidIfXTable)
	if !ok {
		t.skipped++
		return
	}
	switch col {
	case 14, 16, 17: // ifLinkUpDownTrapEnable, ifPromiscuousMode, ifConnectorPresent
		return
	}
	if col > 19 {
		return // columns added after RFC 2863
	}
	r := t.row(idx)
	switch col {
	case 1:
		if s, st := toString(p); t.note(st) {
			r.name = s
		}
	case 2:
		t.setCounter(p, &r.c32[cInMcast])
	case 3:
		t.setCounter(p, &r.c32[cInBcast])
	case 4:
		t.setCounter(p, &r.c32[cOutMcast])
	case 5:
		t.setCounter(p, &r.c32[cOutBcast])
	case 6:
		t.setCounter(p, &r.c64[cInOctets])
	case 7:
		t.setCounter(p, &r.c64[cInUcast])
	case 8:
		t.setCounter(p, &r.c64[cInMcast])
	case 9:
		t.setCounter(p, &r.c64[cInBcast])
	case 10:
		t.setCounter(p, &r.c64[cOutOctets])
	case 11:
		t.setCounter(p, &r.c64[cOutUcast])
	case 12:
		t.setCounter(p, &r.c64[cOutMcast])
	case 13:
		t.setCounter(p, &r.c64[cOutBcast])
	case 15:
		t.setUint32(p, &r.highSpeed, &r.has, hasHighSpeed, gosnmp.Gauge32, gosnmp.Uinteger32)
	case 18:
		if s, st := toString(p); t.note(st) {
			r.alias = s
		}
	case 19:
		t.setUint32(p, &r.discTime, &r.has, hasDiscTime, gosnmp.TimeTicks)
	}
}

func (t *table) setCounter(p gosnmp.SnmpPDU, dst *counterVal) {
	if v, st := toCounter(p); t.note(st) {
		*dst = v
	}
}

func (t *table) setInt(p gosnmp.SnmpPDU, dst *int64, has *hasBits, bit hasBits) {
	if v, st := toInt(p); t.note(st) {
		*dst = v
		*has |= bit
	}
}

func (t *table) setUint32(p gosnmp.SnmpPDU, dst *uint32, has *hasBits, bit hasBits, want ...gosnmp.Asn1BER) {
	if v, st := toUint32(p, want...); t.note(st) {
		*dst = v
		*has |= bit
	}
}

// sorted returns the interfaces sorted by ifIndex (numerically: a string sort
// puts 10 before 2), resolved, and filtered by the interfaces config. A row
// the ifTable never described (no ifDescr, no ifType, no counter) is an
// ifXTable orphan and dropped.
func (t *table) sorted(sel interfacesConfig) []*ifRow {
	out := make([]*ifRow, 0, len(t.rows))
	for _, r := range t.rows {
		if r.descr == "" && r.has&hasType == 0 && r.c32[cInOctets].bits == 0 && r.c64[cInOctets].bits == 0 {
			continue
		}
		if !sel.selected(r.displayName()) {
			continue
		}
		r.resolve()
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *ifRow) int { return cmp.Compare(a.index, b.index) })
	return out
}

// walkInterfaces reads sysUpTime, sysName, the ifTable and the ifXTable.
// An agent without an ifXTable (old, or v1-only) ends that walk at once and
// gets 32-bit counters.
func walkInterfaces(c Client) (sys sysInfo, t *table, err error) {
	t = newTable()
	pdus, err := c.Get([]string{oidSysUpTime, oidSysName})
	if err != nil {
		return sys, t, fmt.Errorf("get sysUpTime, sysName: %w", err)
	}
	for _, p := range pdus {
		switch strings.TrimPrefix(p.Name, ".") {
		case oidSysUpTime[1:]:
			if v, st := toUint32(p, gosnmp.TimeTicks); t.note(st) {
				sys.uptime, sys.hasUptime = v, true
			}
		case oidSysName[1:]:
			if v, st := toString(p); t.note(st) {
				sys.name = v
			}
		}
	}
	if err := c.Walk(oidIfTable, func(p gosnmp.SnmpPDU) error { t.addIfTable(p); return nil }); err != nil {
		return sys, t, fmt.Errorf("walk ifTable: %w", err)
	}
	if err := c.Walk(oidIfXTable, func(p gosnmp.SnmpPDU) error { t.addIfXTable(p); return nil }); err != nil {
		return sys, t, fmt.Errorf("walk ifXTable: %w", err)
	}
	return sys, t, nil
}

// sysInfo is the agent-wide part of a poll.
type sysInfo struct {
	uptime    uint32 // sysUpTime, 1/100 s
	hasUptime bool
	name      string // sysName
}
