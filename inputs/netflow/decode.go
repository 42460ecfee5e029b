package netflow

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	gfnetflow "github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"

	"github.com/shipper-project/shipper/inputs/internal/flow"
	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// header is what a record's conversion needs from its datagram.
type header struct {
	from       netip.AddrPort
	version    uint16
	exportTime time.Time
	uptime     uint32 // ms, v5 and v9
	hasUptime  bool
	domain     uint32 // v9 source id, IPFIX observation domain
	received   time.Time
	values     *datagramValues // the fields above, boxed once for the datagram's records
	// v5 only
	engineType, engineID uint8
	sampling             uint16
}

// counters of the decoder, under the input's metrics prefix.
type counters struct {
	invalid     *monitoring.Counter // datagrams that did not decode (fully)
	unsupported *monitoring.Counter // datagrams of a version not in protocols
	flows       *monitoring.Counter // flow records decoded
	options     *monitoring.Counter // options records decoded
	templates   *monitoring.Counter // template records received
	expired     *monitoring.Counter // templates found expired
	noTemplate  *monitoring.Counter // data sets dropped: their template never came
	pending     *monitoring.Counter // data sets waiting for their template (a level)
	seqLost     *monitoring.Counter // missing sequence numbers (v9: datagrams; IPFIX, v5: records)
	seqGaps     *monitoring.Counter // datagrams after a gap
	seqResets   *monitoring.Counter // exporter restarts seen (templates dropped)
	exporters   *monitoring.Counter // exporters known (a level)
	metrics     *monitoring.Registry
	prefix      string
	perExporter map[netip.AddrPort]*monitoring.Counter
}

func newCounters(m *monitoring.Registry, prefix string) *counters {
	if m == nil {
		m = monitoring.NewRegistry()
	}
	return &counters{
		invalid:     m.Counter(prefix + ".datagrams_invalid"),
		unsupported: m.Counter(prefix + ".datagrams_unsupported_version"),
		flows:       m.Counter(prefix + ".flows"),
		options:     m.Counter(prefix + ".options_records"),
		templates:   m.Counter(prefix + ".templates.received"),
		expired:     m.Counter(prefix + ".templates.expired"),
		noTemplate:  m.Counter(prefix + ".flowsets_dropped.no_template"),
		pending:     m.Counter(prefix + ".flowsets_pending"),
		seqLost:     m.Counter(prefix + ".sequence.lost"),
		seqGaps:     m.Counter(prefix + ".sequence.gaps"),
		seqResets:   m.Counter(prefix + ".sequence.resets"),
		exporters:   m.Counter(prefix + ".exporters"),
		metrics:     m,
		prefix:      prefix,
		perExporter: map[netip.AddrPort]*monitoring.Counter{},
	}
}

// lostFor is the per-exporter sequence.lost counter
// (<prefix>.exporter.<ip>_<port>.sequence_lost).
func (c *counters) lostFor(a netip.AddrPort) *monitoring.Counter {
	if k, ok := c.perExporter[a]; ok {
		return k
	}
	name := strings.NewReplacer(".", "_", ":", "_", "[", "", "]", "").Replace(a.String())
	k := c.metrics.Counter(c.prefix + ".exporter." + name + ".sequence_lost")
	c.perExporter[a] = k
	return k
}

// Decoder turns export datagrams into documents. It is used by one
// goroutine (the listener's handler).
type Decoder struct {
	cfg       Config
	c         *counters
	log       *slog.Logger
	throttle  sysstat.Throttle
	exporters map[netip.AddrPort]*exporter
	lastSweep time.Time
	conv      converter
	stats     *flow.Stats  // the exporter_stats documents' counts
	cur       *flow.Counts // the counts of the datagram's exporter

	nfv9  gfnetflow.NFv9Packet
	ipfix gfnetflow.IPFIXPacket
	v5    netflowlegacy.PacketNetFlowV5
}

// NewDecoder builds a decoder for a validated config.
func NewDecoder(cfg Config, m *monitoring.Registry, prefix string, log *slog.Logger) *Decoder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Decoder{
		cfg: cfg, c: newCounters(m, prefix), log: log,
		throttle:  sysstat.Throttle{Interval: 10 * time.Second},
		exporters: map[netip.AddrPort]*exporter{},
		conv:      converter{custom: cfg.custom, networks: cfg.networks},
		stats:     flow.NewStats(time.Now()),
	}
}

func (d *Decoder) warn(msg string, args ...any) {
	d.throttle.Do(func(suppressed int) {
		d.log.Warn(msg, append(args, "suppressed", suppressed)...)
	})
}

// Decode decodes one datagram and calls emit for each document, in order.
// A malformed datagram is counted and logged (rate-limited); the records
// decoded before the fault are still emitted. The error is emit's.
func (d *Decoder) Decode(dg flow.Datagram, emit func(*event.Event) error) error {
	d.sweep(dg.Received)
	d.cur = d.stats.For(dg.From)
	if len(dg.Data) < 2 {
		d.invalid(dg, errors.New("shorter than a header"))
		return nil
	}
	version := binary.BigEndian.Uint16(dg.Data)
	if !d.cfg.protocols[version] {
		d.c.unsupported.Inc()
		d.warn("datagram of a version not in protocols dropped", "from", dg.From, "version", version)
		return nil
	}
	switch version {
	case 5:
		return d.decodeV5(dg, emit)
	case 9, 10:
		return d.decodeTemplated(dg, version, emit)
	}
	return nil
}

func (d *Decoder) invalid(dg flow.Datagram, err error) {
	d.c.invalid.Inc()
	d.warn("malformed flow datagram", "from", dg.From, "bytes", len(dg.Data), "error", err)
}

func (d *Decoder) exporter(a netip.AddrPort) *exporter {
	e := d.exporters[a]
	if e == nil {
		e = newExporter(a, d.cfg.ExpirationTimeout)
		d.exporters[a] = e
		d.c.exporters.Set(int64(len(d.exporters)))
	}
	return e
}

// sweep forgets exporters silent for expiration_timeout (at most once a
// minute), with their pending data sets (counted).
func (d *Decoder) sweep(now time.Time) {
	if d.cfg.ExpirationTimeout <= 0 || now.Sub(d.lastSweep) < time.Minute {
		return
	}
	d.lastSweep = now
	for a, e := range d.exporters {
		if now.Sub(e.lastSeen) > d.cfg.ExpirationTimeout {
			d.c.noTemplate.Add(int64(len(e.pending)))
			d.c.pending.Add(-int64(len(e.pending)))
			delete(d.exporters, a)
		}
	}
	d.c.exporters.Set(int64(len(d.exporters)))
}

// sequence checks a datagram's sequence number against the expected one.
// It returns false when the exporter restarted (its templates are dropped
// when detect_sequence_reset is on).
func (d *Decoder) sequence(e *exporter, dom *domain, h header, seq uint32, next uint32) {
	restarted := false
	if dom.haveSeq {
		diff := int32(seq - dom.nextSeq)
		late := diff < 0 && diff >= -maxSequenceBack &&
			(!h.hasUptime || dom.lastUptime-h.uptime <= maxLateUptime)
		switch {
		case late:
			// Sent before the datagram that came before it (UDP
			// reorders): its uptime is a little behind too, which is no
			// restart, and the expected number stays where it is (moved
			// back, the next datagram would count as a gap again).
			return
		case h.hasUptime && h.uptime < dom.lastUptime && h.version == 9 && !uptimeWrapped(dom, h, diff):
			restarted = true
		case diff < -maxSequenceBack:
			restarted = true
		case diff > 0 && h.version == 9: // v5 and IPFIX: recordGap
			d.cur.LostDatagrams += int64(diff)
			d.lost(h, int64(diff))
		}
	}
	if restarted {
		dom.records = recordSeq{}
		d.c.seqResets.Inc()
		d.log.Info("flow exporter restarted (sequence number reset)", "exporter", h.from, "domain", h.domain, "version", h.version)
		if d.cfg.DetectSequenceReset && h.version != 5 {
			e.dropTemplates(h.version, h.domain)
		}
	}
	dom.haveSeq = true
	dom.nextSeq = next
	dom.lastUptime = h.uptime
}

// uptimeWrapped reports whether a v9 header's uptime, below the last one,
// wrapped: it is 32 bits of milliseconds, which wrap every 49.7 days. The
// sequence number then follows (diff: its distance from the expected one)
// and the uptime is a little ahead modulo 2^32; a restarted exporter
// starts its sequence number again too.
func uptimeWrapped(dom *domain, h header, diff int32) bool {
	return diff >= 0 && diff < maxSequenceBack && int32(h.uptime-dom.lastUptime) >= 0
}

func (d *Decoder) lost(h header, n int64) {
	d.c.seqLost.Add(n)
	d.c.seqGaps.Inc()
	d.c.lostFor(h.from).Add(n)
	d.warn("flow export datagrams lost (sequence gap)", "exporter", h.from, "domain", h.domain, "version", h.version, "missing", n)
}

// recordGap counts the flow records missing before a v5 or IPFIX message
// (numbered by records; see recordSeq). data and all are the message's data
// records without and with options records; countable is false when some
// of its sets could not be read (no template yet).
func (d *Decoder) recordGap(dom *domain, h header, seq, data, all uint32, countable bool) {
	if n := dom.records.next(seq, data, all, countable); n > 0 {
		d.cur.LostFlows += n
		d.lost(h, n)
	}
}

// maxSequenceBack: a sequence number this far behind the expected one is an
// exporter restart, not a reordered datagram.
const maxSequenceBack = 1000

// maxLateUptime: a datagram whose uptime is at most this far (ms) behind
// the last one, with a sequence number less than maxSequenceBack behind,
// came late; further behind, the exporter restarted.
const maxLateUptime = 60_000

func (d *Decoder) decodeV5(dg flow.Datagram, emit func(*event.Event) error) error {
	// goflow2 makes Count records whatever the datagram holds (zero
	// records past its end): check the length first. v5 carries 1 to 30.
	if len(dg.Data) < 24 {
		d.invalid(dg, fmt.Errorf("NetFlow v5 header: %d bytes, want 24", len(dg.Data)))
		return nil
	}
	if n := int(binary.BigEndian.Uint16(dg.Data[2:])); n > 30 || len(dg.Data) < 24+48*n {
		d.invalid(dg, fmt.Errorf("NetFlow v5 header counts %d records, the datagram holds %d bytes of records", n, len(dg.Data)-24))
		return nil
	}
	p := &d.v5
	*p = netflowlegacy.PacketNetFlowV5{}
	if err := netflowlegacy.DecodeMessageVersion(bytes.NewBuffer(dg.Data), p); err != nil {
		d.invalid(dg, err)
		return nil
	}
	e := d.exporter(dg.From)
	e.lastSeen = dg.Received
	h := header{
		from: dg.From, version: 5, received: dg.Received,
		exportTime: time.Unix(int64(p.UnixSecs), int64(p.UnixNSecs)).UTC(),
		uptime:     p.SysUptime, hasUptime: true,
		engineType: p.EngineType, engineID: p.EngineId, sampling: p.SamplingInterval,
	}
	h.values = d.conv.values(h)
	dom := e.domain(5, uint32(p.EngineType)<<8|uint32(p.EngineId))
	d.sequence(e, dom, h, p.FlowSequence, p.FlowSequence+uint32(len(p.Records)))
	d.recordGap(dom, h, p.FlowSequence, uint32(len(p.Records)), uint32(len(p.Records)), true)
	for i := range p.Records {
		ev := d.conv.v5(h, &p.Records[i])
		d.c.flows.Inc()
		d.cur.Flows++
		if err := emit(ev); err != nil {
			return err
		}
	}
	return nil
}

func (d *Decoder) decodeTemplated(dg flow.Datagram, version uint16, emit func(*event.Event) error) error {
	e := d.exporter(dg.From)
	e.lastSeen = dg.Received
	e.now, e.added, e.expired = dg.Received, e.added[:0], 0
	// The sequence is checked before decoding: a restarted exporter's
	// templates must be gone before its new sets are read.
	h := header{from: dg.From, version: version, received: dg.Received}
	var seq uint32
	var dom *domain
	if version == 9 && len(dg.Data) >= 20 {
		h.uptime, h.hasUptime = binary.BigEndian.Uint32(dg.Data[4:]), true
		seq, h.domain = binary.BigEndian.Uint32(dg.Data[12:]), binary.BigEndian.Uint32(dg.Data[16:])
		dom = e.domain(version, h.domain)
		d.sequence(e, dom, h, seq, seq+1)
	} else if version == 10 && len(dg.Data) >= 16 {
		seq, h.domain = binary.BigEndian.Uint32(dg.Data[8:]), binary.BigEndian.Uint32(dg.Data[12:])
		dom = e.domain(version, h.domain)
		d.sequence(e, dom, h, seq, seq)
	}
	d.nfv9 = gfnetflow.NFv9Packet{}
	d.ipfix = gfnetflow.IPFIXPacket{}
	var err error
	if version == 9 {
		err = decodeV9(dg.Data, e, &d.nfv9)
	} else {
		err = gfnetflow.DecodeMessageVersion(bytes.NewBuffer(dg.Data), e, &d.nfv9, &d.ipfix)
	}
	if err != nil && !errors.Is(err, gfnetflow.ErrorTemplateNotFound) {
		d.invalid(dg, err)
	}
	d.c.expired.Add(int64(e.expired))
	var sets []any
	if version == 9 {
		p := &d.nfv9
		h.exportTime = time.Unix(int64(p.UnixSeconds), 0).UTC()
		sets = p.FlowSets
	} else {
		p := &d.ipfix
		h.exportTime = time.Unix(int64(p.ExportTime), 0).UTC()
		sets = p.FlowSets
	}
	if dom == nil {
		return nil // not even the header decoded
	}
	h.values = d.conv.values(h)

	// IPFIX counts data records: the next message's sequence number is this
	// one's plus its records. Records in sets without a template cannot be
	// counted: the next check is skipped then.
	if version == 10 {
		data, options, countable := 0, 0, true
		for _, s := range sets {
			switch s := s.(type) {
			case gfnetflow.DataFlowSet:
				data += len(s.Records)
			case gfnetflow.OptionsDataFlowSet:
				options += len(s.Records)
			case gfnetflow.RawFlowSet:
				countable = false
			}
		}
		dom.nextSeq = seq + uint32(data+options)
		dom.haveSeq = countable
		d.recordGap(dom, h, seq, uint32(data), uint32(data+options), countable)
	}

	for _, s := range sets {
		switch s := s.(type) {
		case gfnetflow.TemplateFlowSet:
			d.c.templates.Add(int64(len(s.Records)))
		case gfnetflow.NFv9OptionsTemplateFlowSet:
			d.c.templates.Add(int64(len(s.Records)))
		case gfnetflow.IPFIXOptionsTemplateFlowSet:
			d.c.templates.Add(int64(len(s.Records)))
		case gfnetflow.DataFlowSet:
			if err := d.emitData(h, dom, s.Records, emit); err != nil {
				return err
			}
		case gfnetflow.OptionsDataFlowSet:
			if err := d.emitOptions(h, dom, s.Records, emit); err != nil {
				return err
			}
		case gfnetflow.RawFlowSet:
			d.hold(e, h, s)
		}
	}
	if len(e.added) > 0 && len(e.pending) > 0 {
		return d.retryPending(e, emit)
	}
	return nil
}

// hold keeps a data set whose template is unknown, until it arrives; the
// oldest is dropped (counted) when pending_records are held.
func (d *Decoder) hold(e *exporter, h header, s gfnetflow.RawFlowSet) {
	if d.cfg.PendingRecords == 0 {
		d.c.noTemplate.Inc()
		d.warn("flow data set without a template dropped", "exporter", h.from, "domain", h.domain, "template", s.Id)
		return
	}
	if len(e.pending) >= d.cfg.PendingRecords {
		copy(e.pending, e.pending[1:])
		e.pending = e.pending[:len(e.pending)-1]
		d.c.noTemplate.Inc()
		d.c.pending.Add(-1)
		d.warn("flow data set dropped: its template did not arrive in time", "exporter", h.from, "domain", h.domain, "pending_records", d.cfg.PendingRecords)
	}
	e.pending = append(e.pending, pendingSet{key: tmplKey(h.version, h.domain, s.Id), data: bytes.Clone(s.Records), hdr: h})
	d.c.pending.Inc()
}

// retryPending decodes the held data sets whose template has arrived.
func (d *Decoder) retryPending(e *exporter, emit func(*event.Event) error) error {
	keep := e.pending[:0]
	var ready []pendingSet
	for _, p := range e.pending {
		if _, ok := e.templates[p.key]; ok {
			ready = append(ready, p)
		} else {
			keep = append(keep, p)
		}
	}
	e.pending = keep
	for _, p := range ready {
		d.c.pending.Add(-1)
		t := e.templates[p.key].t
		dom := e.domain(p.hdr.version, p.hdr.domain)
		var err error
		switch t := t.(type) {
		case gfnetflow.TemplateRecord:
			var recs []gfnetflow.DataRecord
			recs, err = gfnetflow.DecodeDataSet(p.hdr.version, bytes.NewBuffer(p.data), t.Fields)
			if eerr := d.emitData(p.hdr, dom, recs, emit); eerr != nil {
				return eerr
			}
		case gfnetflow.NFv9OptionsTemplateRecord:
			var recs []gfnetflow.OptionsDataRecord
			recs, err = gfnetflow.DecodeOptionsDataSet(p.hdr.version, bytes.NewBuffer(p.data), t.Scopes, t.Options)
			if eerr := d.emitOptions(p.hdr, dom, recs, emit); eerr != nil {
				return eerr
			}
		case gfnetflow.IPFIXOptionsTemplateRecord:
			var recs []gfnetflow.OptionsDataRecord
			recs, err = gfnetflow.DecodeOptionsDataSet(p.hdr.version, bytes.NewBuffer(p.data), t.Scopes, t.Options)
			if eerr := d.emitOptions(p.hdr, dom, recs, emit); eerr != nil {
				return eerr
			}
		}
		if err != nil {
			d.c.invalid.Inc()
			d.warn("held flow data set does not match its template", "exporter", p.hdr.from, "error", err)
		}
	}
	return nil
}

func (d *Decoder) emitData(h header, dom *domain, recs []gfnetflow.DataRecord, emit func(*event.Event) error) error {
	for i := range recs {
		if len(recs[i].Values) == 0 {
			continue // goflow2 returns an empty record for a short tail
		}
		ev := d.conv.flow(h, dom, recs[i].Values)
		d.c.flows.Inc()
		d.cur.Flows++
		if err := emit(ev); err != nil {
			return err
		}
	}
	return nil
}

func (d *Decoder) emitOptions(h header, dom *domain, recs []gfnetflow.OptionsDataRecord, emit func(*event.Event) error) error {
	for i := range recs {
		ev := d.conv.options(h, dom, &recs[i])
		d.c.options.Inc()
		if err := emit(ev); err != nil {
			return err
		}
	}
	return nil
}

// decodeV9 decodes a NetFlow v9 datagram to its end. goflow2 stops after
// the header's count of flow sets, but the count is of records (RFC 3954),
// so it would skip the data sets that follow the templates (softflowd sends
// 4 templates, 1 options template and the data sets in one datagram with
// count 5).
func decodeV9(b []byte, ts gfnetflow.NetFlowTemplateSystem, p *gfnetflow.NFv9Packet) error {
	if len(b) < 20 {
		return fmt.Errorf("NetFlow v9 header: %d bytes, want 20", len(b))
	}
	p.Version = 9
	p.Count = binary.BigEndian.Uint16(b[2:])
	p.SystemUptime = binary.BigEndian.Uint32(b[4:])
	p.UnixSeconds = binary.BigEndian.Uint32(b[8:])
	p.SequenceNumber = binary.BigEndian.Uint32(b[12:])
	p.SourceId = binary.BigEndian.Uint32(b[16:])
	sets, err := gfnetflow.DecodeMessageCommon(bytes.NewBuffer(b[20:]), ts, p.SourceId, 0xffff, 9)
	p.FlowSets = sets
	return err
}
