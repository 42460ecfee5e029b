package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// Client is what an input publishes through.
type Client interface {
	// Publish runs the processors on e and queues it. It blocks while the
	// queue is full and returns an error only when ctx is done or the
	// pipeline is closing; e is then not queued and the input must not
	// advance its cursor past it.
	Publish(ctx context.Context, e *event.Event) error
}

// ClientConfig describes one connected input.
type ClientConfig struct {
	// Processors run in order on every event: the input's own, then the
	// global ones.
	Processors []processors.Processor
	// Static fields added to every event before the processors run
	// (input.type, agent.*, host.name, ecs.version, fields, tags…).
	Static event.Fields
	// ACK receives the Private values of the input's events that reached
	// a final outcome, in publish order. May be nil.
	ACK func(private []any)
	// Index, when set, is the index every event of this input goes to
	// (the input's `index` key), unless the event names its own.
	Index string
	// Pipeline, when set, is the ingest pipeline of this input's events
	// (the input's `pipeline` key, Beats' per-input pipeline), unless the
	// event names its own; it overrides the output's `pipeline`.
	Pipeline string
	// Metrics prefix, e.g. "input.squid-access".
	Name string
	Log  *slog.Logger
}

type client struct {
	p          *Pipeline
	cfg        ClientConfig
	published  *monitoring.Counter
	finished   *monitoring.Counter
	procErrors *monitoring.Counter
	privs      []any
	direct     bool // the disk queue's reader: straight to the memory queue
	static     staticSet
}

// Connect returns a Client for one input.
func (p *Pipeline) Connect(cfg ClientConfig, m *monitoring.Registry) Client {
	if cfg.Log == nil {
		cfg.Log = p.log
	}
	return &client{
		p:          p,
		cfg:        cfg,
		static:     newStaticSet(cfg.Static),
		published:  m.Counter(cfg.Name + ".events.published"),
		finished:   m.Counter(cfg.Name + ".events.acked"),
		procErrors: m.Counter(cfg.Name + ".events.processor_errors"),
	}
}

// tagger is implemented by processor errors that name their failure tag
// (grok's _grokparsefailure, geoip's _geoip_lookup_failure, …).
type tagger interface{ Tag() string }

func (c *client) Publish(ctx context.Context, e *event.Event) error {
	c.static.add(e)
	if c.cfg.Index != "" && e.Meta.Index == "" {
		e.Meta.Index = c.cfg.Index
	}
	if c.cfg.Pipeline != "" && e.Meta.Pipeline == "" {
		e.Meta.Pipeline = c.cfg.Pipeline
	}
	if e.Timestamp.IsZero() {
		e.Timestamp = time.Now()
	}
	outcome := Pending
	var errMsgs []any // error.message values written here, for a second failure
	for _, proc := range c.cfg.Processors {
		out, err := proc.Run(e)
		if err != nil {
			c.procErrors.Inc()
			c.p.failed.Inc()
			// A message the processor wrote itself (decode_json_fields'
			// add_error_key) is kept; a second failure adds to the first
			// rather than erasing it.
			msg := fmt.Sprintf("%s: %v", proc, err)
			cur, has := e.Fields.Get("error.message")
			switch {
			case !has:
				errMsgs = append(errMsgs, msg)
			case len(errMsgs) > 0 && sameMessage(cur, errMsgs):
				errMsgs = append(errMsgs, msg)
			default: // the processor's own (or one that came with the event)
				errMsgs = append(errMsgs, cur)
			}
			if len(errMsgs) == 1 {
				e.Fields.Put("error.message", errMsgs[0])
			} else {
				e.Fields.Put("error.message", append([]any(nil), errMsgs...))
			}
			tag := "_processor_failure"
			var t tagger
			if errors.As(err, &t) {
				tag = t.Tag()
			}
			e.Tag(tag)
			continue
		}
		if out == nil {
			outcome = Dropped
			c.p.filtered.Inc()
			break
		}
		e = out
	}
	if c.p.dq != nil && !c.direct {
		if err := c.p.dq.append(ctx, e, c, outcome); err != nil {
			return err
		}
		c.published.Inc()
		event.Release(e) // encoded into the queue: nothing refers to it
		return nil
	}
	if err := c.p.enqueue(ctx, item{ev: e, c: c, outcome: outcome}); err != nil {
		return err
	}
	c.published.Inc()
	return nil
}

// acked is called by the acker, in order, with a run of this client's items.
func (c *client) acked(items []item) {
	c.finished.Add(int64(len(items)))
	if c.cfg.ACK == nil {
		return
	}
	privs := c.privs[:0]
	for i := range items {
		privs = append(privs, items[i].ev.Private)
	}
	c.cfg.ACK(privs)
	clear(privs)
	c.privs = privs[:0]
}

// sameMessage reports whether cur is what Publish last wrote to
// error.message for msgs.
func sameMessage(cur any, msgs []any) bool {
	if len(msgs) == 1 {
		s, ok := cur.(string)
		return ok && s == msgs[0]
	}
	l, ok := cur.([]any)
	return ok && len(l) == len(msgs)
}

// staticSet is ClientConfig.Static, prepared for adding it to every event.
type staticSet struct {
	fields event.Fields
	// fast: at most 64 keys, no two alike, none under "tags." (which a
	// merge of tags could remove): the keys an event already has are
	// then found in one pass over the event, through filter.
	fast bool
	tags bool // fields has "tags"
	// byLen[min(len(k), 63)] has bit keyBit(k) set for every key but
	// "tags": an event's keys are told apart from the static ones by
	// their length and first byte, one load and a test (issue 17: the
	// length alone let most of a squid event's keys through to a hash).
	byLen [64]uint64
}

// keyBit is k's bit in staticSet.byLen[min(len(k), 63)].
func keyBit(k string) uint64 {
	if len(k) == 0 {
		return 1
	}
	return 1 << (k[0] & 63)
}

func newStaticSet(f event.Fields) staticSet {
	s := staticSet{fields: f, fast: len(f) <= 64}
	seen := map[string]bool{}
	for _, x := range f {
		if seen[x.Key] || strings.HasPrefix(x.Key, "tags.") {
			s.fast = false
		}
		seen[x.Key] = true
		if x.Key == "tags" {
			s.tags = true
			continue
		}
		s.byLen[min(len(x.Key), 63)] |= keyBit(x.Key)
	}
	return s
}

// add adds the static fields to e: those e does not have yet, and the
// configured tags merged into e's (the input may have tagged the event
// already, _grokparsefailure…; the configured tags come first).
func (s *staticSet) add(e *event.Event) {
	if !s.fast {
		addStatic(s.fields, e)
		return
	}
	var have uint64 // bit j: e has the key of fields[j]
	for _, f := range e.Fields {
		k := f.Key
		if m := s.byLen[min(len(k), 63)]; m == 0 || m&keyBit(k) == 0 {
			continue
		}
		for j := range s.fields {
			if s.fields[j].Key == k {
				have |= 1 << j
				break
			}
		}
	}
	if have == 0 && !s.tags {
		e.Fields = append(e.Fields, s.fields...)
		return
	}
	for j, f := range s.fields {
		switch {
		case f.Key == "tags":
			for _, t := range f.Value.([]string) {
				e.Tag(t)
			}
		case have&(1<<j) == 0:
			e.Fields.Add(f.Key, f.Value)
		}
	}
}

// addStatic is staticSet.add for any static fields, one lookup per key.
func addStatic(static event.Fields, e *event.Event) {
	for _, f := range static {
		switch {
		case f.Key == "tags":
			for _, t := range f.Value.([]string) {
				e.Tag(t)
			}
		case !e.Fields.HasKey(f.Key):
			e.Fields.Add(f.Key, f.Value)
		}
	}
}
