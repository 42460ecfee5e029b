package flow

import (
	"context"
	"log/slog"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// Server is what the flow inputs (netflow, sflow) share around their
// decoder: the logger and counters, the UDP listener's life, and the bound
// address for tests that listen on port 0.
type Server struct {
	Log  *slog.Logger
	Name string // counter prefix, e.g. "input.netflow"
	// Stats are the per-exporter counts of the exporter_stats documents;
	// the decoder adds its flows and sequence gaps with Stats.For.
	Stats *Stats
	kind  string // "netflow", "sflow": for messages
	once  bool
	lc    Counters
	addr  chan string
}

// NewServer takes the logger and counter prefix from env, with defaults.
func NewServer(env inputs.Env, kind string) *Server {
	s := &Server{Log: env.Log, Name: env.Name, kind: kind, once: env.Once, addr: make(chan string, 1), Stats: NewStats(time.Now())}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Name == "" {
		s.Name = "input." + kind
	}
	s.lc = NewCounters(env.Metrics, s.Name)
	return s
}

// Addr returns the address the input listens on, once it does.
func (s *Server) Addr(ctx context.Context) (string, error) {
	select {
	case a := <-s.addr:
		s.addr <- a
		return a, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Serve listens with cfg until ctx is done and hands every datagram to
// decode, which publishes its events to out. Every statsPeriod (none when
// 0) it publishes the period's exporter_stats documents, if anything was
// received or lost. With run --once it returns at once: a UDP listener has
// no end to read to.
func (s *Server) Serve(ctx context.Context, cfg ListenerConfig, statsPeriod time.Duration, out pipeline.Client, decode func(Datagram, func(*event.Event) error) error, attrs ...any) error {
	if s.once {
		s.Log.Warn("run --once: the " + s.kind + " input listens on UDP and has no end to read to; skipped")
		return nil
	}
	l, err := Listen(cfg, s.lc, s.Log)
	if err != nil {
		return err
	}
	s.addr <- l.Addr().String()
	s.Log.Info("listening for "+s.kind, append([]any{"address", l.Addr().String()}, attrs...)...)
	publish := func(ev *event.Event) error { return out.Publish(ctx, ev) }
	if statsPeriod > 0 {
		l.stats = s.Stats
		s.Stats.start = time.Now()
		l.Every(statsPeriod, func(now time.Time) error {
			r := s.Stats.Report(now)
			for _, ev := range r.Documents(s.kind) {
				if err := publish(ev); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return l.Run(ctx, func(d Datagram) error {
		if statsPeriod > 0 {
			c := s.Stats.For(d.From)
			c.Datagrams++
			c.Bytes += int64(len(d.Data))
		}
		return decode(d, publish)
	})
}
