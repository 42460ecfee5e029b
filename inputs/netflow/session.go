package netflow

import (
	"fmt"
	"net/netip"
	"time"

	gfnetflow "github.com/netsampler/goflow2/v2/decoders/netflow"
)

// exporter is what the input remembers about one exporter address
// (ip:port): its templates, per version and observation domain, and the
// sequence state of each domain. It implements goflow2's template system,
// adding expiry: a template not refreshed for expiration_timeout is gone.
type exporter struct {
	addr      netip.AddrPort
	templates map[uint64]*tmplEntry
	domains   map[domainKey]*domain
	pending   []pendingSet
	lastSeen  time.Time

	// Per-datagram state the template system hooks use.
	now        time.Time
	expiration time.Duration
	added      []uint64 // template keys added by the datagram being decoded
	expired    int      // templates found expired by the datagram being decoded
}

type domainKey struct {
	version uint16
	id      uint32
}

// domain is the sequence state of one (version, observation domain).
type domain struct {
	haveSeq    bool
	nextSeq    uint32 // expected sequence number of the next datagram
	lastUptime uint32 // v9 header sysUptime, to see a restart
	records    recordSeq
	// From options records: the exporter's sampling interval and boot time.
	samplingInterval uint64
	sysInit          time.Time
}

type tmplEntry struct {
	t    any // gfnetflow.TemplateRecord, NFv9OptionsTemplateRecord or IPFIXOptionsTemplateRecord
	seen time.Time
}

// pendingSet is a data set whose template had not arrived yet.
type pendingSet struct {
	key  uint64 // template key (version, domain, id)
	data []byte // a copy
	hdr  header
}

func newExporter(addr netip.AddrPort, expiration time.Duration) *exporter {
	return &exporter{addr: addr, templates: map[uint64]*tmplEntry{}, domains: map[domainKey]*domain{}, expiration: expiration}
}

func tmplKey(version uint16, domain uint32, id uint16) uint64 {
	return uint64(version)<<48 | uint64(domain)<<16 | uint64(id)
}

func (e *exporter) domain(version uint16, id uint32) *domain {
	k := domainKey{version, id}
	d := e.domains[k]
	if d == nil {
		d = &domain{}
		e.domains[k] = d
	}
	return d
}

// dropTemplates forgets every template of (version, domain): the exporter
// restarted and may reuse the ids for other layouts.
func (e *exporter) dropTemplates(version uint16, domain uint32) {
	for k := range e.templates {
		if uint16(k>>48) == version && uint32(k>>16) == domain {
			delete(e.templates, k)
		}
	}
}

// AddTemplate implements gfnetflow.NetFlowTemplateSystem.
func (e *exporter) AddTemplate(version uint16, obsDomainID uint32, templateID uint16, template any) error {
	if emptyTemplate(template) {
		// goflow2 would loop forever over a data set of zero-length records.
		return fmt.Errorf("template %d describes records of zero bytes", templateID)
	}
	k := tmplKey(version, obsDomainID, templateID)
	e.templates[k] = &tmplEntry{t: template, seen: e.now}
	e.added = append(e.added, k)
	return nil
}

// GetTemplate implements gfnetflow.NetFlowTemplateSystem.
func (e *exporter) GetTemplate(version uint16, obsDomainID uint32, templateID uint16) (any, error) {
	k := tmplKey(version, obsDomainID, templateID)
	t, ok := e.templates[k]
	if !ok {
		return nil, gfnetflow.ErrorTemplateNotFound
	}
	if e.expiration > 0 && e.now.Sub(t.seen) > e.expiration {
		delete(e.templates, k)
		e.expired++
		return nil, gfnetflow.ErrorTemplateNotFound
	}
	return t.t, nil
}

// RemoveTemplate implements gfnetflow.NetFlowTemplateSystem.
func (e *exporter) RemoveTemplate(version uint16, obsDomainID uint32, templateID uint16) (any, error) {
	k := tmplKey(version, obsDomainID, templateID)
	t, ok := e.templates[k]
	if !ok {
		return nil, gfnetflow.ErrorTemplateNotFound
	}
	delete(e.templates, k)
	return t.t, nil
}

// GetTemplates implements gfnetflow.NetFlowTemplateSystem.
func (e *exporter) GetTemplates() gfnetflow.FlowBaseTemplateSet {
	out := gfnetflow.FlowBaseTemplateSet{}
	for k, t := range e.templates {
		out[k] = t.t
	}
	return out
}

var _ gfnetflow.NetFlowTemplateSystem = (*exporter)(nil)

// emptyTemplate reports a template whose records take no bytes at all.
func emptyTemplate(t any) bool {
	var fields []gfnetflow.Field
	switch t := t.(type) {
	case gfnetflow.TemplateRecord:
		fields = t.Fields
	case gfnetflow.NFv9OptionsTemplateRecord:
		fields = append(append(fields, t.Scopes...), t.Options...)
	case gfnetflow.IPFIXOptionsTemplateRecord:
		fields = append(append(fields, t.Scopes...), t.Options...)
	}
	for _, f := range fields {
		if f.Length > 0 {
			return false
		}
	}
	return true
}

// recordSeq follows the sequence numbers of a stream numbered by flow
// records (NetFlow v5, IPFIX). RFC 7011 numbers an IPFIX message by the
// data records sent before it, options records included; softflowd numbers
// it by the records up to and including its own, options records excluded
// (captured: a first message of 24 flow records and 1 options record has
// sequence number 24, the next one of 32 records 56). Each reading predicts
// the next number differently when two consecutive messages differ in
// size; the readings that predicted it are kept, and a gap is measured with
// the first one left, in this order of preference.
type recordSeq struct {
	have      bool
	seq       uint32
	data, all uint32 // the previous message's data records, without and with options records
	readings  uint8  // bit i: reading i still fits the exporter (0: all)
}

// next takes a message's sequence number and record counts and returns the
// records missing before it (0 when it is the first, or follows a message
// whose records were not all counted).
func (r *recordSeq) next(seq, data, all uint32, countable bool) (lost int64) {
	if r.have && countable {
		if r.readings == 0 {
			r.readings = 0b1111
		}
		predicted := [4]uint32{
			r.seq + r.all,  // RFC 7011: the records before this message
			r.seq + r.data, // the same, options records not counted
			r.seq + data,   // softflowd: up to and including this message's data records
			r.seq + all,    // the same with its options records
		}
		var fit uint8
		for i, p := range predicted {
			if r.readings&(1<<i) != 0 && p == seq {
				fit |= 1 << i
			}
		}
		if fit != 0 {
			r.readings = fit
		} else {
			for i, p := range predicted {
				if r.readings&(1<<i) != 0 {
					gap := int32(seq - p)
					if gap < 0 && gap >= -maxSequenceBack {
						// Sent before the message that came before it
						// (UDP reorders): its records were counted
						// missing then; measured from it, the next
						// message would count them again.
						return 0
					}
					lost = int64(max(gap, 0))
					break
				}
			}
		}
	}
	r.have, r.seq, r.data, r.all = countable, seq, data, all
	return lost
}
