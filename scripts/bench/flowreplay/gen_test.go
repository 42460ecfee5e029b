package main

import (
	"bytes"
	"encoding/binary"
	"testing"

	gfnetflow "github.com/netsampler/goflow2/v2/decoders/netflow"
)

// TestSeriesDecodes decodes a whole series with goflow2 (an independent
// decoder): every data datagram holds K flows, the template comes first and
// every TemplateEvery data datagrams, sequence numbers follow the protocol,
// and the packets and bytes add up to the generator's totals.
func TestSeriesDecodes(t *testing.T) {
	for _, version := range []uint16{9, 10} {
		g := &Generator{Version: version, K: 7, TemplateEvery: 4, Domain: 3}
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
		ts := gfnetflow.CreateTemplateSystem()
		var flows, packets, bytesSum, nextSeq uint64
		var kinds []bool
		var buf []byte
		for g.DataDatagrams() < 10 {
			var data bool
			buf, data = g.Next(buf)
			kinds = append(kinds, data)
			var p9 gfnetflow.NFv9Packet
			var pi gfnetflow.IPFIXPacket
			if err := gfnetflow.DecodeMessageVersion(bytes.NewBuffer(buf), ts, &p9, &pi); err != nil {
				t.Fatalf("v%d datagram %d: %v", version, len(kinds), err)
			}
			sets, seq := p9.FlowSets, uint64(p9.SequenceNumber)
			if version == 10 {
				sets, seq = pi.FlowSets, uint64(pi.SequenceNumber)
				if pi.ObservationDomainId != 3 {
					t.Fatalf("domain %d, want 3", pi.ObservationDomainId)
				}
			}
			if seq != nextSeq {
				t.Fatalf("v%d datagram %d: sequence %d, want %d", version, len(kinds), seq, nextSeq)
			}
			recs := 0
			for _, s := range sets {
				ds, ok := s.(gfnetflow.DataFlowSet)
				if !ok {
					continue
				}
				for _, r := range ds.Records {
					recs++
					for _, v := range r.Values {
						b, _ := v.Value.([]byte)
						switch v.Type {
						case 1:
							bytesSum += uint64(binary.BigEndian.Uint32(b))
						case 2:
							packets += uint64(binary.BigEndian.Uint32(b))
						}
					}
				}
			}
			if data && recs != 7 || !data && recs != 0 {
				t.Fatalf("v%d datagram %d (data %v): %d records", version, len(kinds), data, recs)
			}
			flows += uint64(recs)
			if version == 9 {
				nextSeq++
			} else {
				nextSeq += uint64(recs)
			}
		}
		// T D D D D T D D D D T D D
		want := []bool{false, true, true, true, true, false, true, true, true, true, false, true, true}
		if len(kinds) != len(want) {
			t.Fatalf("v%d: datagram kinds %v, want %v", version, kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("v%d: datagram kinds %v, want %v", version, kinds, want)
			}
		}
		if flows != g.Flows() || packets != g.Packets || bytesSum != g.Bytes {
			t.Errorf("v%d: decoded %d flows %d packets %d bytes, generator says %d %d %d", version, flows, packets, bytesSum, g.Flows(), g.Packets, g.Bytes)
		}
	}
}

// TestDeterministic: two generators build the same bytes.
func TestDeterministic(t *testing.T) {
	a := &Generator{Version: 10, K: 30, TemplateEvery: 100}
	b := &Generator{Version: 10, K: 30, TemplateEvery: 100}
	var x, y []byte
	for i := 0; i < 300; i++ {
		x, _ = a.Next(x)
		y, _ = b.Next(y)
		if !bytes.Equal(x, y) {
			t.Fatalf("datagram %d differs", i)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, g := range []Generator{{Version: 5, K: 1}, {Version: 9, K: 0}, {Version: 9, K: 2000}, {Version: 10, K: 1, TemplateEvery: -1}} {
		if err := g.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", g)
		}
	}
}
