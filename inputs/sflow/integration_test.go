//go:build integration

package sflow

import (
	"context"
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

func startInput(t *testing.T, mod ...func(*Config)) (*flowtest.Collector, *monitoring.Registry, string) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Host = "127.0.0.1:0"
	for _, f := range mod {
		f(&cfg)
	}
	m := monitoring.NewRegistry()
	in, err := New(cfg, inputs.Env{ID: "sf", Name: "input.sf", Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	col := &flowtest.Collector{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx, col) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	addr, err := in.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return col, m, addr
}

// TestPmacctdSfprobe replays the scenario through pmacctd's sfprobe plugin
// (sFlow v5, every packet sampled) and checks, per flow, the packets and the
// bytes (frame lengths) against the capture, and sfacctd's figures for the
// same export.
func TestPmacctdSfprobe(t *testing.T) {
	dir := flowtest.TempDir(t)
	pcap := filepath.Join(dir, "scenario.pcap")
	scen := flowtest.Scenario()
	if err := flowtest.WritePcap(pcap, flowtest.Packets(scen)); err != nil {
		t.Fatal(err)
	}
	want := map[string]flowtest.Counts{}
	total := 0
	for _, f := range scen {
		want[f.Key()] = flowtest.Counts{Packets: uint64(f.Packets), Bytes: uint64(f.Packets * f.FrameLen())}
		total += f.Packets
	}

	col, m, addr := startInput(t)
	flowtest.Pmacctd(t, pcap, addr)
	samples := m.Counter("input.sf.samples.flow")
	flowtest.WaitFor(t, "every sample", 30*time.Second, samples.Load, func() bool { return samples.Load() >= int64(total) })

	got := map[string]flowtest.Counts{}
	fcs := uint64(0)
	for _, ev := range col.Events() {
		if err := fields.Check(ev, Fields); err != nil {
			t.Error(err)
		}
		if flowtest.Get(ev, "event.dataset") != "sflow.flow" {
			continue
		}
		proto, _ := strconv.Atoi(flowtest.Get(ev, "network.iana_number").(string))
		sport, _ := flowtest.Get(ev, "source.port").(uint64)
		dport, _ := flowtest.Get(ev, "destination.port").(uint64)
		k := flowtest.FlowKey(flowtest.Get(ev, "source.ip").(string), flowtest.Get(ev, "destination.ip").(string), uint8(proto), sport, dport)
		c := got[k]
		c.Packets += flowtest.Get(ev, "network.packets").(uint64)
		c.Bytes += flowtest.Get(ev, "network.bytes").(uint64)
		got[k] = c
		fcs = flowtest.Get(ev, "sflow.sample.stripped").(uint64)
		if flowtest.Get(ev, "source.mac") == nil || flowtest.Get(ev, "network.community_id") == nil {
			t.Errorf("%s: source.mac or network.community_id missing: %v", k, ev.Fields)
		}
	}
	// sFlow's frame length counts the FCS the agent stripped.
	for k, c := range got {
		c.Bytes -= c.Packets * fcs
		got[k] = c
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flows (-capture +sflow input):\n%s", diff)
	}
	if n := m.Counter("input.sf.datagrams_invalid").Load() + m.Counter("input.sf.sequence.lost").Load(); n != 0 {
		t.Errorf("invalid or lost datagrams: %d", n)
	}

	// sfacctd counts a sample's frame length too (with the FCS).
	sf := sfacctdFlows(t, pcap)
	for k, c := range sf {
		c.Bytes -= c.Packets * fcs
		sf[k] = c
	}
	if diff := cmp.Diff(want, sf); diff != "" {
		t.Errorf("flows (-capture +sfacctd):\n%s", diff)
	}
}

// sfacctdFlows exports the capture with pmacctd to the real sfacctd and
// reads its per-flow totals (print plugin, CSV).
func sfacctdFlows(t *testing.T, pcap string) map[string]flowtest.Counts {
	flowtest.Need(t, "sfacctd", "pmacct")
	dir := flowtest.TempDir(t)
	port := freePort(t)
	out := filepath.Join(dir, "flows.csv")
	conf := filepath.Join(dir, "sfacctd.conf")
	os.WriteFile(conf, []byte(strings.Join([]string{
		"daemonize: false",
		"sfacctd_ip: 127.0.0.1",
		"sfacctd_port: " + strconv.Itoa(port),
		"plugins: print",
		"aggregate: src_host, dst_host, src_port, dst_port, proto",
		"print_output: csv",
		"print_output_file: " + out,
		"print_refresh_time: 1",
		"print_num_protos: true",
		"print_output_file_append: true",
	}, "\n")+"\n"), 0o644)
	cmd := exec.Command("sfacctd", "-f", conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its plugin is a child: stop both
	logf, err := os.Create(filepath.Join(dir, "sfacctd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// sfacctd's core waits for its plugin on SIGTERM; the test needs no
	// graceful stop: kill the process group.
	defer func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() }()
	flowtest.WaitFor(t, "sfacctd to listen", 30*time.Second, func() int64 { return 0 }, func() bool { return portTaken(port) })
	flowtest.Pmacctd(t, pcap, "127.0.0.1:"+strconv.Itoa(port))
	var got map[string]flowtest.Counts
	packets := func() int64 {
		got = readSfacctd(out)
		var n uint64
		for _, c := range got {
			n += c.Packets
		}
		return int64(n)
	}
	flowtest.WaitFor(t, "sfacctd's totals", 30*time.Second, packets, func() bool { return packets() >= 30 })
	return got
}

func readSfacctd(path string) map[string]flowtest.Counts {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		return nil
	}
	col := map[string]int{}
	for i, h := range strings.Split(lines[0], ",") {
		col[h] = i
	}
	got := map[string]flowtest.Counts{}
	for _, l := range lines[1:] {
		p := strings.Split(l, ",")
		if len(p) != len(col) {
			continue
		}
		num := func(h string) uint64 { n, _ := strconv.ParseUint(p[col[h]], 10, 64); return n }
		k := flowtest.FlowKey(p[col["SRC_IP"]], p[col["DST_IP"]], uint8(num("PROTOCOL")), num("SRC_PORT"), num("DST_PORT"))
		c := got[k]
		c.Packets += num("PACKETS")
		c.Bytes += num("BYTES")
		got[k] = c
	}
	return got
}
