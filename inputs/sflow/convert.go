package sflow

import (
	"net"
	"net/netip"
	"strconv"

	gfsflow "github.com/netsampler/goflow2/v2/decoders/sflow"

	"github.com/shipper-project/shipper/inputs/internal/flow"
	communityid "github.com/shipper-project/shipper/processors/community_id"
	"github.com/shipper-project/shipper/shipper/event"
)

// flowEvent builds a flow sample's document. One sample stands for
// sampling_rate packets: network.packets is the rate and network.bytes the
// frame length times the rate (estimates, documented in fields.yml).
func (d *Decoder) flowEvent(h hdr, sh gfsflow.SampleHeader, kind string, rate, pool, drops, in, out uint32, recs []gfsflow.FlowRecord) *event.Event {
	ev := d.base(h, "sflow_flow", "sflow.flow", sh, kind, 48)
	f := &ev.Fields
	add := func(k string, v any) { *f = append(*f, event.Field{Key: k, Value: v}) }
	add("sflow.sample.sampling_rate", uint64(rate))
	add("sflow.sample.sample_pool", uint64(pool))
	add("sflow.sample.drops", uint64(drops))
	add("sflow.sample.input_interface", uint64(in))
	add("sflow.sample.output_interface", uint64(out))

	var p packet
	var length uint64
	var hasLength, hasPacket bool
	for _, r := range recs {
		switch r := r.Data.(type) {
		case gfsflow.SampledHeader:
			add("sflow.sample.frame_length", uint64(r.FrameLength))
			add("sflow.sample.header_protocol", uint64(r.Protocol))
			add("sflow.sample.stripped", uint64(r.Stripped))
			hd := r.HeaderData // the rest of the record: the header and its padding
			if int(r.OriginalLength) < len(hd) {
				hd = hd[:r.OriginalLength]
			}
			add("sflow.sample.header_length", uint64(len(hd)))
			p, hasPacket = parseHeader(r.Protocol, hd), true
			length, hasLength = uint64(r.FrameLength), true
		case gfsflow.SampledIPv4:
			if !hasPacket {
				p = fromSampledIP(r.SampledIPBase, false)
				p.tos = uint8(r.Tos)
				hasPacket = true
			}
			if !hasLength {
				length, hasLength = uint64(r.Length), true
			}
		case gfsflow.SampledIPv6:
			if !hasPacket {
				p = fromSampledIP(r.SampledIPBase, true)
				p.tos = uint8(r.Priority)
				hasPacket = true
			}
			if !hasLength {
				length, hasLength = uint64(r.Length), true
			}
		case gfsflow.SampledEthernet:
			if !hasPacket {
				p.srcMAC = net.HardwareAddr(r.SrcMac).String()
				p.dstMAC = net.HardwareAddr(r.DstMac).String()
			}
			if !hasLength {
				length, hasLength = uint64(r.Length), true
			}
		case gfsflow.ExtendedSwitch:
			if !p.hasVLAN && r.SrcVlan != 0 {
				p.vlan, p.hasVLAN = uint16(r.SrcVlan), true
			}
		}
	}
	if hasLength {
		add("network.bytes", length*uint64(rate))
	}
	add("network.packets", uint64(rate))
	d.packetFields(f, p)
	return ev
}

func fromSampledIP(b gfsflow.SampledIPBase, v6 bool) packet {
	var p packet
	p.src, _ = netip.AddrFromSlice(b.SrcIP)
	p.dst, _ = netip.AddrFromSlice(b.DstIP)
	p.src, p.dst = p.src.Unmap(), p.dst.Unmap()
	p.ipv6 = v6
	p.proto, p.hasProto = uint8(b.Protocol), true
	switch p.proto {
	case 6, 17, 132:
		p.sport, p.dport, p.hasPorts = uint16(b.SrcPort), uint16(b.DstPort), true
		if p.proto == 6 {
			p.tcpFlags, p.hasTCP = uint8(b.TcpFlags), true
		}
	}
	return p
}

// packetFields writes the decoded header's ECS fields.
func (d *Decoder) packetFields(f *event.Fields, p packet) {
	add := func(k string, v any) { *f = append(*f, event.Field{Key: k, Value: v}) }
	if p.srcMAC != "" {
		add("source.mac", p.srcMAC)
		add("destination.mac", p.dstMAC)
	}
	if p.hasVLAN {
		add("network.vlan.id", strconv.Itoa(int(p.vlan)))
	}
	if !p.src.IsValid() {
		return
	}
	if p.ipv6 {
		add("network.type", "ipv6")
	} else {
		add("network.type", "ipv4")
	}
	add("source.ip", p.src.String())
	add("destination.ip", p.dst.String())
	add("source.locality", d.cfg.networks.Locality(p.src))
	add("destination.locality", d.cfg.networks.Locality(p.dst))
	loc := "external"
	if d.cfg.networks.Internal(p.src) && d.cfg.networks.Internal(p.dst) {
		loc = "internal"
	}
	add("flow.locality", loc)
	a, b := p.src.String(), p.dst.String()
	if a == b {
		add("related.ip", []string{a})
	} else {
		if b < a {
			a, b = b, a
		}
		add("related.ip", []string{a, b})
	}
	add("sflow.ip.tos", uint64(p.tos))
	add("sflow.ip.ttl", uint64(p.ttl))
	if !p.hasProto {
		return
	}
	add("network.transport", flow.Transport(p.proto))
	add("network.iana_number", flow.IANANumbers[p.proto])
	var sp, dp uint16
	switch {
	case p.hasPorts:
		add("source.port", uint64(p.sport))
		add("destination.port", uint64(p.dport))
		sp, dp = p.sport, p.dport
	case p.hasICMP:
		add("sflow.icmp.type", uint64(p.icmpType))
		add("sflow.icmp.code", uint64(p.icmpCode))
		sp, dp = uint16(p.icmpType), uint16(p.icmpCode)
	}
	if p.hasTCP {
		add("sflow.tcp.flags", uint64(p.tcpFlags))
	}
	if id := communityid.Hash(0, p.proto, p.src, p.dst, sp, dp); id != "" {
		add("network.community_id", id)
	}
}

// counterEvent builds an interface counter sample's document (cumulative
// counters, like the snmp input's system.network.*).
func (d *Decoder) counterEvent(h hdr, sh gfsflow.SampleHeader, kind string, c gfsflow.IfCounters) *event.Event {
	ev := d.base(h, "sflow_counters", "sflow.counters", sh, kind, 40)
	f := &ev.Fields
	add := func(k string, v any) { *f = append(*f, event.Field{Key: k, Value: v}) }
	status := func(up bool) string {
		if up {
			return "up"
		}
		return "down"
	}
	dir := [...]string{"unknown", "full-duplex", "half-duplex", "in", "out"}
	direction := "unknown"
	if int(c.IfDirection) < len(dir) {
		direction = dir[c.IfDirection]
	}
	add("system.network.name", "ifIndex "+strconv.FormatUint(uint64(c.IfIndex), 10))
	add("system.network.in.bytes", c.IfInOctets)
	add("system.network.out.bytes", c.IfOutOctets)
	add("system.network.in.packets", uint64(c.IfInUcastPkts)+uint64(c.IfInMulticastPkts)+uint64(c.IfInBroadcastPkts))
	add("system.network.out.packets", uint64(c.IfOutUcastPkts)+uint64(c.IfOutMulticastPkts)+uint64(c.IfOutBroadcastPkts))
	add("system.network.in.errors", uint64(c.IfInErrors))
	add("system.network.out.errors", uint64(c.IfOutErrors))
	add("system.network.in.dropped", uint64(c.IfInDiscards))
	add("system.network.out.dropped", uint64(c.IfOutDiscards))
	add("sflow.interface.index", uint64(c.IfIndex))
	add("sflow.interface.type", uint64(c.IfType))
	add("sflow.interface.speed_bps", c.IfSpeed)
	add("sflow.interface.direction", direction)
	add("sflow.interface.admin_status", status(c.IfStatus&1 != 0))
	add("sflow.interface.oper_status", status(c.IfStatus&2 != 0))
	add("sflow.interface.promiscuous", c.IfPromiscuousMode == 1)
	add("sflow.interface.in.unknown_protos", uint64(c.IfInUnknownProtos))
	add("sflow.interface.in.multicast_packets", uint64(c.IfInMulticastPkts))
	add("sflow.interface.in.broadcast_packets", uint64(c.IfInBroadcastPkts))
	add("sflow.interface.out.multicast_packets", uint64(c.IfOutMulticastPkts))
	add("sflow.interface.out.broadcast_packets", uint64(c.IfOutBroadcastPkts))
	return ev
}
