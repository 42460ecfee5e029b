package snmp

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/shipper-project/shipper/inputs/snmp/snmptest"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// Test doubles: a scripted agent behind the Client interface, a recording
// pipeline client, and a scenario driver that polls at chosen instants.

// pduList is a Client over a fixed list of varbinds (e.g. a capture).
type pduList struct {
	pdus []gosnmp.SnmpPDU
	err  error // returned by Get: the poll fails before any walk
}

func (l *pduList) Get(oids []string) ([]gosnmp.SnmpPDU, error) {
	if l.err != nil {
		return nil, l.err
	}
	out := make([]gosnmp.SnmpPDU, 0, len(oids))
	for _, o := range oids {
		p := gosnmp.SnmpPDU{Name: o, Type: gosnmp.NoSuchObject}
		for _, q := range l.pdus {
			if q.Name == o {
				p = q
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func (l *pduList) Walk(root string, fn func(gosnmp.SnmpPDU) error) error {
	for _, p := range l.pdus {
		if strings.HasPrefix(p.Name, root+".") {
			if err := fn(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *pduList) RemoteIP() string { return "192.0.2.1" }
func (l *pduList) Close() error     { return nil }

// readWalk reads a capture of inputs/snmp/testdata (snmptest.ReadWalk).
func readWalk(t testing.TB, path string) []gosnmp.SnmpPDU {
	t.Helper()
	pdus, err := snmptest.ReadWalk(path)
	if err != nil {
		t.Fatal(err)
	}
	return pdus
}

// fakeIf is one interface of a scripted agent.
type fakeIf struct {
	index     uint32
	name      string
	ifType    int
	speed     uint32 // ifSpeed
	highSpeed uint32 // ifHighSpeed; 0 = not sent
	bits      int    // 64: ifXTable with HC counters; 32: ifTable counters only
	in, out   uint64 // octets
	inPkts    uint64 // unicast packets
	outPkts   uint64
	inErr     uint32
	outErr    uint32
	disc      uint32 // ifCounterDiscontinuityTime
}

// fakeAgent is a scripted agent: tests change its fields between polls.
type fakeAgent struct {
	mu       sync.Mutex
	uptime   uint32
	sysName  string
	ifs      []fakeIf
	err      error                     // the next polls fail with this
	override map[string]gosnmp.SnmpPDU // OID → varbind replacing the generated one (garbage)
	block    bool                      // Get blocks until the context ends (a dead agent)
	ctx      context.Context
	gets     int
}

func oidf(root string, col int, idx uint32) string {
	return fmt.Sprintf("%s.%d.%d", root, col, idx)
}

// pdus renders the agent's state the way an agent would answer.
func (f *fakeAgent) pdus() []gosnmp.SnmpPDU {
	var out []gosnmp.SnmpPDU
	used := map[string]bool{}
	add := func(name string, typ gosnmp.Asn1BER, v any) {
		if o, ok := f.override[name]; ok {
			o.Name = name
			out = append(out, o)
			used[name] = true
			return
		}
		out = append(out, gosnmp.SnmpPDU{Name: name, Type: typ, Value: v})
	}
	add(oidSysUpTime, gosnmp.TimeTicks, f.uptime)
	add(oidSysName, gosnmp.OctetString, []byte(f.sysName))
	for _, i := range f.ifs {
		add(oidf(oidIfTable, 1, i.index), gosnmp.Integer, int(i.index))
		add(oidf(oidIfTable, 2, i.index), gosnmp.OctetString, []byte(i.name))
		add(oidf(oidIfTable, 3, i.index), gosnmp.Integer, i.ifType)
		add(oidf(oidIfTable, 5, i.index), gosnmp.Gauge32, uint(i.speed))
		add(oidf(oidIfTable, 7, i.index), gosnmp.Integer, 1)
		add(oidf(oidIfTable, 8, i.index), gosnmp.Integer, 1)
		add(oidf(oidIfTable, 10, i.index), gosnmp.Counter32, uint(uint32(i.in)))
		add(oidf(oidIfTable, 11, i.index), gosnmp.Counter32, uint(uint32(i.inPkts)))
		add(oidf(oidIfTable, 14, i.index), gosnmp.Counter32, uint(i.inErr))
		add(oidf(oidIfTable, 16, i.index), gosnmp.Counter32, uint(uint32(i.out)))
		add(oidf(oidIfTable, 17, i.index), gosnmp.Counter32, uint(uint32(i.outPkts)))
		add(oidf(oidIfTable, 20, i.index), gosnmp.Counter32, uint(i.outErr))
		add(oidf(oidIfXTable, 1, i.index), gosnmp.OctetString, []byte(i.name))
		if i.bits == 64 {
			add(oidf(oidIfXTable, 6, i.index), gosnmp.Counter64, i.in)
			add(oidf(oidIfXTable, 7, i.index), gosnmp.Counter64, i.inPkts)
			add(oidf(oidIfXTable, 10, i.index), gosnmp.Counter64, i.out)
			add(oidf(oidIfXTable, 11, i.index), gosnmp.Counter64, i.outPkts)
		}
		if i.highSpeed != 0 {
			add(oidf(oidIfXTable, 15, i.index), gosnmp.Gauge32, uint(i.highSpeed))
		}
		add(oidf(oidIfXTable, 19, i.index), gosnmp.TimeTicks, i.disc)
	}
	// Overrides of OIDs the agent does not generate are extra varbinds
	// (malformed names a broken agent sends).
	for name, o := range f.override {
		if !used[name] {
			o.Name = name
			out = append(out, o)
		}
	}
	return out
}

func (f *fakeAgent) Get(oids []string) ([]gosnmp.SnmpPDU, error) {
	f.mu.Lock()
	f.gets++
	block, ctx := f.block, f.ctx
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return (&pduList{pdus: f.pdus()}).Get(oids)
}

func (f *fakeAgent) Walk(root string, fn func(gosnmp.SnmpPDU) error) error {
	f.mu.Lock()
	l := &pduList{pdus: f.pdus()}
	f.mu.Unlock()
	return l.Walk(root, fn)
}

func (f *fakeAgent) RemoteIP() string { return "192.0.2.1" }
func (f *fakeAgent) Close() error     { return nil }

// collector is a pipeline.Client that records events.
type collector struct {
	mu     sync.Mutex
	events []*event.Event
}

func (c *collector) Publish(ctx context.Context, e *event.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
	return nil
}

func (c *collector) take() []*event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.events
	c.events = nil
	return out
}

// logBuf records log lines for assertions.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.lines = append(l.lines, string(p))
	l.mu.Unlock()
	return len(p), nil
}

func (l *logBuf) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func inputsEnv(once bool) inputs.Env { return inputs.Env{ID: "test", Once: once} }

// scenario polls scripted agents at chosen instants.
type scenario struct {
	t       *testing.T
	in      *Input
	out     *collector
	logs    *logBuf
	metrics *monitoring.Registry
	agents  map[string]*fakeAgent
	running map[string]*agent
	sem     chan struct{}
}

func newScenario(t *testing.T, cfg conf, once bool, agents map[string]*fakeAgent) *scenario {
	t.Helper()
	s := &scenario{t: t, out: &collector{}, logs: &logBuf{}, metrics: monitoring.NewRegistry(), agents: agents, running: map[string]*agent{}}
	for h := range agents {
		cfg.Hosts = append(cfg.Hosts, h)
	}
	sort.Strings(cfg.Hosts)
	in, err := newInput(cfg, inputs.Env{ID: "test", Once: once, Metrics: s.metrics, Log: slog.New(slog.NewTextHandler(s.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	in.dial = func(ctx context.Context, tg target, _ *conf) (Client, error) {
		for h, a := range s.agents {
			if pt, _ := parseHost(h); pt == tg {
				a.mu.Lock()
				a.ctx = ctx
				a.mu.Unlock()
				return a, nil
			}
		}
		return nil, fmt.Errorf("no fake agent for %s", tg)
	}
	s.in = in
	s.sem = make(chan struct{}, cfg.MaxConcurrentPolls)
	return s
}

// poll polls host as if at were now and returns its events.
func (s *scenario) poll(host string, at time.Time) []*event.Event {
	s.t.Helper()
	a := s.running[host]
	if a == nil {
		tg, err := parseHost(host)
		if err != nil {
			s.t.Fatal(err)
		}
		a = &agent{in: s.in, t: tg, tr: newTracker(s.in.cfg.RateMargin)}
		s.running[host] = a
	}
	s.in.now = func() time.Time { return at }
	a.poll(context.Background(), s.out, s.sem)
	return s.out.take()
}

func (s *scenario) counter(name string) int64 {
	return s.metrics.Snapshot()["input.test."+name]
}

// byName indexes events by system.network.name.
func byName(t *testing.T, evs []*event.Event) map[string]*event.Event {
	t.Helper()
	m := map[string]*event.Event{}
	for _, e := range evs {
		n, _ := e.Fields.GetString("system.network.name")
		m[n] = e
	}
	return m
}
