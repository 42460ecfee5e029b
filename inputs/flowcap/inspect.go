package flowcap

import (
	"encoding/binary"
	"io"
	"log/slog"
	"strings"

	"github.com/shipper-project/shipper/inputs/internal/flow"
	"github.com/shipper-project/shipper/inputs/netflow"
	"github.com/shipper-project/shipper/inputs/sflow"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// Options steer Inspect.
type Options struct {
	// Type is "netflow", "sflow" or "" (auto: by the destination port,
	// then by the datagram's version field).
	Type string
	// Ports, when set, keeps only datagrams sent to one of these ports.
	Ports []uint16
	// NetFlow and SFlow are the decoders' configurations (an input's
	// section, or the defaults when nil).
	NetFlow *netflow.Config
	SFlow   *sflow.Config
	Log     *slog.Logger
}

// Summary is what Inspect saw.
type Summary struct {
	Packets   int            // packet records in the capture
	Datagrams map[string]int // UDP datagrams by kind: netflow, sflow, other (not flow export), filtered (--port)
	Skipped   map[string]int // packets without a UDP datagram, by reason
	Exporters map[string]int // flow datagrams per exporter address
	Documents int
	// Counters are the decoders' non-zero counters (the input's /stats
	// names under netflow. and sflow.).
	Counters map[string]int64
}

// Failed reports whether a datagram did not decode, was of a version the
// protocols option refuses, or a data set's template never came: the
// capture would not ship complete documents.
func (s Summary) Failed() bool {
	for k, v := range s.Counters {
		if v > 0 && (strings.HasSuffix(k, ".datagrams_invalid") || strings.HasSuffix(k, ".flowsets_dropped.no_template") || strings.HasSuffix(k, ".flowsets_pending") || strings.HasSuffix(k, ".datagrams_unsupported_version")) {
			return true
		}
	}
	return false
}

// Well-known collector ports: NetFlow 2055, 9995, 9996; IPFIX 4739; sFlow 6343.
var netflowPorts = map[uint16]bool{2055: true, 9995: true, 9996: true, 4739: true}

const sflowPort = 6343

// Kind says which decoder a datagram is for, or "other".
func Kind(d Datagram, typ string) string {
	if typ != "" {
		return typ
	}
	p := d.Dst.Port()
	switch {
	case p == sflowPort:
		return "sflow"
	case netflowPorts[p]:
		return "netflow"
	}
	b := d.Payload
	if len(b) >= 4 && binary.BigEndian.Uint32(b) == 5 {
		return "sflow" // sFlow's version is a 32-bit 5; NetFlow v5's 16-bit 5 is followed by a non-zero count
	}
	if len(b) >= 2 {
		switch binary.BigEndian.Uint16(b) {
		case 5, 9, 10:
			return "netflow"
		}
	}
	return "other"
}

// Inspect decodes every flow export datagram of the capture r, in capture
// order (the packet's time is the datagram's arrival time), and calls emit
// for each document. Its error is the capture's or emit's.
func Inspect(r io.Reader, opt Options, emit func(*event.Event) error) (Summary, error) {
	s := Summary{Datagrams: map[string]int{}, Exporters: map[string]int{}, Counters: map[string]int64{}}
	pr, err := NewReader(r)
	if err != nil {
		return s, err
	}
	m := monitoring.NewRegistry()
	nfc := netflow.DefaultConfig()
	if opt.NetFlow != nil {
		nfc = *opt.NetFlow
	}
	if err := nfc.Validate(); err != nil {
		return s, err
	}
	sfc := sflow.DefaultConfig()
	if opt.SFlow != nil {
		sfc = *opt.SFlow
	}
	if err := sfc.Validate(); err != nil {
		return s, err
	}
	nf := netflow.NewDecoder(nfc, m, "netflow", opt.Log)
	sf := sflow.NewDecoder(sfc, m, "sflow", opt.Log)
	count := func(e *event.Event) error {
		s.Documents++
		return emit(e)
	}
	ports := map[uint16]bool{}
	for _, p := range opt.Ports {
		ports[p] = true
	}
	for {
		d, err := pr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.finish(pr, m)
			return s, err
		}
		if len(ports) > 0 && !ports[d.Dst.Port()] {
			s.Datagrams["filtered"]++
			continue
		}
		k := Kind(d, opt.Type)
		s.Datagrams[k]++
		if k == "other" {
			continue
		}
		s.Exporters[d.Src.Addr().String()]++
		dg := flow.Datagram{From: d.Src, Received: d.Time, Data: d.Payload}
		if k == "sflow" {
			err = sf.Decode(dg, count)
		} else {
			err = nf.Decode(dg, count)
		}
		if err != nil {
			s.finish(pr, m)
			return s, err
		}
	}
	s.finish(pr, m)
	return s, nil
}

func (s *Summary) finish(pr *Reader, m *monitoring.Registry) {
	s.Packets = pr.Packets()
	s.Skipped = pr.Skipped
	for k, v := range m.Snapshot() {
		if v != 0 {
			s.Counters[k] = v
		}
	}
}
