package monitoring

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// LogEntry is one remembered log record.
type LogEntry struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
	Attrs   string    `json:"attrs,omitempty"` // key=value … as the text handler writes them
}

// RecentLog remembers the last warnings and errors logged, for the status
// page's "last errors" (an operator opening the page wants to see why the
// output is failing without grepping the journal). It is a slog.Handler
// wrapper: the runner wraps its handler once, every record still reaches
// the original handler.
type RecentLog struct {
	mu   sync.Mutex
	ring []LogEntry
	next int
	full bool
	min  slog.Level
}

// NewRecentLog keeps the last n records at Warn or above.
func NewRecentLog(n int) *RecentLog {
	if n < 1 {
		n = 1
	}
	return &RecentLog{ring: make([]LogEntry, n), min: slog.LevelWarn}
}

// Entries returns the remembered records, newest first.
func (l *RecentLog) Entries() []LogEntry {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.next
	if l.full {
		n = len(l.ring)
	}
	out := make([]LogEntry, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, l.ring[(l.next-i+len(l.ring))%len(l.ring)])
	}
	return out
}

func (l *RecentLog) add(e LogEntry) {
	l.mu.Lock()
	l.ring[l.next] = e
	l.next++
	if l.next == len(l.ring) {
		l.next, l.full = 0, true
	}
	l.mu.Unlock()
}

// Handler wraps next so that records at Warn or above are also remembered.
func (l *RecentLog) Handler(next slog.Handler) slog.Handler {
	return &recentHandler{l: l, next: next}
}

type recentHandler struct {
	l      *RecentLog
	next   slog.Handler
	prefix string // attrs from WithAttrs, rendered
	group  string
}

func (h *recentHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.l.min || h.next.Enabled(ctx, level)
}

func (h *recentHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= h.l.min {
		var b strings.Builder
		b.WriteString(h.prefix)
		r.Attrs(func(a slog.Attr) bool {
			appendAttr(&b, h.group, a)
			return true
		})
		h.l.add(LogEntry{Time: r.Time, Level: r.Level.String(), Message: r.Message, Attrs: strings.TrimSpace(b.String())})
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *recentHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range as {
		appendAttr(&b, h.group, a)
	}
	return &recentHandler{l: h.l, next: h.next.WithAttrs(as), prefix: b.String(), group: h.group}
}

func (h *recentHandler) WithGroup(name string) slog.Handler {
	g := name
	if h.group != "" {
		g = h.group + "." + name
	}
	return &recentHandler{l: h.l, next: h.next.WithGroup(name), prefix: h.prefix, group: g}
}

func appendAttr(b *strings.Builder, group string, a slog.Attr) {
	if a.Equal(slog.Attr{}) {
		return
	}
	b.WriteByte(' ')
	if group != "" {
		b.WriteString(group)
		b.WriteByte('.')
	}
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(a.Value.Resolve().String())
}
