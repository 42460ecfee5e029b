package netflow

import (
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gfnetflow "github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"

	"github.com/shipper-project/shipper/inputs/internal/flow"
	communityid "github.com/shipper-project/shipper/processors/community_id"
	"github.com/shipper-project/shipper/shipper/event"
)

// penReverse is the enterprise number of RFC 5103's reverse elements: the
// IANA element of the same id, for the reverse direction of a biflow.
const penReverse = 29305

// converter turns decoded records into Filebeat-shaped documents.
type converter struct {
	custom   map[customKey]element
	networks flow.Networks
	now      func() time.Time // event.created; time.Now when nil
}

// ecs collects, while a record's elements are written under netflow.*, the
// values the ECS fields are derived from.
type ecs struct {
	src, dst                   netip.Addr // unmapped, for the documents
	srcID, dstID               netip.Addr // as the record carried them, for flow.id
	srcV4, dstV4               bool       // from an IPv4 element: preferred over IPv6 (Filebeat)
	srcText, dstText           any        // src, dst as text, boxed (the element's value): reused for source.ip, destination.ip
	sport, dport               uint16
	hasSport, hasDport         bool
	proto                      uint8
	hasProto                   bool
	icmpType, icmpCode         uint16
	hasICMP                    bool
	srcMAC, dstMAC             string
	bytes, pkts, rbytes, rpkts uint64
	// which of the alternatives set bytes/pkts: lower is preferred
	bytesPrio, pktsPrio, rbytesPrio, rpktsPrio int
	startUp, endUp                             uint64
	hasStartUp, hasEndUp                       bool
	start, end, sysInit                        time.Time
	durationMs                                 uint64
	hasDuration                                bool
	direction, biflow                          uint64
	hasDirection, hasBiflow                    bool
	sampling                                   uint64
}

const noValue = 99 // priority of "not seen"

func newECS() ecs {
	return ecs{bytesPrio: noValue, pktsPrio: noValue, rbytesPrio: noValue, rpktsPrio: noValue}
}

func (c *converter) created() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now().UTC()
}

// Values every document of a datagram shares, boxed once (converting a
// string, time or slice to `any` allocates).
var (
	categoryNetflow any = []string{"network_traffic", "network"}
	typeFlow        any = "netflow_flow"
	typeOptions     any = "netflow_options"
	boxInternal     any = "internal"
	boxExternal     any = "external"
	boxInbound      any = "inbound"
	boxOutbound     any = "outbound"
	boxUnknown      any = "unknown"
)

// datagramValues are a datagram's header fields, boxed once for all its
// records.
type datagramValues struct {
	created, observer, address, version, timestamp, sourceID, uptime any
}

// values boxes h's fields for its records; event.created is when the
// datagram is decoded.
func (c *converter) values(h header) *datagramValues {
	return &datagramValues{
		created:   c.created(),
		observer:  h.from.Addr().Unmap().String(),
		address:   h.from.String(),
		version:   int(h.version),
		timestamp: h.exportTime,
		sourceID:  uint64(h.domain),
		uptime:    uint64(h.uptime),
	}
}

// base starts a document with the fields every netflow document has.
func (c *converter) base(h header, typ any, n int) *event.Event {
	v := h.values
	if v == nil {
		v = c.values(h)
	}
	ev := event.New(h.exportTime, n)
	f := &ev.Fields
	*f = append(*f,
		event.Field{Key: "event.kind", Value: "event"},
		event.Field{Key: "event.category", Value: categoryNetflow},
		event.Field{Key: "event.action", Value: typ},
		event.Field{Key: "event.created", Value: v.created},
		event.Field{Key: "event.module", Value: "netflow"},
		event.Field{Key: "event.dataset", Value: "netflow.log"},
		event.Field{Key: "observer.ip", Value: v.observer},
		event.Field{Key: "netflow.type", Value: typ},
		event.Field{Key: "netflow.exporter.address", Value: v.address},
		event.Field{Key: "netflow.exporter.version", Value: v.version},
		event.Field{Key: "netflow.exporter.timestamp", Value: v.timestamp},
	)
	if h.version != 5 {
		*f = append(*f, event.Field{Key: "netflow.exporter.source_id", Value: v.sourceID})
	}
	if h.hasUptime {
		*f = append(*f, event.Field{Key: "netflow.exporter.uptime_millis", Value: v.uptime})
	}
	return ev
}

// flow converts a v9/IPFIX data record.
func (c *converter) flow(h header, dom *domain, values []gfnetflow.DataField) *event.Event {
	ev := c.base(h, typeFlow, 24+len(values)+24)
	x := newECS()
	for i := range values {
		c.element(&ev.Fields, "netflow.", &values[i], &x)
	}
	if dom != nil && dom.samplingInterval > 0 && !ev.Fields.HasKey("netflow.exporter.sampling_interval") {
		ev.Fields = append(ev.Fields, event.Field{Key: "netflow.exporter.sampling_interval", Value: dom.samplingInterval})
	}
	if x.sysInit.IsZero() && dom != nil {
		x.sysInit = dom.sysInit
	}
	c.finish(ev, h, &x)
	return ev
}

// v5 converts a NetFlow v5 record to the IPFIX element names Filebeat uses.
func (c *converter) v5(h header, r *netflowlegacy.RecordsNetFlowV5) *event.Event {
	ev := c.base(h, typeFlow, 48)
	f := &ev.Fields
	*f = append(*f,
		event.Field{Key: "netflow.exporter.engine_type", Value: uint64(h.engineType)},
		event.Field{Key: "netflow.exporter.engine_id", Value: uint64(h.engineID)},
		event.Field{Key: "netflow.exporter.sampling_interval", Value: uint64(h.sampling & 0x3fff)},
	)
	x := newECS()
	x.src, x.dst = v4(uint32(r.SrcAddr)), v4(uint32(r.DstAddr))
	x.srcText, x.dstText = x.src.String(), x.dst.String()
	x.sport, x.dport, x.hasSport, x.hasDport = r.SrcPort, r.DstPort, true, true
	x.proto, x.hasProto = r.Proto, true
	x.bytes, x.pkts, x.bytesPrio, x.pktsPrio = uint64(r.DOctets), uint64(r.DPkts), 0, 0
	x.startUp, x.endUp, x.hasStartUp, x.hasEndUp = uint64(r.First), uint64(r.Last), true, true
	*f = append(*f,
		event.Field{Key: "netflow.source_ipv4_address", Value: x.srcText},
		event.Field{Key: "netflow.destination_ipv4_address", Value: x.dstText},
		event.Field{Key: "netflow.ip_next_hop_ipv4_address", Value: v4(uint32(r.NextHop)).String()},
		event.Field{Key: "netflow.ingress_interface", Value: uint64(r.Input)},
		event.Field{Key: "netflow.egress_interface", Value: uint64(r.Output)},
		event.Field{Key: "netflow.packet_delta_count", Value: x.pkts},
		event.Field{Key: "netflow.octet_delta_count", Value: x.bytes},
		event.Field{Key: "netflow.flow_start_sys_up_time", Value: x.startUp},
		event.Field{Key: "netflow.flow_end_sys_up_time", Value: x.endUp},
		event.Field{Key: "netflow.source_transport_port", Value: uint64(r.SrcPort)},
		event.Field{Key: "netflow.destination_transport_port", Value: uint64(r.DstPort)},
		event.Field{Key: "netflow.tcp_control_bits", Value: uint64(r.TCPFlags)},
		event.Field{Key: "netflow.protocol_identifier", Value: uint64(r.Proto)},
		event.Field{Key: "netflow.ip_class_of_service", Value: uint64(r.Tos)},
		event.Field{Key: "netflow.bgp_source_as_number", Value: uint64(r.SrcAS)},
		event.Field{Key: "netflow.bgp_destination_as_number", Value: uint64(r.DstAS)},
		event.Field{Key: "netflow.source_ipv4_prefix_length", Value: uint64(r.SrcMask)},
		event.Field{Key: "netflow.destination_ipv4_prefix_length", Value: uint64(r.DstMask)},
	)
	c.finish(ev, h, &x)
	return ev
}

// options converts an options record: scope fields under netflow.scope.*,
// options under netflow.options.*. The exporter's sampling interval and
// boot time are remembered for its flow records.
func (c *converter) options(h header, dom *domain, r *gfnetflow.OptionsDataRecord) *event.Event {
	ev := c.base(h, typeOptions, 16+len(r.ScopesValues)+len(r.OptionsValues))
	x := newECS()
	for i := range r.ScopesValues {
		v := &r.ScopesValues[i]
		if h.version == 9 {
			// v9 scope types are their own small registry.
			ev.Fields = append(ev.Fields, event.Field{Key: "netflow.scope." + v9Scope(v.Type), Value: unsignedOrHex(bytesOf(v))})
			continue
		}
		c.element(&ev.Fields, "netflow.scope.", v, &x)
	}
	for i := range r.OptionsValues {
		c.element(&ev.Fields, "netflow.options.", &r.OptionsValues[i], &x)
	}
	if dom != nil {
		if x.sampling > 0 {
			dom.samplingInterval = x.sampling
		}
		if !x.sysInit.IsZero() {
			dom.sysInit = x.sysInit
		}
	}
	return ev
}

func v9Scope(t uint16) string {
	switch t {
	case 1:
		return "system"
	case 2:
		return "interface"
	case 3:
		return "line_card"
	case 4:
		return "netflow_cache"
	case 5:
		return "template"
	}
	return "type_" + strconv.Itoa(int(t))
}

func bytesOf(v *gfnetflow.DataField) []byte {
	b, _ := v.Value.([]byte)
	return b
}

func v4(a uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], a)
	return netip.AddrFrom4(b)
}

// element writes one information element under prefix and notes the values
// the ECS fields come from.
func (c *converter) element(f *event.Fields, prefix string, v *gfnetflow.DataField, x *ecs) {
	b := bytesOf(v)
	id := v.Type &^ 0x8000
	var pen uint32
	if v.PenProvided {
		pen = v.Pen
	}
	el, ok := c.custom[customKey{pen, id}]
	if !ok {
		switch pen {
		case 0:
			el, ok = ianaElement(id)
		case penReverse:
			if r, known := ianaElement(id); known {
				el, ok = element{name: "reverse" + strings.ToUpper(r.name[:1]) + r.name[1:], snake: "reverse_" + r.snake, kind: r.kind}, true
			}
		}
	}
	if !ok {
		*f = append(*f, event.Field{Key: prefix + "enterprise." + strconv.FormatUint(uint64(pen), 10) + "." + strconv.Itoa(int(id)), Value: hex.EncodeToString(b)})
		return
	}
	val := decodeValue(el.kind, b)
	key := el.key
	if prefix != "netflow." || key == "" {
		key = prefix + el.snake
	}
	*f = append(*f, event.Field{Key: key, Value: val})
	if pen == penReverse {
		switch id {
		case 1, 85:
			x.setCount(&x.rbytes, &x.rbytesPrio, b, id == 85)
		case 2, 86:
			x.setCount(&x.rpkts, &x.rpktsPrio, b, id == 86)
		}
		return
	}
	if pen != 0 {
		return
	}
	switch id {
	case 1: // octetDeltaCount
		x.setCount(&x.bytes, &x.bytesPrio, b, false)
	case 85: // octetTotalCount
		x.setCount(&x.bytes, &x.bytesPrio, b, true)
	case 231: // initiatorOctets
		x.setCountPrio(&x.bytes, &x.bytesPrio, b, 2)
	case 232: // responderOctets
		x.setCountPrio(&x.rbytes, &x.rbytesPrio, b, 2)
	case 2:
		x.setCount(&x.pkts, &x.pktsPrio, b, false)
	case 86:
		x.setCount(&x.pkts, &x.pktsPrio, b, true)
	case 298:
		x.setCountPrio(&x.pkts, &x.pktsPrio, b, 2)
	case 299:
		x.setCountPrio(&x.rpkts, &x.rpktsPrio, b, 2)
	case 8, 27:
		if a, ok := recordAddr(el.kind, b); ok && (id == 8 || !x.srcV4) {
			x.src, x.srcID, x.srcV4, x.srcText = a.Unmap(), a, id == 8, val
		}
	case 12, 28:
		if a, ok := recordAddr(el.kind, b); ok && (id == 12 || !x.dstV4) {
			x.dst, x.dstID, x.dstV4, x.dstText = a.Unmap(), a, id == 12, val
		}
	case 7:
		x.sport, x.hasSport = uint16(uintOf(b)), len(b) > 0
	case 11:
		x.dport, x.hasDport = uint16(uintOf(b)), len(b) > 0
	case 4:
		x.proto, x.hasProto = uint8(uintOf(b)), len(b) > 0
	case 32, 139: // icmpTypeCodeIPv4, icmpTypeCodeIPv6
		tc := uintOf(b)
		x.icmpType, x.icmpCode, x.hasICMP = uint16(tc>>8), uint16(tc&0xff), len(b) > 0
	case 56:
		x.srcMAC, _ = val.(string)
	case 80:
		x.dstMAC, _ = val.(string)
	case 61:
		x.direction, x.hasDirection = uintOf(b), len(b) > 0
	case 239:
		x.biflow, x.hasBiflow = uintOf(b), len(b) > 0
	case 22:
		x.startUp, x.hasStartUp = uintOf(b), len(b) > 0
	case 21:
		x.endUp, x.hasEndUp = uintOf(b), len(b) > 0
	case 161:
		x.durationMs, x.hasDuration = uintOf(b), len(b) > 0
	case 150, 152, 154, 156:
		x.start, _ = val.(time.Time)
	case 151, 153, 155, 157:
		x.end, _ = val.(time.Time)
	case 160:
		x.sysInit, _ = val.(time.Time)
	case 34, 305: // samplingInterval, samplingPacketInterval
		x.sampling = uintOf(b)
	case 50: // samplerRandomInterval
		x.sampling = uintOf(b)
	}
}

// recordAddr is an address element's value as the record carries it (an
// IPv4-mapped IPv6 address stays IPv6), when its length fits its type.
func recordAddr(k kind, b []byte) (netip.Addr, bool) {
	if (k == kindIPv4 && len(b) == 4) || (k == kindIPv6 && len(b) == 16) {
		return netip.AddrFromSlice(b)
	}
	return netip.Addr{}, false
}

// setCount keeps delta counts over total counts (Filebeat's order).
func (x *ecs) setCount(dst *uint64, prio *int, b []byte, total bool) {
	p := 0
	if total {
		p = 1
	}
	x.setCountPrio(dst, prio, b, p)
}

func (x *ecs) setCountPrio(dst *uint64, prio *int, b []byte, p int) {
	if len(b) == 0 || len(b) > 8 || p >= *prio {
		return
	}
	*dst, *prio = uintOf(b), p
}

func uintOf(b []byte) uint64 {
	if len(b) > 8 {
		b = b[len(b)-8:]
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func unsignedOrHex(b []byte) any {
	if len(b) >= 1 && len(b) <= 8 {
		return uintOf(b)
	}
	return hex.EncodeToString(b)
}

// ntpEpoch is 1900-01-01, the origin of IPFIX's micro/nanosecond times.
var ntpEpoch = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

func ntpTime(b []byte) time.Time {
	v := uintOf(b)
	sec, frac := v>>32, v&0xffffffff
	return ntpEpoch.Add(time.Duration(sec) * time.Second).Add(time.Duration(frac * uint64(time.Second) >> 32))
}

// decodeValue turns an element's bytes into a document value. A value whose
// length does not fit its type is kept as hex.
func decodeValue(k kind, b []byte) any {
	switch k {
	case kindUnsigned:
		return unsignedOrHex(b)
	case kindIPv4:
		if len(b) == 4 {
			return netip.AddrFrom4([4]byte(b)).String()
		}
	case kindIPv6:
		if len(b) == 16 {
			return netip.AddrFrom16([16]byte(b)).Unmap().String()
		}
	case kindMAC:
		if len(b) == 6 {
			return net.HardwareAddr(b).String()
		}
	case kindString:
		s := strings.TrimRight(string(b), "\x00")
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		return s
	case kindDateSec:
		if len(b) == 4 {
			return time.Unix(int64(uintOf(b)), 0).UTC()
		}
	case kindDateMilli:
		if len(b) == 8 {
			return time.UnixMilli(int64(uintOf(b))).UTC()
		}
	case kindDateMicro, kindDateNano:
		if len(b) == 8 {
			return ntpTime(b)
		}
	}
	return hex.EncodeToString(b)
}

// finish adds the ECS fields: source, destination, network, flow, event
// times, related.ip, as Filebeat derives them.
func (c *converter) finish(ev *event.Event, h header, x *ecs) {
	f := &ev.Fields
	add := func(k string, v any) { *f = append(*f, event.Field{Key: k, Value: v}) }

	// Times: absolute flowStart*/flowEnd* first, else uptimes against the
	// exporter's uptime, else systemInitTimeMilliseconds + uptime.
	start, end := x.start, x.end
	if start.IsZero() && x.hasStartUp {
		start = c.uptimeTime(h, x, x.startUp)
	}
	if end.IsZero() && x.hasEndUp {
		end = c.uptimeTime(h, x, x.endUp)
	}
	if x.hasDuration {
		d := time.Duration(x.durationMs) * time.Millisecond
		if start.IsZero() && !end.IsZero() {
			start = end.Add(-d)
		} else if end.IsZero() && !start.IsZero() {
			end = start.Add(d)
		}
	}
	if !start.IsZero() {
		add("event.start", start)
	}
	if !end.IsZero() {
		add("event.end", end)
	}
	if !start.IsZero() && !end.IsZero() {
		add("event.duration", end.Sub(start).Nanoseconds())
	} else if x.hasDuration {
		add("event.duration", (time.Duration(x.durationMs) * time.Millisecond).Nanoseconds())
	}

	src, dst := x.src, x.dst
	srcBytes, srcPkts := x.bytesPrio != noValue, x.pktsPrio != noValue
	dstBytes, dstPkts := x.rbytesPrio != noValue, x.rpktsPrio != noValue
	// The addresses as text, boxed once: the element's own value when the
	// record carried one.
	srcText, dstText := x.srcText, x.dstText
	if srcText == nil && src.IsValid() {
		srcText = src.String()
	}
	if dstText == nil && dst.IsValid() {
		dstText = dst.String()
	}
	// A biflow whose reverse initiator is the "source" is flipped (Filebeat).
	swap := x.hasBiflow && x.biflow == 2
	type flowEnd struct {
		a           netip.Addr
		text        any
		port        uint16
		hasPort     bool
		mac         string
		bytes, pkts uint64
		hasB, hasP  bool
	}
	s := [2]flowEnd{
		{src, srcText, x.sport, x.hasSport, x.srcMAC, x.bytes, x.pkts, srcBytes, srcPkts},
		{dst, dstText, x.dport, x.hasDport, x.dstMAC, x.rbytes, x.rpkts, dstBytes, dstPkts},
	}
	if swap {
		s[0], s[1] = s[1], s[0]
	}
	for i, k := range &endKeys {
		e := &s[i]
		if e.a.IsValid() {
			add(k.ip, e.text)
			add(k.locality, c.locality(e.a))
		}
		if e.hasPort {
			add(k.port, uint64(e.port))
		}
		if e.mac != "" {
			add(k.mac, e.mac)
		}
		if e.hasB {
			add(k.bytes, e.bytes)
		}
		if e.hasP {
			add(k.packets, e.pkts)
		}
	}

	if x.hasProto {
		add("network.transport", transports[x.proto])
		add("network.iana_number", ianaNumbers[x.proto])
	}
	if srcBytes {
		add("network.bytes", x.bytes+x.rbytes)
	}
	if srcPkts {
		add("network.packets", x.pkts+x.rpkts)
	}
	dir := boxUnknown
	if x.hasDirection {
		switch x.direction {
		case 0:
			dir = boxInbound
		case 1:
			dir = boxOutbound
		}
	}
	add("network.direction", dir)
	if src.IsValid() {
		if src.Unmap().Is4() {
			add("network.type", "ipv4")
		} else {
			add("network.type", "ipv6")
		}
	}

	zero := netip.AddrFrom4([4]byte{})
	fs, fd := src, dst
	if !fs.IsValid() {
		fs = zero
	}
	if !fd.IsValid() {
		fd = zero
	}
	ids, idd := x.srcID, x.dstID
	if !ids.IsValid() {
		ids = fs
	}
	if !idd.IsValid() {
		idd = fd
	}
	add("flow.id", flow.FlowID(ids, idd, x.sport, x.dport, x.proto))
	loc := boxExternal
	if c.networks.Internal(fs) && c.networks.Internal(fd) {
		loc = boxInternal
	}
	add("flow.locality", loc)

	if src.IsValid() && dst.IsValid() && x.hasProto {
		sp, dp := x.sport, x.dport
		if x.proto == 1 || x.proto == 58 {
			switch {
			case x.hasICMP:
				sp, dp = x.icmpType, x.icmpCode
			default: // exporters put type<<8|code in the destination port
				sp, dp = x.dport>>8, x.dport&0xff
			}
		}
		if id := communityid.Hash(0, x.proto, src, dst, sp, dp); id != "" {
			add("network.community_id", id)
		}
	}
	switch {
	case src.IsValid() && dst.IsValid() && src != dst:
		a, b := srcText.(string), dstText.(string)
		if b < a {
			a, b = b, a
		}
		add("related.ip", []string{a, b})
	case src.IsValid():
		add("related.ip", []string{srcText.(string)})
	case dst.IsValid():
		add("related.ip", []string{dstText.(string)})
	}

}

// endKeys are the keys of a flow's two ends, spelled out: a concatenation
// per document costs an allocation.
var endKeys = [2]struct{ ip, locality, port, mac, bytes, packets string }{
	{"source.ip", "source.locality", "source.port", "source.mac", "source.bytes", "source.packets"},
	{"destination.ip", "destination.locality", "destination.port", "destination.mac", "destination.bytes", "destination.packets"},
}

// transports and ianaNumbers are network.transport and network.iana_number
// of every protocol number, boxed once.
var transports, ianaNumbers = func() (t, n [256]any) {
	for i := range t {
		t[i], n[i] = flow.Transport(uint8(i)), flow.IANANumbers[i]
	}
	return
}()

func (c *converter) locality(a netip.Addr) any {
	if c.networks.Internal(a) {
		return boxInternal
	}
	return boxExternal
}

// uptimeTime converts an uptime in milliseconds to a time: against the
// datagram's (export time, uptime) pair, or the exporter's boot time. An
// uptime after the header's is bogus (Filebeat drops it too).
func (c *converter) uptimeTime(h header, x *ecs, up uint64) time.Time {
	switch {
	case h.hasUptime && h.uptime != 0:
		if up > uint64(h.uptime) {
			return time.Time{}
		}
		return h.exportTime.Add(-time.Duration(uint64(h.uptime)-up) * time.Millisecond)
	case !x.sysInit.IsZero():
		return x.sysInit.Add(time.Duration(up) * time.Millisecond)
	}
	return time.Time{}
}
