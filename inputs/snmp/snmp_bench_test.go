package snmp

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/shipper-project/shipper/shipper/event"
)

// discard is a pipeline.Client that drops events.
type discard struct{ n int }

func (d *discard) Publish(context.Context, *event.Event) error { d.n++; return nil }

// agent100 is a scripted agent with n interfaces, each a copy of eth0 of
// the Debian snmpd capture (all ifTable and ifXTable columns, as a real
// agent answers).
func agent100(b testing.TB, n int) *pduList {
	src := readWalk(b, "testdata/debian12-snmpd.walk")
	var out []gosnmp.SnmpPDU
	for _, p := range src {
		if !strings.HasPrefix(p.Name, oidIfTable) && !strings.HasPrefix(p.Name, oidIfXTable) {
			out = append(out, p) // sysUpTime, sysName
		}
	}
	for _, root := range []string{oidIfTable, oidIfXTable} {
		for col := 1; col <= 22; col++ {
			var tmpl *gosnmp.SnmpPDU
			for i := range src {
				if src[i].Name == fmt.Sprintf("%s.%d.4", root, col) {
					tmpl = &src[i]
				}
			}
			if tmpl == nil {
				continue
			}
			for idx := 1; idx <= n; idx++ {
				p := *tmpl
				p.Name = fmt.Sprintf("%s.%d.%d", root, col, idx)
				if col == 1 && root == oidIfXTable {
					p.Value = []byte(fmt.Sprintf("eth%d", idx))
				}
				out = append(out, p)
			}
		}
	}
	return &pduList{pdus: out}
}

// BenchmarkPoll100 is one poll of an agent with 100 interfaces: the walk
// callbacks, the join, the rates and 100 events, without the network
// (gosnmp's BER decoding is not included). At a 10 s period the CPU share
// of one core is ns/op / 1e10 × 100 %.
func BenchmarkPoll100(b *testing.B) {
	cfg := defaultConfig()
	cfg.Hosts = []string{"udp://192.0.2.1:161"}
	in, err := newInput(cfg, inputsEnv(false))
	if err != nil {
		b.Fatal(err)
	}
	cl := agent100(b, 100)
	in.dial = func(context.Context, target, *conf) (Client, error) { return cl, nil }
	at := t0
	in.now = func() time.Time { return at }
	a := &agent{in: in, t: in.targets[0], tr: newTracker(cfg.RateMargin)}
	out := &discard{}
	sem := make(chan struct{}, 1)
	ctx := context.Background()
	a.poll(ctx, out, sem) // baseline
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		at = at.Add(10 * time.Second)
		if !a.poll(ctx, out, sem) {
			b.Fatal("poll failed")
		}
	}
	b.StopTimer()
	if out.n != (b.N+1)*100 {
		b.Fatalf("published %d events, want %d", out.n, (b.N+1)*100)
	}
	nsPerPoll := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(nsPerPoll/1e10*100, "%core@10s")
}

// BenchmarkEncode100 is the output side's share for the same poll: the
// JSON encoding of 100 interface events, for comparison.
func BenchmarkEncode100(b *testing.B) {
	cfg := defaultConfig()
	cfg.Hosts = []string{"udp://192.0.2.1:161"}
	in, _ := newInput(cfg, inputsEnv(false))
	cl := agent100(b, 100)
	in.dial = func(context.Context, target, *conf) (Client, error) { return cl, nil }
	at := t0
	in.now = func() time.Time { return at }
	a := &agent{in: in, t: in.targets[0], tr: newTracker(cfg.RateMargin)}
	out := &collector{}
	sem := make(chan struct{}, 1)
	a.poll(context.Background(), out, sem)
	at = at.Add(10 * time.Second)
	a.poll(context.Background(), out, sem)
	evs := out.take()[100:]
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, e := range evs {
			buf = event.AppendJSON(buf, e)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkDecode100 is the wire share BenchmarkPoll100 leaves out:
// gosnmp decoding the GETBULK responses of one 100-interface poll (v2c,
// max_repetitions 50: about 82 packets of 50 varbinds).
func BenchmarkDecode100(b *testing.B) {
	pdus := agent100(b, 100).pdus
	var packets [][]byte
	for i := 0; i < len(pdus); i += 50 {
		p := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: "public", PDUType: gosnmp.GetResponse, RequestID: uint32(i), Variables: pdus[i:min(i+50, len(pdus))]}
		buf, err := p.MarshalMsg()
		if err != nil {
			b.Fatal(err)
		}
		packets = append(packets, buf)
	}
	g := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "public", Target: "192.0.2.1", Port: 161, MaxOids: gosnmp.MaxOids, Logger: gosnmp.Default.Logger}
	b.ReportAllocs()
	for b.Loop() {
		for _, buf := range packets {
			if _, err := g.SnmpDecodePacket(buf); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(packets)), "packets/poll")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e10*100, "%core@10s")
}
