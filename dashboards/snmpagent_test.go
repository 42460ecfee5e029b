package dashboards_test

import (
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/shipper-project/shipper/inputs/snmp/snmptest"
)

// scriptedAgent is a small SNMPv2c agent on 127.0.0.1 serving the IF-MIB
// capture of inputs/snmp/testdata (Debian 12 snmpd) over real UDP, so that
// the real snmp input, through the runner, produces the documents the
// Interfaces dashboard reads. Every poll (a GET of sysUpTime starts one)
// moves eth0's traffic, error and discard counters forward, and eth0 gets
// a 1 Gb/s speed, so that rates and utilisation are computed.
type scriptedAgent struct {
	conn    *net.UDPConn
	mu      sync.Mutex
	base    map[string]gosnmp.SnmpPDU
	oids    []string // sorted numerically
	polls   uint64
	started time.Time
}

const eth0 = "4" // ifIndex of eth0 in the capture

func startAgent(t *testing.T, walkFile string) *scriptedAgent {
	t.Helper()
	pdus := readWalkFile(t, walkFile)
	a := &scriptedAgent{base: map[string]gosnmp.SnmpPDU{}, started: time.Now()}
	for _, p := range pdus {
		a.base[p.Name] = p
	}
	// eth0 at 1 Gb/s (ifSpeed and ifHighSpeed).
	a.base[".1.3.6.1.2.1.2.2.1.5."+eth0] = gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.2.2.1.5." + eth0, Type: gosnmp.Gauge32, Value: uint(1000000000)}
	a.base[".1.3.6.1.2.1.31.1.1.1.15."+eth0] = gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.31.1.1.1.15." + eth0, Type: gosnmp.Gauge32, Value: uint(1000)}
	for k := range a.base {
		a.oids = append(a.oids, k)
	}
	sort.Slice(a.oids, func(i, j int) bool { return oidLess(a.oids[i], a.oids[j]) })
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	a.conn = conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.serve()
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return a
}

func (a *scriptedAgent) addr() string { return a.conn.LocalAddr().String() }

func (a *scriptedAgent) serve() {
	buf := make([]byte, 65535)
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Logger: gosnmp.NewLogger(nil)}
	for {
		n, from, err := a.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		req, err := dec.SnmpDecodePacket(append([]byte(nil), buf[:n]...))
		if err != nil || req.Community != "public" {
			continue
		}
		resp := &gosnmp.SnmpPacket{
			Version: gosnmp.Version2c, Community: req.Community, PDUType: gosnmp.GetResponse,
			RequestID: req.RequestID, Variables: a.answer(req),
		}
		out, err := resp.MarshalMsg()
		if err != nil {
			continue
		}
		a.conn.WriteToUDP(out, from)
	}
}

func (a *scriptedAgent) answer(req *gosnmp.SnmpPacket) []gosnmp.SnmpPDU {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []gosnmp.SnmpPDU
	switch req.PDUType {
	case gosnmp.GetRequest:
		for _, v := range req.Variables {
			name := dotted(v.Name)
			if name == ".1.3.6.1.2.1.1.3.0" {
				a.polls++
			}
			if p, ok := a.value(name); ok {
				out = append(out, p)
			} else {
				out = append(out, gosnmp.SnmpPDU{Name: name, Type: gosnmp.NoSuchObject})
			}
		}
	case gosnmp.GetNextRequest:
		for _, v := range req.Variables {
			out = append(out, a.next(dotted(v.Name)))
		}
	case gosnmp.GetBulkRequest:
		reps := int(req.MaxRepetitions)
		if reps <= 0 {
			reps = 10
		}
		for _, v := range req.Variables {
			name := dotted(v.Name)
			for i := 0; i < reps; i++ {
				p := a.next(name)
				out = append(out, p)
				if p.Type == gosnmp.EndOfMibView {
					break
				}
				name = p.Name
			}
		}
	}
	return out
}

// value returns the current value of an OID: eth0's counters grow with
// the polls, sysUpTime with the wall clock.
func (a *scriptedAgent) value(name string) (gosnmp.SnmpPDU, bool) {
	p, ok := a.base[name]
	if !ok {
		return p, false
	}
	if name == ".1.3.6.1.2.1.1.3.0" {
		p.Value = p.Value.(uint32) + uint32(time.Since(a.started)/(10*time.Millisecond))
		return p, true
	}
	if !strings.HasSuffix(name, "."+eth0) {
		return p, true
	}
	step := map[string]uint64{
		".1.3.6.1.2.1.2.2.1.10.":    2000000, // ifInOctets
		".1.3.6.1.2.1.2.2.1.16.":    500000,  // ifOutOctets
		".1.3.6.1.2.1.31.1.1.1.6.":  2000000, // ifHCInOctets
		".1.3.6.1.2.1.31.1.1.1.10.": 500000,  // ifHCOutOctets
		".1.3.6.1.2.1.2.2.1.11.":    1500,    // ifInUcastPkts
		".1.3.6.1.2.1.2.2.1.17.":    700,     // ifOutUcastPkts
		".1.3.6.1.2.1.31.1.1.1.7.":  1500,    // ifHCInUcastPkts
		".1.3.6.1.2.1.31.1.1.1.11.": 700,     // ifHCOutUcastPkts
		".1.3.6.1.2.1.2.2.1.13.":    2,       // ifInDiscards
		".1.3.6.1.2.1.2.2.1.14.":    1,       // ifInErrors
		".1.3.6.1.2.1.2.2.1.19.":    3,       // ifOutDiscards
		".1.3.6.1.2.1.2.2.1.20.":    1,       // ifOutErrors
	}[strings.TrimSuffix(name, eth0)]
	if step == 0 {
		return p, true
	}
	switch v := p.Value.(type) {
	case uint:
		p.Value = uint(uint32(uint64(v) + step*a.polls))
	case uint64:
		p.Value = v + step*a.polls
	}
	return p, true
}

func (a *scriptedAgent) next(name string) gosnmp.SnmpPDU {
	i := sort.Search(len(a.oids), func(i int) bool { return oidLess(name, a.oids[i]) })
	if i >= len(a.oids) {
		return gosnmp.SnmpPDU{Name: name, Type: gosnmp.EndOfMibView}
	}
	p, _ := a.value(a.oids[i])
	return p
}

func dotted(s string) string {
	if !strings.HasPrefix(s, ".") {
		return "." + s
	}
	return s
}

func oidLess(a, b string) bool {
	pa, pb := strings.Split(strings.TrimPrefix(a, "."), "."), strings.Split(strings.TrimPrefix(b, "."), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.ParseUint(pa[i], 10, 64)
		y, _ := strconv.ParseUint(pb[i], 10, 64)
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// readWalkFile reads a capture of inputs/snmp/testdata (snmptest.ReadWalk).
func readWalkFile(t *testing.T, path string) []gosnmp.SnmpPDU {
	t.Helper()
	pdus, err := snmptest.ReadWalk(path)
	if err != nil {
		t.Fatal(err)
	}
	return pdus
}
