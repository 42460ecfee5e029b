// Package flow holds what the netflow and sflow inputs share: the UDP
// listener with its bounded queue and drop counters, and the ECS helpers
// (transport names, locality, flow.id).
//
// UDP cannot be back-pressured. A datagram can be lost in three places, and
// each is counted:
//
//	kernel socket buffer (read_buffer, SO_RCVBUF) ─▶ datagrams_dropped.kernel (SO_RXQ_OVFL)
//	reader ─▶ decode queue (queue_size)           ─▶ datagrams_dropped.queue_full
//	datagram larger than max_message_size         ─▶ datagrams_dropped.too_big
//
// The decoder publishes into the pipeline, which blocks when its queue is
// full; the decode queue then fills and the reader drops, counted, instead of
// blocking the socket. Besides the counters, the drops and the exporters'
// sequence gaps are shipped as exporter_stats documents (stats.go), so
// Kibana can show them.
package flow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// Datagram is one received export datagram.
type Datagram struct {
	From     netip.AddrPort
	Received time.Time
	Data     []byte // owned by the handler until it returns
	buf      *[]byte
}

// Counters are the listener's counters, under the input's metrics prefix.
type Counters struct {
	Received      *monitoring.Counter // datagrams read from the socket
	Bytes         *monitoring.Counter // their bytes
	DroppedKernel *monitoring.Counter // the socket's drop counter (buffer full before we read)
	DroppedQueue  *monitoring.Counter // decode queue full
	DroppedBig    *monitoring.Counter // larger than max_message_size (truncated by the kernel)
	QueueLen      *monitoring.Counter // datagrams waiting in the decode queue (a level)
}

// NewCounters registers the listener counters under prefix.
func NewCounters(m *monitoring.Registry, prefix string) Counters {
	if m == nil {
		m = monitoring.NewRegistry()
	}
	return Counters{
		Received:      m.Counter(prefix + ".datagrams_received"),
		Bytes:         m.Counter(prefix + ".bytes_received"),
		DroppedKernel: m.Counter(prefix + ".datagrams_dropped.kernel"),
		DroppedQueue:  m.Counter(prefix + ".datagrams_dropped.queue_full"),
		DroppedBig:    m.Counter(prefix + ".datagrams_dropped.too_big"),
		QueueLen:      m.Counter(prefix + ".queue.length"),
	}
}

// ListenerConfig is the part of an input's config the listener uses.
type ListenerConfig struct {
	Host           string // host:port to listen on
	ReadBuffer     int    // SO_RCVBUF in bytes; 0 keeps the system default
	MaxMessageSize int    // largest datagram accepted, bytes
	QueueSize      int    // datagrams waiting for the decoder
}

// Listener reads datagrams from a UDP socket into a bounded queue and hands
// them to one decoder goroutine.
type Listener struct {
	cfg      ListenerConfig
	conn     *net.UDPConn
	c        Counters
	log      *slog.Logger
	throttle sysstat.Throttle
	pool     sync.Pool
	queue    chan Datagram

	stats *Stats // per-exporter drops, when set
	every time.Duration
	tick  func(time.Time) error

	kernelBase  uint32 // SO_RXQ_OVFL value at the first datagram
	kernelSeen  bool
	kernelDrops int64
}

// Listen opens the socket. The caller runs Run and closes nothing else.
func Listen(cfg ListenerConfig, c Counters, log *slog.Logger) (*Listener, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	addr, err := net.ResolveUDPAddr("udp", cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", cfg.Host, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen udp %s: %w", cfg.Host, err)
	}
	if cfg.ReadBuffer > 0 {
		if err := conn.SetReadBuffer(cfg.ReadBuffer); err != nil {
			conn.Close()
			return nil, fmt.Errorf("set read_buffer %d on %s: %w", cfg.ReadBuffer, cfg.Host, err)
		}
	}
	if err := enableDropCounter(conn); err != nil {
		log.Warn("kernel drop counter unavailable; drops in the socket buffer are not counted", "error", err)
	}
	l := &Listener{
		cfg: cfg, conn: conn, c: c, log: log,
		throttle: sysstat.Throttle{Interval: 10 * time.Second},
		queue:    make(chan Datagram, cfg.QueueSize),
	}
	size := cfg.MaxMessageSize + 1 // one more byte tells a too-big datagram
	l.pool.New = func() any { b := make([]byte, size); return &b }
	return l, nil
}

// Addr is the bound address (useful with port 0).
func (l *Listener) Addr() netip.AddrPort {
	return l.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Every makes Run call tick every period from the goroutine that calls
// handle (so tick needs no lock against it). Call it before Run.
func (l *Listener) Every(period time.Duration, tick func(now time.Time) error) {
	l.every, l.tick = period, tick
}

// Run reads until ctx is done, and calls handle for each datagram in
// arrival order from a single goroutine. It returns nil on a clean stop, or
// handle's (or tick's) first error.
func (l *Listener) Run(ctx context.Context, handle func(Datagram) error) error {
	done := make(chan error, 1)
	go func() { done <- l.read() }()
	stop := context.AfterFunc(ctx, func() { l.conn.Close() })
	defer stop()
	var ticks <-chan time.Time
	if l.tick != nil && l.every > 0 {
		t := time.NewTicker(l.every)
		defer t.Stop()
		ticks = t.C
	}

	var herr error
	for herr == nil {
		select {
		case d := <-l.queue:
			l.c.QueueLen.Add(-1)
			herr = handle(d)
			l.release(d)
		case now := <-ticks:
			herr = l.tick(now)
		case rerr := <-done:
			// Socket closed: drain what was queued only if we stop cleanly.
			if ctx.Err() != nil {
				return nil
			}
			return rerr
		}
	}
	l.conn.Close()
	<-done
	if ctx.Err() != nil && errors.Is(herr, ctx.Err()) {
		return nil
	}
	return herr
}

func (l *Listener) release(d Datagram) {
	if d.buf != nil {
		l.pool.Put(d.buf)
	}
}

// read is the socket reader: it never blocks on the decoder.
func (l *Listener) read() error {
	oob := make([]byte, 64)
	for {
		bp := l.pool.Get().(*[]byte)
		buf := *bp
		n, oobn, flags, from, err := l.conn.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			l.pool.Put(bp)
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read udp %s: %w", l.cfg.Host, err)
		}
		now := time.Now()
		l.c.Received.Inc()
		l.c.Bytes.Add(int64(n))
		if drops, ok := parseDropCounter(oob[:oobn]); ok {
			l.noteKernelDrops(drops)
		}
		if n > l.cfg.MaxMessageSize || flags&msgTrunc != 0 {
			l.pool.Put(bp)
			l.c.DroppedBig.Inc()
			if l.stats != nil {
				l.stats.drop(from, true)
			}
			l.warn("datagram larger than max_message_size dropped", "from", from, "max_message_size", l.cfg.MaxMessageSize)
			continue
		}
		d := Datagram{From: from, Received: now, Data: buf[:n], buf: bp}
		select {
		case l.queue <- d:
			l.c.QueueLen.Add(1)
		default:
			l.pool.Put(bp)
			l.c.DroppedQueue.Inc()
			if l.stats != nil {
				l.stats.drop(from, false)
			}
			l.warn("decode queue full, datagram dropped (the output is slower than the exporters)", "queue_size", l.cfg.QueueSize)
		}
	}
}

// noteKernelDrops turns the socket's cumulative drop counter into the
// counter's increments (it starts at the value seen first, which counts
// drops since the socket opened).
func (l *Listener) noteKernelDrops(v uint32) {
	if !l.kernelSeen {
		l.kernelSeen = true
		l.kernelBase = 0
	}
	delta := int64(v - l.kernelBase)
	if delta <= 0 {
		return
	}
	l.kernelBase = v
	l.kernelDrops += delta
	l.c.DroppedKernel.Add(delta)
	if l.stats != nil {
		l.stats.kernel.Add(delta)
	}
	l.warn("datagrams dropped by the kernel (socket buffer full): raise read_buffer or the decode is too slow", "dropped", delta, "read_buffer", l.cfg.ReadBuffer)
}

func (l *Listener) warn(msg string, args ...any) {
	l.throttle.Do(func(suppressed int) {
		l.log.Warn(msg, append(args, "suppressed", suppressed)...)
	})
}
