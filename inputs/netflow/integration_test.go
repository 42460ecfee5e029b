//go:build integration

package netflow

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/internal/flow/flowtest"
	"github.com/shipper-project/shipper/shipper/fields"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// startInput runs a netflow input on a free local port.
func startInput(t *testing.T, cfg Config) (*flowtest.Collector, *monitoring.Registry, string) {
	t.Helper()
	cfg.Host = "127.0.0.1:0"
	m := monitoring.NewRegistry()
	in, err := New(cfg, inputs.Env{ID: "nf", Name: "input.nf", Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	col, addr := flowtest.Start(t, in)
	return col, m, addr
}

// TestSoftflowdExports replays the scenario through softflowd as NetFlow
// v5, v9 and IPFIX and checks every flow's exact packets and bytes, and the
// documents against the field catalog; nfdump, fed the same export, must
// agree.
func TestSoftflowdExports(t *testing.T) {
	dir := flowtest.TempDir(t)
	pcap := filepath.Join(dir, "scenario.pcap")
	if err := flowtest.WritePcap(pcap, flowtest.Packets(flowtest.Scenario())); err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"5", "9", "10"} {
		t.Run("v"+version, func(t *testing.T) {
			col, m, addr := startInput(t, DefaultConfig())
			extra := []string{"-a"} // flow times from the capture, against an uptime that fits
			if version != "5" {
				extra = append(extra, "-6")
			}
			flowtest.Softflowd(t, pcap, addr, version, extra...)
			want := flowtest.Want(version)
			flows := m.Counter("input.nf.flows")
			flowtest.WaitFor(t, "every flow", 30*time.Second, flows.Load, func() bool { return flows.Load() >= int64(len(want)) })

			got := map[string]flowtest.Counts{}
			for _, ev := range col.Events() {
				if flowtest.Get(ev, "netflow.type") != "netflow_flow" {
					continue
				}
				if err := fields.Check(ev, Fields); err != nil {
					t.Error(err)
				}
				if flowtest.Get(ev, "event.dataset") != "netflow.log" {
					t.Errorf("event.dataset = %v", flowtest.Get(ev, "event.dataset"))
				}
				k := flowtest.EventKey(ev)
				c := got[k]
				c.Packets += flowtest.Get(ev, "source.packets").(uint64)
				c.Bytes += flowtest.Get(ev, "source.bytes").(uint64)
				got[k] = c
				if flowtest.Get(ev, "network.community_id") == nil || flowtest.Get(ev, "event.start") == nil || flowtest.Get(ev, "event.end") == nil {
					t.Errorf("%s: community_id, event.start or event.end missing: %v", k, ev.Fields)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("flows (-capture +netflow input):\n%s", diff)
			}
			if n := m.Counter("input.nf.datagrams_invalid").Load(); n != 0 {
				t.Errorf("datagrams_invalid = %d", n)
			}
			if version != "5" {
				nf := nfdumpFlows(t, pcap, version, want)
				if diff := cmp.Diff(want, nf); diff != "" {
					t.Errorf("flows (-capture +nfdump):\n%s", diff)
				}
			}
		})
	}
}

// nfdumpFlows exports the capture with softflowd to the real nfcapd and
// reads the flows back with nfdump.
func nfdumpFlows(t *testing.T, pcap, version string, want map[string]flowtest.Counts) map[string]flowtest.Counts {
	flowtest.Need(t, "nfcapd", "nfdump")
	dir := flowtest.TempDir(t)
	port := flowtest.FreeUDPPort(t)
	cmd := exec.Command("nfcapd", "-w", dir, "-b", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "2")
	logf, err := os.Create(filepath.Join(dir, "nfcapd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	flowtest.LogOnFailure(t, "nfcapd", logf.Name())
	// nfcapd listens once its socket is in the table. Not by binding the
	// port to see whether it is taken: the probe's socket, held at the
	// instant nfcapd binds, would make nfcapd's bind fail.
	flowtest.WaitFor(t, "nfcapd to listen", 30*time.Second, flowtest.DaemonCPU(cmd.Process.Pid), func() bool { return flowtest.UDPBound(t, port) })
	flowtest.Softflowd(t, pcap, "127.0.0.1:"+strconv.Itoa(port), version, "-6", "-a")
	// nfcapd rotates its file every 2 s (-t 2); nfdump reads the rotated
	// files until they hold every packet of the capture.
	var got map[string]flowtest.Counts
	packets := func() int64 {
		ents, _ := filepath.Glob(filepath.Join(dir, "nfcapd.2*"))
		if len(ents) == 0 {
			return 0
		}
		got = parseNfdump(t, flowtest.Run(t, "nfdump", "-R", dir, "-q", "-N", "-o", "fmt:%sa|%da|%sp|%dp|%pr|%pkt|%byt"))
		return int64(flowtest.TotalPackets(got))
	}
	flowtest.WaitFor(t, "nfcapd to store every flow", 30*time.Second, packets, func() bool { return packets() >= int64(flowtest.TotalPackets(want)) })
	return got
}

func parseNfdump(t *testing.T, res string) map[string]flowtest.Counts {
	got := map[string]flowtest.Counts{}
	for _, line := range strings.Split(strings.TrimSpace(res), "\n") {
		p := strings.Split(line, "|")
		if len(p) != 7 {
			continue
		}
		for i := range p {
			p[i] = strings.TrimSpace(p[i])
		}
		proto, err := strconv.ParseUint(p[4], 10, 8) // -N prints the number
		if err != nil {
			t.Fatalf("nfdump protocol %q: %v", p[4], err)
		}
		sp, _ := strconv.ParseUint(p[2], 10, 64)
		dp, _ := strconv.ParseUint(p[3], 10, 64)
		pk, _ := strconv.ParseUint(p[5], 10, 64)
		by, _ := strconv.ParseUint(p[6], 10, 64)
		k := flowtest.FlowKey(p[0], p[1], uint8(proto), sp, dp)
		c := got[k]
		c.Packets += pk
		c.Bytes += by
		got[k] = c
	}
	return got
}
