// Package sflow is the `sflow` input: sFlow v5 datagrams over UDP (from
// hsflowd, pmacct's sfprobe, a switch), decoded with goflow2. Flow samples
// become one document each with the sampled header decoded to L2-L4 and
// counts scaled by the sampling rate; interface counter samples become
// system.network.* documents like the snmp input's.
package sflow

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	gfsflow "github.com/netsampler/goflow2/v2/decoders/sflow"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/internal/flow"
	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

//go:embed fields.yml
var fieldsYAML []byte

// Fields is this input's field catalog (fields.yml).
var Fields = fieldsYAML

func init() {
	inputs.Register(inputs.Plugin{Name: "sflow", Factory: Factory, Fields: fieldsYAML})
}

var _ inputs.Input = (*Input)(nil)

// Config is the sflow input's section. Keep it in step with DefaultConfig,
// the README's configuration block and config_test.go.
type Config struct {
	Host             string          `yaml:"host"`
	QueueSize        int             `yaml:"queue_size"`
	ReadBuffer       config.ByteSize `yaml:"read_buffer"`
	MaxMessageSize   config.ByteSize `yaml:"max_message_size"`
	InternalNetworks []string        `yaml:"internal_networks"`
	// ExporterStatsPeriod is how often the per-exporter sflow.exporter_stats
	// documents (datagrams, flow samples, lost and dropped datagrams) are
	// shipped; 0 ships none.
	ExporterStatsPeriod time.Duration `yaml:"exporter_stats_period"`

	networks flow.Networks
	valid    bool
}

// DefaultConfig returns the defaults README.md shows.
func DefaultConfig() Config {
	return Config{
		Host:                "localhost:6343",
		QueueSize:           8192,
		MaxMessageSize:      10 * config.KiB,
		InternalNetworks:    []string{"private"},
		ExporterStatsPeriod: time.Minute,
	}
}

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Host); err != nil {
		errs = append(errs, fmt.Errorf("host: %q is not host:port: %v", c.Host, err))
	}
	if c.QueueSize <= 0 {
		errs = append(errs, fmt.Errorf("queue_size: must be > 0, got %d", c.QueueSize))
	}
	if c.ReadBuffer < 0 || c.ReadBuffer > 1<<30 {
		errs = append(errs, fmt.Errorf("read_buffer: must be between 0 (system default) and 1GiB, got %d", c.ReadBuffer))
	}
	if c.MaxMessageSize < 64 || c.MaxMessageSize > 65535 {
		errs = append(errs, fmt.Errorf("max_message_size: must be between 64B and 64KiB (a UDP datagram), got %d", c.MaxMessageSize))
	}
	if c.ExporterStatsPeriod < 0 {
		errs = append(errs, fmt.Errorf("exporter_stats_period: must be >= 0 (0: no exporter_stats documents), got %s", c.ExporterStatsPeriod))
	}
	nets, err := flow.ParseNetworks(c.InternalNetworks)
	if err != nil {
		errs = append(errs, fmt.Errorf("internal_networks: %w", err))
	}
	c.networks = nets
	c.valid = len(errs) == 0
	return errors.Join(errs...)
}

// Input is the sflow input: one UDP socket, one decoder.
type Input struct {
	cfg          Config
	dec          *Decoder
	*flow.Server // logger, counters, listener, Addr
}

// Factory decodes the section and builds the input.
func Factory(sec config.Section, env inputs.Env) (inputs.Input, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg, inputs.CommonKeys...); err != nil {
		return nil, err
	}
	return New(cfg, env)
}

// New builds the input from a config (validated here if it was not).
func New(cfg Config, env inputs.Env) (*Input, error) {
	if !cfg.valid {
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	srv := flow.NewServer(env, "sflow")
	dec := NewDecoder(cfg, env.Metrics, srv.Name, srv.Log)
	dec.stats = srv.Stats
	return &Input{cfg: cfg, Server: srv, dec: dec}, nil
}

// Run listens until ctx is done (run --once: returns at once, a UDP
// listener has no end to read to).
func (in *Input) Run(ctx context.Context, out pipeline.Client) error {
	lcfg := flow.ListenerConfig{Host: in.cfg.Host, ReadBuffer: int(in.cfg.ReadBuffer), MaxMessageSize: int(in.cfg.MaxMessageSize), QueueSize: in.cfg.QueueSize}
	return in.Serve(ctx, lcfg, in.cfg.ExporterStatsPeriod, out, in.dec.Decode)
}

// Decoder turns sFlow datagrams into documents; one goroutine uses it.
type Decoder struct {
	cfg      Config
	log      *slog.Logger
	throttle sysstat.Throttle
	agents   map[agentKey]*agent
	now      func() time.Time
	stats    *flow.Stats  // the exporter_stats documents' counts
	cur      *flow.Counts // the counts of the datagram's exporter

	invalid, flowSamples, counterSamples, otherSamples *monitoring.Counter
	seqLost, seqGaps, seqResets                        *monitoring.Counter
	metrics                                            *monitoring.Registry
	prefix                                             string
}

type agentKey struct {
	addr netip.Addr
	sub  uint32
}

type agent struct {
	nextSeq uint32
	lost    *monitoring.Counter
}

// NewDecoder builds a decoder for a validated config.
func NewDecoder(cfg Config, m *monitoring.Registry, prefix string, log *slog.Logger) *Decoder {
	if m == nil {
		m = monitoring.NewRegistry()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Decoder{
		cfg: cfg, log: log, throttle: sysstat.Throttle{Interval: 10 * time.Second},
		agents:         map[agentKey]*agent{},
		stats:          flow.NewStats(time.Now()),
		invalid:        m.Counter(prefix + ".datagrams_invalid"),
		flowSamples:    m.Counter(prefix + ".samples.flow"),
		counterSamples: m.Counter(prefix + ".samples.counters"),
		otherSamples:   m.Counter(prefix + ".samples.other"),
		seqLost:        m.Counter(prefix + ".sequence.lost"),
		seqGaps:        m.Counter(prefix + ".sequence.gaps"),
		seqResets:      m.Counter(prefix + ".sequence.resets"),
		metrics:        m, prefix: prefix,
	}
}

func (d *Decoder) warn(msg string, args ...any) {
	d.throttle.Do(func(suppressed int) {
		d.log.Warn(msg, append(args, "suppressed", suppressed)...)
	})
}

// Decode decodes one datagram and calls emit for each document. A
// malformed datagram is counted and logged (rate-limited); the samples
// decoded before the fault are still emitted.
func (d *Decoder) Decode(dg flow.Datagram, emit func(*event.Event) error) error {
	d.cur = d.stats.For(dg.From)
	var p gfsflow.Packet
	err := gfsflow.DecodeMessageVersion(bytes.NewBuffer(dg.Data), &p)
	if err != nil {
		d.invalid.Inc()
		d.warn("malformed sFlow datagram", "from", dg.From, "bytes", len(dg.Data), "error", err)
		if p.Version != 5 || len(p.Samples) == 0 {
			return nil
		}
	}
	// goflow2 stops quietly at a sample longer than what is left.
	missing := 0
	for _, s := range p.Samples {
		if s == nil {
			missing++
		}
	}
	if missing > 0 && err == nil {
		d.invalid.Inc()
		d.warn("truncated sFlow datagram", "from", dg.From, "bytes", len(dg.Data), "samples_missing", missing)
	}
	agentIP, _ := netip.AddrFromSlice(p.AgentIP)
	agentIP = agentIP.Unmap()
	d.sequence(dg.From, agentIP, p.SubAgentId, p.SequenceNumber)
	h := hdr{from: dg.From, agent: agentIP, p: &p, received: dg.Received}
	for _, s := range p.Samples {
		var ev *event.Event
		switch s := s.(type) {
		case gfsflow.FlowSample:
			d.flowSamples.Inc()
			d.cur.Flows++
			ev = d.flowEvent(h, s.Header, "flow", s.SamplingRate, s.SamplePool, s.Drops, s.Input, s.Output, s.Records)
		case gfsflow.ExpandedFlowSample:
			d.flowSamples.Inc()
			d.cur.Flows++
			ev = d.flowEvent(h, s.Header, "expanded_flow", s.SamplingRate, s.SamplePool, s.Drops, s.InputIfValue, s.OutputIfValue, s.Records)
		case gfsflow.CounterSample:
			kind := "counters"
			if s.Header.Format == 4 {
				kind = "expanded_counters"
			}
			for _, r := range s.Records {
				if c, ok := r.Data.(gfsflow.IfCounters); ok {
					d.counterSamples.Inc()
					if err := emit(d.counterEvent(h, s.Header, kind, c)); err != nil {
						return err
					}
				}
			}
			continue
		case nil:
			continue
		default:
			d.otherSamples.Inc()
			continue
		}
		if err := emit(ev); err != nil {
			return err
		}
	}
	return nil
}

// sequence counts datagrams lost per agent (and sub-agent).
func (d *Decoder) sequence(from netip.AddrPort, a netip.Addr, sub, seq uint32) {
	k := agentKey{a, sub}
	ag := d.agents[k]
	if ag == nil {
		name := strings.NewReplacer(".", "_", ":", "_").Replace(a.String()) + "_" + strconv.FormatUint(uint64(sub), 10)
		ag = &agent{lost: d.metrics.Counter(d.prefix + ".agent." + name + ".sequence_lost")}
		d.agents[k] = ag
	} else {
		diff := int32(seq - ag.nextSeq)
		switch {
		case diff < -1000 || seq <= 1 && diff < 0:
			d.seqResets.Inc()
			d.log.Info("sFlow agent restarted (sequence number reset)", "agent", a, "sub_agent", sub, "from", from)
		case diff > 0:
			d.cur.LostDatagrams += int64(diff)
			d.seqLost.Add(int64(diff))
			d.seqGaps.Inc()
			ag.lost.Add(int64(diff))
			d.warn("sFlow datagrams lost (sequence gap)", "agent", a, "sub_agent", sub, "missing", diff)
		case diff < 0:
			// Late (UDP reorders): the expected number stays ahead,
			// or the next datagram would show the same gap again.
			return
		}
	}
	ag.nextSeq = seq + 1
}

type hdr struct {
	from     netip.AddrPort
	agent    netip.Addr
	p        *gfsflow.Packet
	received time.Time
}

func (d *Decoder) base(h hdr, action, dataset string, sh gfsflow.SampleHeader, kind string, n int) *event.Event {
	created := time.Now().UTC()
	if d.now != nil {
		created = d.now()
	}
	ev := event.New(h.received, n)
	f := &ev.Fields
	*f = append(*f,
		event.Field{Key: "event.kind", Value: kindOf(action)},
		event.Field{Key: "event.category", Value: []string{"network_traffic", "network"}},
		event.Field{Key: "event.action", Value: action},
		event.Field{Key: "event.created", Value: created},
		event.Field{Key: "event.module", Value: "sflow"},
		event.Field{Key: "event.dataset", Value: dataset},
		event.Field{Key: "sflow.exporter.address", Value: h.from.String()},
		event.Field{Key: "sflow.agent.sub_id", Value: uint64(h.p.SubAgentId)},
		event.Field{Key: "sflow.agent.uptime_millis", Value: uint64(h.p.Uptime)},
		event.Field{Key: "sflow.sequence_number", Value: uint64(h.p.SequenceNumber)},
		event.Field{Key: "sflow.sample.type", Value: kind},
		event.Field{Key: "sflow.sample.sequence_number", Value: uint64(sh.SampleSequenceNumber)},
		event.Field{Key: "sflow.sample.source_id_type", Value: uint64(sh.SourceIdType)},
		event.Field{Key: "sflow.sample.source_id_index", Value: uint64(sh.SourceIdValue)},
	)
	if h.agent.IsValid() {
		*f = append(*f,
			event.Field{Key: "observer.ip", Value: h.agent.String()},
			event.Field{Key: "sflow.agent.address", Value: h.agent.String()},
		)
	}
	return ev
}

func kindOf(action string) string {
	if action == "sflow_counters" {
		return "metric"
	}
	return "event"
}
