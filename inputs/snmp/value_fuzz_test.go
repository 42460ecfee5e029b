package snmp

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"
)

// goValue builds the Go value of a fuzzed varbind: any of the Go types
// gosnmp produces, whatever the ASN.1 type says.
func goValue(kind uint8, i int64, u uint64, b []byte) any {
	switch kind % 9 {
	case 0:
		return int(i)
	case 1:
		return uint(u)
	case 2:
		return u
	case 3:
		return uint32(u)
	case 4:
		return b
	case 5:
		return string(b)
	case 6:
		return nil
	case 7:
		return i
	}
	return float64(i)
}

// FuzzVarbind: any (type, value) pair converts without panicking, and a
// success is consistent with the type.
func FuzzVarbind(f *testing.F) {
	f.Add(uint8(gosnmp.Counter32), uint8(1), int64(0), uint64(42), []byte(nil))
	f.Add(uint8(gosnmp.Counter32), uint8(2), int64(0), uint64(1)<<40, []byte(nil))
	f.Add(uint8(gosnmp.Counter64), uint8(2), int64(0), uint64(math.MaxUint64), []byte(nil))
	f.Add(uint8(gosnmp.Counter64), uint8(4), int64(0), uint64(0), []byte{1, 2})
	f.Add(uint8(gosnmp.OctetString), uint8(4), int64(0), uint64(0), []byte("eth0\x00"))
	f.Add(uint8(gosnmp.OctetString), uint8(4), int64(0), uint64(0), []byte("\xff\xfe"))
	f.Add(uint8(gosnmp.Integer), uint8(0), int64(-5), uint64(0), []byte(nil))
	f.Add(uint8(gosnmp.TimeTicks), uint8(3), int64(0), uint64(123), []byte(nil))
	f.Add(uint8(gosnmp.NoSuchInstance), uint8(6), int64(0), uint64(0), []byte(nil))
	f.Fuzz(func(t *testing.T, typ, kind uint8, i int64, u uint64, b []byte) {
		p := gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.2.2.1.10.1", Type: gosnmp.Asn1BER(typ), Value: goValue(kind, i, u, b)}
		if c, st := toCounter(p); st == valOK {
			if c.bits == 32 && (p.Type != gosnmp.Counter32 || c.v > math.MaxUint32) || c.bits == 64 && p.Type != gosnmp.Counter64 || c.bits == 0 {
				t.Errorf("toCounter(%v) = %v", p, c)
			}
		}
		if _, st := toUint32(p, gosnmp.Gauge32, gosnmp.TimeTicks); st == valOK && p.Type != gosnmp.Gauge32 && p.Type != gosnmp.TimeTicks {
			t.Errorf("toUint32(%v) accepted type %v", p, p.Type)
		}
		if _, st := toInt(p); st == valOK && p.Type != gosnmp.Integer {
			t.Errorf("toInt(%v) accepted type %v", p, p.Type)
		}
		if s, st := toString(p); st == valOK && (!utf8.ValidString(s) || len(s) > 3*maxString) {
			t.Errorf("toString(%v) = %q", p, s)
		}
		if m, st := toMAC(p); st == valOK && strings.Trim(m, "0123456789abcdef:") != "" {
			t.Errorf("toMAC(%v) = %q", p, m)
		}
	})
}

// FuzzTable feeds arbitrary varbinds (name and value) into the ifTable and
// ifXTable join and builds events from the result: no panic, whatever the
// agent sends.
func FuzzTable(f *testing.F) {
	f.Add(".1.3.6.1.2.1.2.2.1.10.4", uint8(gosnmp.Counter32), uint8(1), int64(0), uint64(7), []byte(nil))
	f.Add(".1.3.6.1.2.1.31.1.1.1.6.4", uint8(gosnmp.Counter64), uint8(2), int64(0), uint64(7), []byte(nil))
	f.Add(".1.3.6.1.2.1.31.1.1.1.1.2147483647", uint8(gosnmp.OctetString), uint8(4), int64(0), uint64(0), []byte("eth0"))
	f.Add("1.3.6.1.2.1.2.2.1.2.99999999999", uint8(gosnmp.OctetString), uint8(4), int64(0), uint64(0), []byte("x"))
	f.Add(".1.3.6.1.2.1.2.2.1.3.1", uint8(gosnmp.Integer), uint8(0), int64(24), uint64(0), []byte(nil))
	f.Add(".1.3.6.1.2.1.2.2.1..1", uint8(gosnmp.Integer), uint8(0), int64(1), uint64(0), []byte(nil))
	f.Fuzz(func(t *testing.T, name string, typ, kind uint8, i int64, u uint64, b []byte) {
		p := gosnmp.SnmpPDU{Name: name, Type: gosnmp.Asn1BER(typ), Value: goValue(kind, i, u, b)}
		tb := newTable()
		tb.addIfTable(p)
		tb.addIfXTable(p)
		// Give every row a description so none is dropped as an orphan.
		for _, r := range tb.rows {
			tb.addIfTable(gosnmp.SnmpPDU{Name: oidf(oidIfTable, 2, r.index), Type: gosnmp.OctetString, Value: []byte("x")})
		}
		tr := newTracker(2)
		ag := &agentInfo{address: "udp://192.0.2.1:161", sys: sysInfo{uptime: uint32(u), hasUptime: true}}
		for _, r := range tb.sorted(interfacesConfig{}) {
			tr.begin(t0, ag.sys)
			res := tr.update(t0, r, false)
			buildEvent(t0, ag, r, &res)
			buildEvent(t0, ag, r, nil)
		}
	})
}

func TestSplitColumn(t *testing.T) {
	f := func(name string, col int, idx uint32, ok bool) {
		t.Helper()
		c, i, k := splitColumn(name, oidIfTable)
		if c != col || i != idx || k != ok {
			t.Errorf("splitColumn(%q) = %d, %d, %v; want %d, %d, %v", name, c, i, k, col, idx, ok)
		}
	}
	f(".1.3.6.1.2.1.2.2.1.10.4", 10, 4, true)
	f("1.3.6.1.2.1.2.2.1.10.4", 10, 4, true)
	f(".1.3.6.1.2.1.2.2.1.2.2147483647", 2, 2147483647, true)
	f(".1.3.6.1.2.1.2.2.1.2.2147483648", 0, 0, false) // above InterfaceIndex
	f(".1.3.6.1.2.1.2.2.1.2.0", 0, 0, false)
	f(".1.3.6.1.2.1.2.2.1.2.1.5", 0, 0, false) // two-part index: not IF-MIB
	f(".1.3.6.1.2.1.2.2.1.10", 0, 0, false)
	f(".1.3.6.1.2.1.2.2.10.10.1", 0, 0, false)
	f(".1.3.6.1.2.1.2.2.1.x.1", 0, 0, false)
}
