package monitoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// RateWindow is how far apart the two snapshots are that the status page's
// rates (events per second) are computed from.
const RateWindow = 10 * time.Second

// Handler serves the self-monitoring endpoints:
//
//	GET /         a small HTML status page for a human (refreshes every 10 s)
//	GET /stats    the Beats-like JSON document (Stats)
//	GET /metrics  the counters in the Prometheus text format
//
// Create it with NewHandler; Serve wraps it in a server.
type Handler struct {
	reg  *Registry
	info func() Status
	now  func() time.Time
	mux  *http.ServeMux

	mu    sync.Mutex
	prev  map[string]int64 // snapshot at prevT
	prevT time.Time
	last  rates // rates of the last complete window
}

// NewHandler returns the handler over reg; info is called on every request.
func NewHandler(reg *Registry, info func() Status) *Handler {
	return newHandler(reg, info, time.Now)
}

func newHandler(reg *Registry, info func() Status, now func() time.Time) *Handler {
	if info == nil {
		info = func() Status { return Status{} }
	}
	h := &Handler{reg: reg, info: info, now: now, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.page)
	h.mux.HandleFunc("GET /stats", h.stats)
	h.mux.HandleFunc("GET /metrics", h.metrics)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// snapshot returns the counters, the status, the time and the rates. Rates
// are the counter deltas over the last window of at least RateWindow,
// sampled lazily on requests: no goroutine ticks while nobody looks.
func (h *Handler) snapshot() (map[string]int64, Status, time.Time, rates) {
	snap := h.reg.Snapshot()
	st := h.info()
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.prev == nil {
		// First look: measure from the start (all counters were 0).
		h.prev, h.prevT = map[string]int64{}, st.Start
		if h.prevT.IsZero() || now.Sub(h.prevT) <= 0 {
			h.prev, h.prevT = snap, now
			return snap, st, now, h.last
		}
	}
	if dt := now.Sub(h.prevT); dt >= RateWindow || h.last.inputs == nil {
		sec := dt.Seconds()
		r := rates{inputs: map[string]float64{}}
		if sec > 0 {
			r.output = float64(snap["output.events.acked"]-h.prev["output.events.acked"]) / sec
			for _, in := range st.Inputs {
				k := "input." + in.ID + ".events.published"
				r.inputs[in.ID] = float64(snap[k]-h.prev[k]) / sec
			}
		}
		r.failing = snap["output.batches.failed"] > h.prev["output.batches.failed"]
		h.last = r
		if dt >= RateWindow {
			h.prev, h.prevT = snap, now
		}
	}
	return snap, st, now, h.last
}

func (h *Handler) stats(w http.ResponseWriter, r *http.Request) {
	snap, st, now, rt := h.snapshot()
	s := buildStats(snap, st, now, rt)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	if r.URL.Query().Has("pretty") {
		enc.SetIndent("", "  ")
	}
	_ = enc.Encode(s)
}

func (h *Handler) metrics(w http.ResponseWriter, r *http.Request) {
	snap, st, now, _ := h.snapshot()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_ = WritePrometheus(w, snap, st, now)
}

// Serve listens on addr (host:port) and serves the handler until ctx is
// done. A failure to listen is returned at once (port taken, bad host), so
// the caller can log it; nil after a clean stop.
func Serve(ctx context.Context, addr string, reg *Registry, info func() Status, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("monitoring http: %w", err)
	}
	return ServeListener(ctx, ln, reg, info, log)
}

// ServeListener is Serve on an open listener (tests pass 127.0.0.1:0).
func ServeListener(ctx context.Context, ln net.Listener, reg *Registry, info func() Status, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           NewHandler(reg, info),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	log.Info("monitoring endpoint listening", "address", "http://"+ln.Addr().String(), "endpoints", "/ /stats /metrics")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("monitoring http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("monitoring http: %w", err)
	}
	return nil
}
