package netflow

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"syscall"
	"testing"
	"time"

	gfnetflow "github.com/netsampler/goflow2/v2/decoders/netflow"

	"github.com/shipper-project/shipper/inputs/internal/flow"
	"github.com/shipper-project/shipper/shipper/event"
)

// softflowd's IPv4 template: addresses, ports, protocol, TOS, TCP flags,
// interfaces, counts, start/end uptimes, IP version.
var benchTemplate = [][2]uint16{{8, 4}, {12, 4}, {22, 4}, {21, 4}, {1, 4}, {2, 4}, {10, 4}, {14, 4}, {7, 2}, {11, 2}, {6, 1}, {4, 1}, {5, 1}, {60, 1}}

func benchSets(version uint16, records int) (tmpl, data []byte) {
	setID := uint16(0)
	if version == 10 {
		setID = 2
	}
	tmpl = binary.BigEndian.AppendUint16(nil, setID)
	tmpl = binary.BigEndian.AppendUint16(tmpl, uint16(8+4*len(benchTemplate)))
	tmpl = binary.BigEndian.AppendUint16(tmpl, 256)
	tmpl = binary.BigEndian.AppendUint16(tmpl, uint16(len(benchTemplate)))
	for _, f := range benchTemplate {
		tmpl = binary.BigEndian.AppendUint16(tmpl, f[0])
		tmpl = binary.BigEndian.AppendUint16(tmpl, f[1])
	}
	var body []byte
	for i := 0; i < records; i++ {
		src := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}).As4()
		dst := [4]byte{93, 184, 216, byte(i)}
		body = append(body, src[:]...)
		body = append(body, dst[:]...)
		body = binary.BigEndian.AppendUint32(body, 50000)          // start uptime
		body = binary.BigEndian.AppendUint32(body, 59000)          // end uptime
		body = binary.BigEndian.AppendUint32(body, 1400+uint32(i)) // bytes
		body = binary.BigEndian.AppendUint32(body, 10)             // packets
		body = binary.BigEndian.AppendUint32(body, 2)
		body = binary.BigEndian.AppendUint32(body, 3)
		body = binary.BigEndian.AppendUint16(body, 40000+uint16(i))
		body = binary.BigEndian.AppendUint16(body, 443)
		body = append(body, 0x1b, 6, 0, 4)
	}
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	data = binary.BigEndian.AppendUint16(nil, 256)
	data = binary.BigEndian.AppendUint16(data, uint16(4+len(body)))
	return tmpl, append(data, body...)
}

// benchDecode measures datagrams of 30 flows (softflowd's maximum per v9
// datagram is around 30) decoded and encoded to NDJSON, on one core: the
// input's own CPU per flow, without the pipeline or the output.
func benchDecode(b *testing.B, version uint16) {
	const records = 30
	tmpl, data := benchSets(version, records)
	d := NewDecoder(mustConfig(b), nil, "bench", nil)
	from := netip.MustParseAddrPort("192.0.2.1:2055")
	now := time.Unix(1700000000, 0)
	mk := func(seq uint32, sets ...[]byte) []byte {
		if version == 9 {
			return v9Datagram(seq, 1, 60000, sets...)
		}
		return ipfixDatagram(seq*records, 1, sets...)
	}
	d.Decode(flow.Datagram{From: from, Received: now, Data: mk(0, tmpl)}, func(*event.Event) error { return nil })
	var buf []byte
	emit := func(e *event.Event) error {
		buf = event.AppendJSON(buf[:0], e)
		buf = append(buf, '\n')
		return nil
	}
	dgs := make([][]byte, 64)
	for i := range dgs {
		dgs[i] = mk(uint32(i+1), data)
	}
	b.SetBytes(int64(len(dgs[0])))
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Sequence numbers advance so no gap or reset is counted.
		dg := mk(uint32(i+1), data)
		if err := d.Decode(flow.Datagram{From: from, Received: now, Data: dg}, emit); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	flows := float64(b.N * records)
	// CPU per flow from getrusage (all threads, GC included): the wall
	// clock is not a measure on a shared, loaded machine.
	b.ReportMetric(float64(cpu.Nanoseconds())/flows, "cpu-ns/flow")
	b.ReportMetric(flows/cpu.Seconds(), "flows/cpu-s")
}

func mustConfig(b *testing.B) Config {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkDecodeV9(b *testing.B)    { benchDecode(b, 9) }
func BenchmarkDecodeIPFIX(b *testing.B) { benchDecode(b, 10) }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGoflow2OnlyV9 is the baseline of the same run: goflow2's own
// decode of the same datagrams into its structs, no documents. The ratio
// to BenchmarkDecodeV9 is what building and encoding the documents costs.
func BenchmarkGoflow2OnlyV9(b *testing.B) {
	const records = 30
	tmpl, data := benchSets(9, records)
	ts := gfnetflow.CreateTemplateSystem()
	var p9 gfnetflow.NFv9Packet
	var pi gfnetflow.IPFIXPacket
	gfnetflow.DecodeMessageVersion(bytes.NewBuffer(v9Datagram(0, 1, 60000, tmpl)), ts, &p9, &pi)
	dg := v9Datagram(1, 1, 60000, data)
	b.SetBytes(int64(len(dg)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p9 = gfnetflow.NFv9Packet{}
		if err := gfnetflow.DecodeMessageVersion(bytes.NewBuffer(dg), ts, &p9, &pi); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	flows := float64(b.N * records)
	b.ReportMetric(float64(cpu.Nanoseconds())/flows, "cpu-ns/flow")
	b.ReportMetric(flows/cpu.Seconds(), "flows/cpu-s")
}
