// Package snmptest holds helpers for tests that need SNMP data: the
// snmpwalk captures in inputs/snmp/testdata read back into the varbinds
// gosnmp would have decoded.
package snmptest

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// ReadWalk parses `snmpwalk -On` / `snmpget -On` output. Errors name the
// file and line.
func ReadWalk(path string) ([]gosnmp.SnmpPDU, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []gosnmp.SnmpPDU
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		p, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, p)
	}
	return out, sc.Err()
}

func parseLine(line string) (gosnmp.SnmpPDU, error) {
	oid, val, ok := strings.Cut(line, " = ")
	if !ok {
		return gosnmp.SnmpPDU{}, fmt.Errorf("no ' = '")
	}
	p := gosnmp.SnmpPDU{Name: oid}
	typ, v, _ := strings.Cut(val, ": ")
	num := func() (uint64, error) {
		s := v
		if typ == "Timeticks" { // "(101) 0:00:01.01"
			s = strings.Trim(strings.Fields(v)[0], "()")
		}
		return strconv.ParseUint(s, 10, 64)
	}
	var err error
	var u uint64
	switch typ {
	case `""`:
		p.Type, p.Value = gosnmp.OctetString, []byte{}
	case "STRING":
		p.Type, p.Value = gosnmp.OctetString, []byte(strings.Trim(v, `"`))
	case "Hex-STRING":
		var b []byte
		for _, h := range strings.Fields(v) {
			c, _ := strconv.ParseUint(h, 16, 8)
			b = append(b, byte(c))
		}
		p.Type, p.Value = gosnmp.OctetString, b
	case "INTEGER":
		i, _ := strconv.Atoi(v)
		p.Type, p.Value = gosnmp.Integer, i
	case "Gauge32":
		u, err = num()
		p.Type, p.Value = gosnmp.Gauge32, uint(u)
	case "Counter32":
		u, err = num()
		p.Type, p.Value = gosnmp.Counter32, uint(u)
	case "Counter64":
		u, err = num()
		p.Type, p.Value = gosnmp.Counter64, u
	case "Timeticks":
		u, err = num()
		p.Type, p.Value = gosnmp.TimeTicks, uint32(u)
	case "OID":
		p.Type, p.Value = gosnmp.ObjectIdentifier, v
	default:
		return p, fmt.Errorf("type %q not handled", typ)
	}
	return p, err
}
