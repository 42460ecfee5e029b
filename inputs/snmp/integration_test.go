//go:build integration

package snmp

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// Against Debian's net-snmp snmpd (apt-get install snmpd snmp), started by
// the test on 127.0.0.1 with its own config and persistent dir. Facts that
// shape the test (shared/reference/test-components.md §4): Debian ships no
// IETF MIBs, so MIBS= silences snmpd's MIB loading; snmpd caches interface
// counters for about 3 s, so polls for rates are 4 s apart.

const snmpdPath = "/usr/sbin/snmpd"

const (
	authPass = "shipper-auth-pass"
	privPass = "shipper-priv-pass"
)

// startSnmpd starts an agent that knows community and the v3 users
// shipper (SHA/AES) and shipper256 (SHA-256/AES-256), all with auth
// password auth. It returns "udp://127.0.0.1:port" once the agent answers.
func startSnmpd(t *testing.T, sysName, community, auth string) string {
	t.Helper()
	if _, err := os.Stat(snmpdPath); err != nil {
		t.Fatalf("%s not found: run `apt-get install snmpd snmp` (Debian packages snmpd and snmp): %v", snmpdPath, err)
	}
	dir := t.TempDir()
	port := freeUDPPort(t)
	conf := fmt.Sprintf(`# test-only agent: loopback, unprivileged port, own persistent dir
agentAddress  udp:127.0.0.1:%d
rocommunity   %s  127.0.0.1
createUser    shipper SHA "%s" AES "%s"
rouser        shipper priv
createUser    shipper256 SHA-256 "%s" AES-256 "%s"
rouser        shipper256 priv
sysName       %s
sysLocation   shipper-integration-test
`, port, community, auth, privPass, auth, privPass, sysName)
	cf := filepath.Join(dir, "snmpd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(snmpdPath, "-f", "-LOw", "-C", "-I", "-smux", "-c", cf, "-p", filepath.Join(dir, "snmpd.pid"))
	cmd.Env = append(os.Environ(), "MIBS=", "SNMP_PERSISTENT_DIR="+dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start snmpd: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("snmpd output:\n%s", out.String())
		}
	})
	// Ready when it answers a v2c GET of sysName.
	g := &gosnmp.GoSNMP{Target: "127.0.0.1", Port: uint16(port), Community: community, Version: gosnmp.Version2c, Timeout: 200 * time.Millisecond, Retries: 0}
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	const hang = 2 * time.Minute // hang detector: snmpd answers within a second when the machine is idle
	deadline := time.Now().Add(hang)
	for {
		select {
		case err := <-done:
			t.Fatalf("snmpd exited: %v\n%s", err, out.String())
		default:
		}
		if p, err := g.Get([]string{oidSysName}); err == nil && len(p.Variables) == 1 && p.Variables[0].Type == gosnmp.OctetString {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("snmpd on port %d did not answer within %s\n%s", port, hang, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Sprintf("udp://127.0.0.1:%d", port)
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// newFromYAML builds the input the way the runner does: from YAML, through
// the config loader (so ${VAR}, enums and secrets are exercised too).
func newFromYAML(t *testing.T, y string, once bool, logs *logBuf, m *monitoring.Registry) inputs.Input {
	t.Helper()
	root, err := config.Parse([]byte(y), "test.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := New(config.Section{Node: root, File: "test.yml", Path: "shipper.inputs[0]"},
		inputs.Env{ID: "it", Name: "input.it", Once: once, Metrics: m, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// stall is how long runUntil waits without progress before it fails: a
// hang detector, not a time budget (a loaded machine slows the polls down,
// it does not stop them).
const stall = time.Minute

// runUntil runs the input until cond holds for the events so far, or Run
// returns (--once). It fails when progress, a measure of what cond waits
// for, has not moved for stall: the test waits as long as the input
// advances, on a slow machine too, and not for ever when it is stuck.
// Progress must be bounded by what cond needs (a count capped at its
// target), or an input that keeps producing the wrong thing never fails.
func runUntil(t *testing.T, in inputs.Input, progress func([]*event.Event) int64, cond func([]*event.Event) bool) []*event.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &collector{}
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx, out) }()
	snapshot := func() []*event.Event {
		out.mu.Lock()
		defer out.mu.Unlock()
		return append([]*event.Event(nil), out.events...)
	}
	last, since := int64(-1), time.Now()
	for {
		select {
		case err := <-done: // --once, or cond held
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			return snapshot()
		case <-time.After(100 * time.Millisecond):
		}
		evs := snapshot()
		if cond(evs) {
			cancel()
			continue
		}
		if p := progress(evs); p != last {
			last, since = p, time.Now()
		} else if time.Since(since) > stall {
			cancel()
			<-done
			t.Fatalf("no progress for %s (progress %d, %d events)", stall, p, len(evs))
		}
	}
}

// events is the progress of a run that waits for Run to return.
func events(evs []*event.Event) int64 { return int64(len(evs)) }

func TestIntegrationWalk(t *testing.T) {
	addr := startSnmpd(t, "it-agent", "public", authPass)
	t.Setenv("IT_PRIV", privPass)
	for name, creds := range map[string]string{
		"v2c":                 "version: 2c\ncommunity: public",
		"v3 SHA/AES":          "version: 3\nsecurity_level: authPriv\nusername: shipper\nauth_protocol: SHA\nauth_password: " + authPass + "\npriv_protocol: AES\npriv_password: ${IT_PRIV}",
		"v3 SHA-256/AES-256":  "version: 3\nusername: shipper256\nauth_protocol: SHA-256\nauth_password: " + authPass + "\npriv_protocol: AES-256\npriv_password: ${IT_PRIV}",
		"v1 (GETNEXT, no HC)": "version: 1\ncommunity: public",
	} {
		t.Run(name, func(t *testing.T) {
			logs := &logBuf{}
			in := newFromYAML(t, "type: snmp\nhosts: ['"+addr+"']\n"+creds+"\n", true, logs, nil)
			evs := runUntil(t, in, events, func([]*event.Event) bool { return false })
			if len(evs) == 0 {
				t.Fatalf("no events; logs:\n%s", strings.Join(logs.all(), ""))
			}
			ifs := byName(t, evs)
			lo := ifs["lo"]
			if lo == nil {
				t.Fatalf("no event for lo among %d interfaces", len(ifs))
			}
			for _, k := range []string{"system.network.in.bytes", "system.network.out.bytes", "system.network.out.packets"} {
				// Not in.packets: net-snmp's lo ifHCInUcastPkts stays 0 at times.
				if v, _ := num(t, lo, k); v <= 0 {
					t.Errorf("lo %s = %v, want > 0", k, v)
				}
			}
			if h, _ := lo.Fields.GetString("observer.hostname"); h != "it-agent" {
				t.Errorf("observer.hostname = %q, want it-agent", h)
			}
			wantBits := 64.0
			if strings.HasPrefix(name, "v1") {
				wantBits = 32 // Counter64 does not exist in SNMPv1: net-snmp leaves the HC columns out
			}
			wantRate(t, lo, "snmp.interface.counter_bits", wantBits)
			for _, e := range evs {
				if err := checkFields(e); err != nil {
					t.Error(err)
				}
			}
			t.Logf("%d interfaces, lo in.bytes=%v", len(evs), get(lo, "system.network.in.bytes"))
		})
	}
}

// TestIntegrationRates polls twice, 4 s apart (snmpd refreshes its
// counters about every 3 s), and checks that every rate is non-negative.
func TestIntegrationRates(t *testing.T) {
	addr := startSnmpd(t, "it-agent", "public", authPass)
	logs := &logBuf{}
	in := newFromYAML(t, "type: snmp\nhosts: ['"+addr+"']\nperiod: 4s\n", false, logs, nil)
	// Progress: the first poll's events; the second poll's must carry rates.
	evs := runUntil(t, in, func(evs []*event.Event) int64 { return min(int64(len(evs)), 1) }, func(evs []*event.Event) bool {
		for _, e := range evs {
			if _, ok := e.Fields.Get("snmp.rate.interval_s"); ok {
				return true
			}
		}
		return false
	})
	var second []*event.Event
	for _, e := range evs {
		if _, ok := e.Fields.Get("snmp.rate.interval_s"); ok {
			second = append(second, e)
		}
	}
	if len(second) == 0 {
		t.Fatalf("no event with rates in %d events; logs:\n%s", len(evs), strings.Join(logs.all(), ""))
	}
	for _, e := range second {
		n, _ := e.Fields.GetString("system.network.name")
		if iv, _ := num(t, e, "snmp.rate.interval_s"); iv < 3.5 {
			t.Errorf("%s: interval %v s, want >= 3.5", n, iv)
		}
		for _, f := range e.Fields {
			if strings.HasPrefix(f.Key, "snmp.rate.") || strings.HasPrefix(f.Key, "snmp.utilization.") {
				if v, ok := f.Value.(float64); !ok || v < 0 {
					t.Errorf("%s: %s = %v, want a non-negative number", n, f.Key, f.Value)
				}
			}
		}
		if n == "lo" {
			t.Logf("lo: in.bps=%v out.bps=%v in.pps=%v over %v s", get(e, "snmp.rate.in.bps"), get(e, "snmp.rate.out.bps"), get(e, "snmp.rate.in.pps"), get(e, "snmp.rate.interval_s"))
		}
	}
}

// TestIntegrationBadCredentials: a host with another community (v2c) or
// another auth password (v3) fails with an error naming it, logged once,
// while the good host of the same input keeps being polled.
//
// The timeout is the default (2 s) for both hosts: a v2c agent ignores a
// wrong community, so each failed poll lasts the timeout, and the healthy
// host's answers must fit in it. It was 300 ms, which a loaded machine can
// miss for the healthy host (an error line of its own, a poll fewer). The
// test waits on progress (runUntil), and only the bad host's error lines
// are counted for the throttle: a timeout of the healthy host on a very
// busy machine slows the test down but is not what it checks.
func TestIntegrationBadCredentials(t *testing.T) {
	good := startSnmpd(t, "good-agent", "public", authPass)
	bad := startSnmpd(t, "bad-agent", "other-community", "another-auth-pass")
	for name, tc := range map[string]struct{ creds, want string }{
		"wrong community":   {"version: 2c\ncommunity: public", "wrong community"},
		"wrong v3 password": {"version: 3\nusername: shipper\nauth_password: " + authPass + "\npriv_password: " + privPass, "wrong auth_password"},
	} {
		t.Run(name, func(t *testing.T) {
			logs := &logBuf{}
			m := monitoring.NewRegistry()
			y := fmt.Sprintf("type: snmp\nhosts: ['%s', '%s']\nperiod: 1s\nretries: 0\n%s\n", bad, good, tc.creds)
			in := newFromYAML(t, y, false, logs, m)
			polls := func(evs []*event.Event) int {
				n := 0
				for _, e := range evs {
					if get(e, "system.network.name") == "lo" {
						n++
					}
				}
				return n
			}
			badErrors := func() []string {
				var lines []string
				for _, l := range logs.all() {
					if strings.Contains(l, "level=ERROR") && strings.Contains(l, bad) {
						lines = append(lines, l)
					}
				}
				return lines
			}
			// The bad host's failed polls: errors logged or not (throttled).
			failed := func() int64 { return m.Snapshot()["input.it.poll_errors"] }
			evs := runUntil(t, in, func(evs []*event.Event) int64 {
				return int64(min(polls(evs), 3)) + min(failed(), 2)
			}, func(evs []*event.Event) bool {
				return polls(evs) >= 3 && failed() >= 2 && len(badErrors()) >= 1
			})
			if got := polls(evs); got < 3 {
				t.Errorf("good host polled %d times, want >= 3", got)
			}
			for _, e := range evs {
				if get(e, "snmp.agent.address") != good {
					t.Fatalf("event from %v, want only %s", get(e, "snmp.agent.address"), good)
				}
			}
			errLines := badErrors()
			if len(errLines) != 1 {
				t.Fatalf("got %d error lines naming %s, want exactly 1 (throttled):\n%s", len(errLines), bad, strings.Join(logs.all(), ""))
			}
			if !strings.Contains(errLines[0], bad) || !strings.Contains(errLines[0], tc.want) {
				t.Errorf("error line %q: want it to name %s and say %q", errLines[0], bad, tc.want)
			}
			if strings.Contains(errLines[0], authPass) || strings.Contains(errLines[0], privPass) {
				t.Errorf("error line leaks a password: %q", errLines[0])
			}
			t.Logf("logged: %s", errLines[0])
		})
	}
}
