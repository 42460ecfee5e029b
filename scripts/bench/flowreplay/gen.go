package main

import (
	"encoding/binary"
	"fmt"
)

// Generator builds a deterministic series of NetFlow v9 or IPFIX export
// datagrams from one exporter: a template datagram, then data datagrams of
// K flows each, with the template again every TemplateEvery data datagrams
// (as exporters refresh it). Sequence numbers follow the protocol: v9
// counts datagrams (templates included), IPFIX counts data records sent
// before the message. Flow g (0, 1, 2, … over the whole series) is the same
// in every run and for every peer.
type Generator struct {
	Version       uint16 // 9 or 10
	K             int    // flows per data datagram
	TemplateEvery int    // data datagrams between template refreshes; 0: only the first
	Domain        uint32 // v9 source id / IPFIX observation domain

	seq     uint32 // next v9 datagram / IPFIX record sequence number
	dgs     int    // datagrams built
	data    int    // data datagrams built
	flows   uint64 // flows built
	tmplFor int    // 1 + the data datagram index the last template preceded; 0: none yet

	// Totals of the flows built so far.
	Packets, Bytes uint64
}

// baseTime is the export time of the first datagram (2023-11-14T22:13:20Z);
// each datagram adds a millisecond, so a run is the same bytes every time.
const baseTime = 1700000000

const templateID = 256

// fields is the data record's layout: softflowd's IPv4 template (the one
// inputs/netflow's benchmarks use). IPFIX has absolute millisecond
// timestamps (152, 153) instead of the v9 uptimes (22, 21).
func (g *Generator) fields() [][2]uint16 {
	times := [][2]uint16{{22, 4}, {21, 4}} // flowStartSysUpTime, flowEndSysUpTime
	if g.Version == 10 {
		times = [][2]uint16{{152, 8}, {153, 8}} // flowStartMilliseconds, flowEndMilliseconds
	}
	f := [][2]uint16{{8, 4}, {12, 4}} // sourceIPv4Address, destinationIPv4Address
	f = append(f, times...)
	return append(f,
		[2]uint16{1, 4}, [2]uint16{2, 4}, // octetDeltaCount, packetDeltaCount
		[2]uint16{10, 4}, [2]uint16{14, 4}, // ingressInterface, egressInterface
		[2]uint16{7, 2}, [2]uint16{11, 2}, // sourceTransportPort, destinationTransportPort
		[2]uint16{6, 1}, [2]uint16{4, 1}, [2]uint16{5, 1}, [2]uint16{60, 1}, // tcpControlBits, protocolIdentifier, ipClassOfService, ipVersion
	)
}

// RecordLen is the length of one data record.
func (g *Generator) RecordLen() int {
	n := 0
	for _, f := range g.fields() {
		n += int(f[1])
	}
	return n
}

// Validate checks the settings.
func (g *Generator) Validate() error {
	if g.Version != 9 && g.Version != 10 {
		return fmt.Errorf("version %d: want 9 or 10", g.Version)
	}
	if g.K < 1 {
		return fmt.Errorf("flows per datagram %d: want at least 1", g.K)
	}
	// The set length is a uint16; 65507 is the largest UDP payload.
	if n := 20 + 4 + g.K*g.RecordLen() + 3; n > 65507 {
		return fmt.Errorf("flows per datagram %d: the datagram would be %d bytes, more than UDP allows", g.K, n)
	}
	if g.TemplateEvery < 0 {
		return fmt.Errorf("template every %d: want ≥ 0", g.TemplateEvery)
	}
	return nil
}

// Next appends the next datagram to dst[:0] and says whether it carries
// data (false: a template datagram).
func (g *Generator) Next(dst []byte) (b []byte, isData bool) {
	due := g.data == 0 || (g.TemplateEvery > 0 && g.data%g.TemplateEvery == 0)
	if due && g.tmplFor != g.data+1 {
		g.tmplFor = g.data + 1
		return g.datagram(dst[:0], g.templateSet(), 1, 0), false
	}
	set := g.dataSet()
	g.data++
	return g.datagram(dst[:0], set, g.K, g.K), true
}

// datagram wraps one set in the protocol's header. count is the records in
// the set, dataRecords the data records among them.
func (g *Generator) datagram(dst, set []byte, count, dataRecords int) []byte {
	n := g.dgs
	g.dgs++
	ms := uint32(n)
	secs := uint32(baseTime + n/1000)
	if g.Version == 9 {
		dst = binary.BigEndian.AppendUint16(dst, 9)
		dst = binary.BigEndian.AppendUint16(dst, uint16(count))
		dst = binary.BigEndian.AppendUint32(dst, 600000+ms) // sysUpTime: ten minutes, rising
		dst = binary.BigEndian.AppendUint32(dst, secs)
		dst = binary.BigEndian.AppendUint32(dst, g.seq)
		dst = binary.BigEndian.AppendUint32(dst, g.Domain)
		g.seq++
	} else {
		dst = binary.BigEndian.AppendUint16(dst, 10)
		dst = binary.BigEndian.AppendUint16(dst, uint16(16+len(set)))
		dst = binary.BigEndian.AppendUint32(dst, secs)
		dst = binary.BigEndian.AppendUint32(dst, g.seq)
		dst = binary.BigEndian.AppendUint32(dst, g.Domain)
		g.seq += uint32(dataRecords)
	}
	return append(dst, set...)
}

func (g *Generator) templateSet() []byte {
	setID := uint16(0) // v9 template flowset
	if g.Version == 10 {
		setID = 2
	}
	f := g.fields()
	b := binary.BigEndian.AppendUint16(nil, setID)
	b = binary.BigEndian.AppendUint16(b, uint16(8+4*len(f)))
	b = binary.BigEndian.AppendUint16(b, templateID)
	b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
	for _, x := range f {
		b = binary.BigEndian.AppendUint16(b, x[0])
		b = binary.BigEndian.AppendUint16(b, x[1])
	}
	return b
}

// dataSet builds the next K flows. Flow g: source 10.x.y.z (g in the low
// 24 bits), destination 93.184.x.y, TCP or UDP (every third is UDP) to one
// of five service ports, 1–100 packets and 40–100039 bytes.
func (g *Generator) dataSet() []byte {
	n := g.dgs // the datagram this set goes into
	uptime := 600000 + uint32(n)
	b := make([]byte, 4, 4+g.K*g.RecordLen()+3)
	ports := [...]uint16{443, 80, 53, 22, 123}
	for i := 0; i < g.K; i++ {
		f := g.flows
		g.flows++
		src := [4]byte{10, byte(f >> 16), byte(f >> 8), byte(f)}
		dst := [4]byte{93, 184, byte(f >> 8), byte(f)}
		b = append(b, src[:]...)
		b = append(b, dst[:]...)
		if g.Version == 9 {
			b = binary.BigEndian.AppendUint32(b, uptime-10000) // started 10 s before the export
			b = binary.BigEndian.AppendUint32(b, uptime-1000)
		} else {
			ms := uint64(baseTime)*1000 + uint64(n)
			b = binary.BigEndian.AppendUint64(b, ms-10000)
			b = binary.BigEndian.AppendUint64(b, ms-1000)
		}
		packets := 1 + f%100
		bytes := 40 + (f*7919)%100000
		g.Packets += packets
		g.Bytes += bytes
		b = binary.BigEndian.AppendUint32(b, uint32(bytes))
		b = binary.BigEndian.AppendUint32(b, uint32(packets))
		b = binary.BigEndian.AppendUint32(b, 2) // ingress interface
		b = binary.BigEndian.AppendUint32(b, 3) // egress interface
		b = binary.BigEndian.AppendUint16(b, uint16(1024+f%60000))
		b = binary.BigEndian.AppendUint16(b, ports[f%uint64(len(ports))])
		proto, flags := byte(6), byte(0x1b)
		if f%3 == 2 {
			proto, flags = 17, 0
		}
		b = append(b, flags, proto, 0, 4)
	}
	for len(b)%4 != 0 { // sets are padded to 32 bits
		b = append(b, 0)
	}
	binary.BigEndian.PutUint16(b[0:], templateID)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// Flows is the number of flows built so far.
func (g *Generator) Flows() uint64 { return g.flows }

// DataDatagrams is the number of data datagrams built so far.
func (g *Generator) DataDatagrams() int { return g.data }
