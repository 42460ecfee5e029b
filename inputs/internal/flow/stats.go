package flow

import (
	"maps"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// Counts are one exporter's figures over one stats period.
type Counts struct {
	Datagrams int64 // datagrams handed to the decoder
	Bytes     int64 // their bytes
	Flows     int64 // flow records (NetFlow/IPFIX) or flow samples (sFlow)
	// Sequence gaps: sent by the exporter, never received. NetFlow v9 and
	// sFlow number datagrams; NetFlow v5 and IPFIX number flow records.
	LostDatagrams int64
	LostFlows     int64
	// Received, then dropped by the input before decoding.
	DroppedQueue int64 // decode queue full
	DroppedBig   int64 // larger than max_message_size
}

func (c *Counts) add(o *Counts) {
	c.Datagrams += o.Datagrams
	c.Bytes += o.Bytes
	c.Flows += o.Flows
	c.LostDatagrams += o.LostDatagrams
	c.LostFlows += o.LostFlows
	c.DroppedQueue += o.DroppedQueue
	c.DroppedBig += o.DroppedBig
}

// maxTracked bounds the exporters tracked in one period (UDP sources can
// be spoofed): the counts of any further source go to the input's document.
const maxTracked = 4096

// Stats collects the per-exporter counts behind the exporter_stats
// documents. The decoder goroutine owns the exporters' counts (For) and
// takes the period's report (Report); the socket reader, another goroutine,
// adds the datagrams it drops through the locked side.
type Stats struct {
	exporters map[netip.AddrPort]*Counts // decoder goroutine only
	other     Counts                     // beyond maxTracked
	start     time.Time

	mu      sync.Mutex
	dropped map[netip.AddrPort]*Counts // from the reader
	kernel  atomic.Int64               // socket drops: no exporter known
}

// NewStats starts the first period at now.
func NewStats(now time.Time) *Stats {
	return &Stats{exporters: map[netip.AddrPort]*Counts{}, dropped: map[netip.AddrPort]*Counts{}, start: now}
}

// For returns the counts of exporter a in the current period. Decoder
// goroutine only.
func (s *Stats) For(a netip.AddrPort) *Counts {
	if c, ok := s.exporters[a]; ok {
		return c
	}
	if len(s.exporters) >= maxTracked {
		return &s.other
	}
	c := &Counts{}
	s.exporters[a] = c
	return c
}

// drop counts a datagram the reader dropped (queue full or too big).
func (s *Stats) drop(a netip.AddrPort, tooBig bool) {
	s.mu.Lock()
	c := s.dropped[a]
	if c == nil {
		if len(s.dropped) >= maxTracked {
			a = netip.AddrPort{}
			c = s.dropped[a]
		}
		if c == nil {
			c = &Counts{}
			s.dropped[a] = c
		}
	}
	if tooBig {
		c.DroppedBig++
	} else {
		c.DroppedQueue++
	}
	s.mu.Unlock()
}

// Report is one stats period: the counts of every exporter that had any,
// and the input's own (kernel drops and sources beyond the tracked ones).
type Report struct {
	Start, End    time.Time
	Exporters     map[netip.AddrPort]Counts
	Input         Counts
	DroppedKernel int64 // the socket's drop counter: datagrams lost before anyone read them
}

// Empty reports a period in which nothing was received or lost.
func (r *Report) Empty() bool {
	return len(r.Exporters) == 0 && r.Input == (Counts{}) && r.DroppedKernel == 0
}

// Report ends the period at now and starts the next. Exporters without
// counts in the period are forgotten. Decoder goroutine only.
func (s *Stats) Report(now time.Time) Report {
	s.mu.Lock()
	for a, c := range s.dropped {
		if a.IsValid() {
			s.For(a).add(c)
		} else {
			s.other.add(c)
		}
	}
	clear(s.dropped)
	s.mu.Unlock()
	r := Report{Start: s.start, End: now, Exporters: map[netip.AddrPort]Counts{}, Input: s.other}
	s.start, s.other = now, Counts{}
	r.DroppedKernel = s.kernel.Swap(0)
	for a, c := range s.exporters {
		if *c == (Counts{}) {
			delete(s.exporters, a)
			continue
		}
		r.Exporters[a] = *c
		*c = Counts{}
	}
	return r
}

// Documents renders a report as event.kind: metric documents, dataset
// <module>.exporter_stats: one per exporter with counts, and one for the
// input when it dropped datagrams it cannot put on an exporter. Nothing
// for an empty period.
func (r *Report) Documents(module string) []*event.Event {
	var out []*event.Event
	addrs := slices.SortedFunc(maps.Keys(r.Exporters), netip.AddrPort.Compare)
	for _, a := range addrs {
		c := r.Exporters[a]
		ev := r.document(module, "exporter_stats", c, 0)
		ev.Fields = append(ev.Fields,
			event.Field{Key: "observer.ip", Value: a.Addr().Unmap().String()},
			event.Field{Key: module + ".exporter.address", Value: a.String()},
		)
		out = append(out, ev)
	}
	if r.Input != (Counts{}) || r.DroppedKernel != 0 {
		out = append(out, r.document(module, "input_stats", r.Input, r.DroppedKernel))
	}
	return out
}

func (r *Report) document(module, action string, c Counts, kernel int64) *event.Event {
	ev := event.New(r.End, 24)
	ev.Fields = append(ev.Fields,
		event.Field{Key: "event.kind", Value: "metric"},
		event.Field{Key: "event.category", Value: []string{"network"}},
		event.Field{Key: "event.type", Value: []string{"info"}},
		event.Field{Key: "event.action", Value: action},
		event.Field{Key: "event.module", Value: module},
		event.Field{Key: "event.dataset", Value: module + ".exporter_stats"},
		event.Field{Key: "event.start", Value: r.Start},
		event.Field{Key: "event.end", Value: r.End},
		event.Field{Key: "event.duration", Value: r.End.Sub(r.Start).Nanoseconds()},
		event.Field{Key: "flow.stats.datagrams", Value: c.Datagrams},
		event.Field{Key: "flow.stats.bytes", Value: c.Bytes},
		event.Field{Key: "flow.stats.flows", Value: c.Flows},
		event.Field{Key: "flow.stats.lost.datagrams", Value: c.LostDatagrams},
		event.Field{Key: "flow.stats.lost.flows", Value: c.LostFlows},
		event.Field{Key: "flow.stats.dropped.queue_full", Value: c.DroppedQueue},
		event.Field{Key: "flow.stats.dropped.too_big", Value: c.DroppedBig},
		event.Field{Key: "flow.stats.dropped.kernel", Value: kernel},
	)
	return ev
}
