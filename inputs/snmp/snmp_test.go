package snmp

import (
	"context"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gosnmp/gosnmp"

	"github.com/shipper-project/shipper/shipper/event"
)

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// TestCapturedSnmpd turns a real Debian snmpd capture into events and
// compares them with the golden NDJSON (go test -update rewrites it).
func TestCapturedSnmpd(t *testing.T) {
	cfg := defaultConfig()
	cfg.Hosts = []string{"127.0.0.1:11161"}
	in, err := newInput(cfg, inputsEnv(true))
	if err != nil {
		t.Fatal(err)
	}
	in.dial = func(context.Context, target, *conf) (Client, error) {
		return &pduList{pdus: readWalk(t, "testdata/debian12-snmpd.walk")}, nil
	}
	in.now = func() time.Time { return t0 }
	out := &collector{}
	if err := in.Run(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	evs := out.take()
	var got []byte
	var names []string
	for _, e := range evs {
		got = event.AppendJSON(got, e)
		got = append(got, '\n')
		n, _ := e.Fields.GetString("system.network.name")
		names = append(names, n)
	}
	if diff := cmp.Diff([]string{"lo", "ifb0", "ifb1", "eth0"}, names); diff != "" {
		t.Errorf("interfaces (-want +got):\n%s", diff)
	}
	golden := filepath.Join("testdata", "debian12-snmpd.golden.ndjson")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("events differ from %s (-want +got):\n%s", golden, diff)
	}
	for _, e := range evs {
		if err := checkFields(e); err != nil {
			t.Error(err)
		}
	}
}

// step advances a scripted agent by d: uptime and every counter move as
// an interface carrying bps bits/s (and pps packets/s) would.
func step(a *fakeAgent, d time.Duration, bps, pps uint64) {
	a.uptime += uint32(d / (10 * time.Millisecond))
	sec := uint64(d / time.Second)
	for i := range a.ifs {
		a.ifs[i].in += bps / 8 * sec
		a.ifs[i].out += bps / 16 * sec
		a.ifs[i].inPkts += pps * sec
		a.ifs[i].outPkts += pps / 2 * sec
	}
}

func num(t *testing.T, e *event.Event, key string) (float64, bool) {
	t.Helper()
	v, ok := e.Fields.Get(key)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	}
	t.Fatalf("%s = %T %v, want a number", key, v, v)
	return 0, false
}

func wantRate(t *testing.T, e *event.Event, key string, want float64) {
	t.Helper()
	got, ok := num(t, e, key)
	if !ok {
		t.Errorf("%s missing, want %g (reset=%v)", key, want, get(e, "snmp.rate.reset"))
		return
	}
	if math.Abs(got-want) > 1e-9*math.Max(1, want) {
		t.Errorf("%s = %g, want %g", key, got, want)
	}
}

func wantNo(t *testing.T, e *event.Event, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if v, ok := e.Fields.Get(k); ok {
			t.Errorf("%s = %v, want no such field", k, v)
		}
	}
}

func get(e *event.Event, k string) any { v, _ := e.Fields.Get(k); return v }

const host = "udp://192.0.2.1:161"

func oneIf(i fakeIf) map[string]*fakeAgent {
	return map[string]*fakeAgent{host: {uptime: 100000, sysName: "r1", ifs: []fakeIf{i}}}
}

func TestRateSequences(t *testing.T) {
	eth := fakeIf{index: 2, name: "eth0", ifType: 6, speed: 100e6, bits: 64, in: 1000, out: 1000}

	t.Run("steady 64-bit", func(t *testing.T) {
		s := newScenario(t, defaultConfig(), false, oneIf(eth))
		a := s.agents[host]
		e := s.poll(host, t0)[0]
		if get(e, "snmp.rate.reset") != "first" {
			t.Errorf("first poll: snmp.rate.reset = %v, want first", get(e, "snmp.rate.reset"))
		}
		wantNo(t, e, "snmp.rate.in.bps", "snmp.utilization.in.pct")
		step(a, 10*time.Second, 8e6, 1000)
		e = s.poll(host, t0.Add(10*time.Second))[0]
		wantRate(t, e, "snmp.rate.in.bps", 8e6)
		wantRate(t, e, "snmp.rate.out.bps", 4e6)
		wantRate(t, e, "snmp.rate.in.pps", 1000)
		wantRate(t, e, "snmp.rate.out.pps", 500)
		wantRate(t, e, "snmp.rate.in.errors_ps", 0)
		wantRate(t, e, "snmp.utilization.in.pct", 0.08)
		wantRate(t, e, "snmp.utilization.out.pct", 0.04)
		wantRate(t, e, "snmp.rate.interval_s", 10)
		wantRate(t, e, "snmp.interface.counter_bits", 64)
		wantNo(t, e, "snmp.rate.reset")
		if err := checkFields(e); err != nil {
			t.Error(err)
		}
	})

	t.Run("32-bit wrap", func(t *testing.T) {
		i := eth
		i.bits, i.in = 32, 1<<32-1000
		s := newScenario(t, defaultConfig(), false, oneIf(i))
		a := s.agents[host]
		s.poll(host, t0)
		step(a, 10*time.Second, 8e6, 0) // +10 MB: wraps past 2^32
		e := s.poll(host, t0.Add(10*time.Second))[0]
		if got, _ := num(t, e, "system.network.in.bytes"); got >= 1e7 {
			t.Errorf("raw in.bytes = %g, want the wrapped 32-bit value", got)
		}
		wantRate(t, e, "snmp.rate.in.bps", 8e6)
		wantRate(t, e, "snmp.interface.counter_bits", 32)
	})

	t.Run("64-bit wrap", func(t *testing.T) {
		i := eth
		i.in = math.MaxUint64 - 999
		s := newScenario(t, defaultConfig(), false, oneIf(i))
		a := s.agents[host]
		e := s.poll(host, t0)[0]
		wantNo(t, e, "system.network.in.bytes") // above 2^63-1: not a valid ES long
		step(a, 10*time.Second, 8e6, 0)
		e = s.poll(host, t0.Add(10*time.Second))[0]
		wantRate(t, e, "snmp.rate.in.bps", 8e6)
		wantRate(t, e, "system.network.in.bytes", 1e7-1000)
	})

	t.Run("reboot", func(t *testing.T) {
		s := newScenario(t, defaultConfig(), false, oneIf(eth))
		a := s.agents[host]
		step(a, 100*time.Second, 8e6, 10)
		s.poll(host, t0)
		// Reboot: uptime back to 5 s, counters restart from small values.
		a.uptime = 500
		a.ifs[0].in, a.ifs[0].out, a.ifs[0].inPkts = 100, 100, 1
		e := s.poll(host, t0.Add(10*time.Second))[0]
		if get(e, "snmp.rate.reset") != "reboot" {
			t.Errorf("snmp.rate.reset = %v, want reboot", get(e, "snmp.rate.reset"))
		}
		wantNo(t, e, "snmp.rate.in.bps", "snmp.rate.in.pps", "snmp.utilization.in.pct")
		wantRate(t, e, "system.network.in.bytes", 100)
		step(a, 10*time.Second, 8e6, 10)
		e = s.poll(host, t0.Add(20*time.Second))[0]
		wantRate(t, e, "snmp.rate.in.bps", 8e6)
		if got := s.counter("baseline_resets"); got != 1 {
			t.Errorf("baseline_resets = %d, want 1", got)
		}
	})

	t.Run("reboot during a long outage", func(t *testing.T) {
		s := newScenario(t, defaultConfig(), false, oneIf(eth))
		a := s.agents[host]
		a.uptime = 3000 // up 30 s at the first poll
		s.poll(host, t0)
		// 10 minutes later it has been up 2 minutes: more than before, less than the gap.
		a.uptime = 12000
		a.ifs[0].in = 5000
		e := s.poll(host, t0.Add(10*time.Minute))[0]
		if get(e, "snmp.rate.reset") != "reboot" {
			t.Errorf("snmp.rate.reset = %v, want reboot", get(e, "snmp.rate.reset"))
		}
	})

	t.Run("sysUpTime wrap is not a reboot", func(t *testing.T) {
		s := newScenario(t, defaultConfig(), false, oneIf(eth))
		a := s.agents[host]
		a.uptime = math.MaxUint32 - 499 // 5 s before the 497-day wrap
		s.poll(host, t0)
		step(a, 10*time.Second, 8e6, 0) // uint32 arithmetic wraps it to 500
		e := s.poll(host, t0.Add(10*time.Second))[0]
		wantRate(t, e, "snmp.rate.in.bps", 8e6)
	})

	t.Run("counter discontinuity", func(t *testing.T) {
		s := newScenario(t, defaultConfig(), false, oneIf(eth))
		a := s.agents[host]
		s.poll(host, t0)
		step(a, 10*time.Second, 8e6, 0)
		a.ifs[0].disc = a.uptime - 100 // counters were reset (e.g. a line card re-inserted)
		a.ifs[0].in = 10
		e := s.poll(host, t0.Add(10*time.Second))[0]
		if get(e, "snmp.rate.reset") != "discontinuity" {
			t.Errorf("snmp.rate.reset = %v, want discontinuity", get(e, "snmp.rate.reset"))
		}
		wantNo(t, e, "snmp.rate.in.bps")
	})

	t.Run("ifIndex reused by another interface", func(t *testing.T) {
		s := newScenario(t, defaultConfig(), false, oneIf(eth))
		a := s.agents[host]
		s.poll(host, t0)
		step(a, 10*time.Second, 0, 0)
		a.ifs[0] = fakeIf{index: 2, name: "tun0", ifType: 131, bits: 64, in: 5}
		e := s.poll(host, t0.Add(10*time.Second))[0]
		if get(e, "snmp.rate.reset") != "ifindex_reused" {
			t.Errorf("snmp.rate.reset = %v, want ifindex_reused", get(e, "snmp.rate.reset"))
		}
	})

	t.Run("missed poll gives a longer interval", func(t *testing.T) {
		s := newScenario(t, defaultConfig(), false, oneIf(eth))
		a := s.agents[host]
		s.poll(host, t0)
		step(a, 30*time.Second, 8e6, 100)
		e := s.poll(host, t0.Add(30*time.Second))[0]
		wantRate(t, e, "snmp.rate.interval_s", 30)
		wantRate(t, e, "snmp.rate.in.bps", 8e6)
		wantRate(t, e, "snmp.rate.in.pps", 100)
	})

	t.Run("32-bit counter that may have wrapped twice", func(t *testing.T) {
		i := eth
		i.bits, i.speed = 32, 1e9
		s := newScenario(t, defaultConfig(), false, oneIf(i))
		a := s.agents[host]
		s.poll(host, t0)
		step(a, 40*time.Second, 8e6, 100) // 1 Gbit/s × 40 s = 5 GB > 2^32
		e := s.poll(host, t0.Add(40*time.Second))[0]
		wantNo(t, e, "snmp.rate.in.bps", "snmp.rate.out.bps")
		wantRate(t, e, "snmp.rate.in.pps", 100) // packets cannot wrap in 40 s at 1 Gbit/s
		if got := s.counter("rates_ambiguous"); got != 2 {
			t.Errorf("rates_ambiguous = %d, want 2", got)
		}
	})

	t.Run("impossible rate is dropped", func(t *testing.T) {
		s := newScenario(t, defaultConfig(), false, oneIf(eth))
		a := s.agents[host]
		a.ifs[0].in = 1e9
		s.poll(host, t0)
		// A silent counter reset on a 64-bit counter (no reboot, no
		// discontinuity time): the "wrap" delta is ~2^64.
		step(a, 10*time.Second, 8e6, 0)
		a.ifs[0].in = 5
		e := s.poll(host, t0.Add(10*time.Second))[0]
		wantNo(t, e, "snmp.rate.in.bps", "snmp.utilization.in.pct")
		wantRate(t, e, "snmp.rate.out.bps", 4e6)
		if got := s.counter("rates_dropped"); got != 1 {
			t.Errorf("rates_dropped = %d, want 1", got)
		}
	})

	t.Run("loopback is not speed-checked", func(t *testing.T) {
		lo := fakeIf{index: 1, name: "lo", ifType: 24, speed: 10e6, bits: 64}
		s := newScenario(t, defaultConfig(), false, oneIf(lo))
		a := s.agents[host]
		s.poll(host, t0)
		step(a, 10*time.Second, 800e6, 0) // far above its nominal 10 Mbit/s
		e := s.poll(host, t0.Add(10*time.Second))[0]
		wantRate(t, e, "snmp.rate.in.bps", 800e6)
	})

	t.Run("agent timeout keeps the baseline", func(t *testing.T) {
		s := newScenario(t, defaultConfig(), false, oneIf(eth))
		a := s.agents[host]
		s.poll(host, t0)
		step(a, 10*time.Second, 8e6, 0)
		a.err = errors.New("request timeout (after 2 retries)")
		if evs := s.poll(host, t0.Add(10*time.Second)); len(evs) != 0 {
			t.Fatalf("failed poll published %d events", len(evs))
		}
		step(a, 10*time.Second, 8e6, 0)
		a.err = nil
		e := s.poll(host, t0.Add(20*time.Second))[0]
		wantRate(t, e, "snmp.rate.interval_s", 20)
		wantRate(t, e, "snmp.rate.in.bps", 8e6)
		if got := s.counter("poll_errors"); got != 1 {
			t.Errorf("poll_errors = %d, want 1", got)
		}
	})

	t.Run("counter width change", func(t *testing.T) {
		s := newScenario(t, defaultConfig(), false, oneIf(eth))
		a := s.agents[host]
		s.poll(host, t0)
		step(a, 10*time.Second, 8e6, 10)
		a.ifs[0].bits = 32 // firmware update dropped the ifXTable HC columns
		e := s.poll(host, t0.Add(10*time.Second))[0]
		wantNo(t, e, "snmp.rate.in.bps", "snmp.rate.in.pps")
		wantRate(t, e, "snmp.rate.in.errors_ps", 0) // a 32-bit column all along
		wantRate(t, e, "snmp.interface.counter_bits", 32)
	})
}

func TestGarbageTypes(t *testing.T) {
	eth := fakeIf{index: 2, name: "eth0", ifType: 6, speed: 100e6, bits: 64, in: 1000, out: 1000}
	agents := oneIf(eth)
	a := agents[host]
	a.override = map[string]gosnmp.SnmpPDU{
		oidf(oidIfXTable, 6, 2):  {Type: gosnmp.OctetString, Value: []byte("lots")},    // ifHCInOctets as a string
		oidf(oidIfTable, 10, 2):  {Type: gosnmp.Gauge32, Value: uint(5)},               // ifInOctets as a gauge
		oidf(oidIfXTable, 10, 2): {Type: gosnmp.Counter64, Value: []byte{1, 2}},        // right type, wrong Go value
		oidf(oidIfTable, 14, 2):  {Type: gosnmp.Counter32, Value: uint64(1) << 40},     // too big for 32 bits
		oidf(oidIfTable, 3, 2):   {Type: gosnmp.Counter32, Value: uint(6)},             // ifType as a counter
		oidf(oidIfTable, 5, 2):   {Type: gosnmp.Integer, Value: -5},                    // ifSpeed negative
		oidf(oidIfTable, 2, 2):   {Type: gosnmp.OctetString, Value: []byte("e\xffth")}, // invalid UTF-8
		oidf(oidIfXTable, 1, 2):  {Type: gosnmp.NoSuchInstance},                        // no ifName: falls back to ifDescr
		oidSysUpTime:             {Type: gosnmp.Integer, Value: 7},
		".1.3.6.1.2.1.2.2.1.x.2": {Type: gosnmp.Integer, Value: 1},
		oidIfTable + ".10":       {Type: gosnmp.Counter32, Value: uint(1)},
	}
	s := newScenario(t, defaultConfig(), false, agents)
	evs := s.poll(host, t0)
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	e := evs[0]
	wantNo(t, e, "system.network.in.bytes", "system.network.in.errors",
		"snmp.interface.type", "snmp.interface.speed_bps", "snmp.agent.uptime")
	if n, _ := e.Fields.GetString("system.network.name"); n != "e\uFFFDth" {
		t.Errorf("system.network.name = %q, want the ifDescr with U+FFFD", n)
	}
	wantRate(t, e, "system.network.in.packets", 0)
	wantRate(t, e, "system.network.out.bytes", 1000) // the 32-bit ifOutOctets stands in for the broken HC one
	if got := s.counter("fields_skipped"); got != 9 {
		t.Errorf("fields_skipped = %d, want 9", got)
	}
	if err := checkFields(e); err != nil {
		t.Error(err)
	}
}

func TestInterfaceFilter(t *testing.T) {
	agents := map[string]*fakeAgent{host: {uptime: 1, ifs: []fakeIf{
		{index: 1, name: "lo", ifType: 24, bits: 64},
		{index: 2, name: "eth0", ifType: 6, bits: 64},
		{index: 10, name: "eth1", ifType: 6, bits: 64},
		{index: 3, name: "wg0", ifType: 53, bits: 64},
		{index: 4, name: "eth0.100", ifType: 135, bits: 64},
	}}}
	f := func(include, exclude []string, want ...string) {
		t.Helper()
		cfg := defaultConfig()
		cfg.Interfaces = interfacesConfig{Include: include, Exclude: exclude}
		s := newScenario(t, cfg, true, agents)
		var got []string
		for _, e := range s.poll(host, t0) {
			n, _ := e.Fields.GetString("system.network.name")
			got = append(got, n)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("include %q exclude %q (-want +got):\n%s", include, exclude, diff)
		}
	}
	f(nil, nil, "lo", "eth0", "wg0", "eth0.100", "eth1") // sorted by ifIndex, numerically
	f(nil, []string{"lo"}, "eth0", "wg0", "eth0.100", "eth1")
	f([]string{"eth*"}, []string{"*.*"}, "eth0", "eth1")
	f([]string{"wg?", "eth1"}, nil, "wg0", "eth1")
}

func TestOnceEmitsRawCountersOnly(t *testing.T) {
	s := newScenario(t, defaultConfig(), true, oneIf(fakeIf{index: 2, name: "eth0", ifType: 6, speed: 1e9, bits: 64, in: 42}))
	e := s.poll(host, t0)[0]
	wantRate(t, e, "system.network.in.bytes", 42)
	for _, f := range e.Fields {
		if strings.HasPrefix(f.Key, "snmp.rate.") || strings.HasPrefix(f.Key, "snmp.utilization.") {
			t.Errorf("--once event has %s", f.Key)
		}
	}
}

// TestErrorLogThrottle: one log line per change of state, a counter per
// failed poll, and a line when the agent recovers.
func TestErrorLogThrottle(t *testing.T) {
	s := newScenario(t, defaultConfig(), false, oneIf(fakeIf{index: 1, name: "eth0", bits: 64}))
	a := s.agents[host]
	a.err = errors.New("request timeout (after 2 retries)")
	for i := range 3 {
		s.poll(host, t0.Add(time.Duration(i)*10*time.Second))
	}
	a.err = gosnmp.ErrWrongDigest
	s.poll(host, t0.Add(30*time.Second))
	s.poll(host, t0.Add(40*time.Second))
	a.err = nil
	s.poll(host, t0.Add(50*time.Second))
	lines := s.logs.all()
	if len(lines) != 3 {
		t.Fatalf("got %d log lines, want 3 (timeout, auth, recovered):\n%s", len(lines), strings.Join(lines, ""))
	}
	for i, want := range []string{"wrong community", "wrong auth_password", "recovered"} {
		if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], host) {
			t.Errorf("log line %d = %q, want it to name %s and say %q", i, lines[i], host, want)
		}
	}
	if got := s.counter("poll_errors"); got != 5 {
		t.Errorf("poll_errors = %d, want 5", got)
	}
}

// TestDeadAgentDoesNotDelayOthers runs the real scheduler in a synctest
// bubble: one agent never answers, the other is polled every period.
func TestDeadAgentDoesNotDelayOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dead := &fakeAgent{block: true}
		live := &fakeAgent{uptime: 1, ifs: []fakeIf{{index: 1, name: "eth0", bits: 64}}}
		cfg := defaultConfig()
		cfg.MaxConcurrentPolls = 2
		s := newScenario(t, cfg, false, map[string]*fakeAgent{"udp://192.0.2.9:161": dead, host: live})
		s.in.now = time.Now
		ctx, cancel := context.WithTimeout(context.Background(), 35*time.Second)
		defer cancel()
		if err := s.in.Run(ctx, s.out); err != nil {
			t.Fatal(err)
		}
		if got := len(s.out.take()); got != 4 { // t = 0, 10, 20, 30 s
			t.Errorf("live agent: %d events in 35 s, want 4", got)
		}
	})
}
