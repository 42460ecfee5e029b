package runner

import (
	"context"
	"log/slog"
	"sync"
)

// errorRecorder remembers the first ERROR an input logs. With --once an
// input that could not read its source (an unreachable SNMP agent, a
// collection command that failed) logs an error and returns nil, as it
// would in a long run where the next period retries; a one-shot run has
// no next period, so that error is the run's failure (issue 18 #12).
type errorRecorder struct {
	mu    sync.Mutex
	first string // "" until an error is logged
}

func (e *errorRecorder) err() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.first
}

func (e *errorRecorder) record(r slog.Record) {
	var text, hint string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "error":
			text = a.Value.Resolve().String()
		case "hint":
			hint = a.Value.Resolve().String()
		}
		return true
	})
	if text == "" {
		text = r.Message
	}
	if hint != "" {
		text += " (" + hint + ")"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.first == "" {
		e.first = text
	}
}

// recordingHandler passes records on to next and gives ERROR records to
// rec, whatever next's level.
type recordingHandler struct {
	next slog.Handler
	rec  *errorRecorder
}

func (h recordingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h recordingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.rec.record(r)
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h recordingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return recordingHandler{next: h.next.WithAttrs(as), rec: h.rec}
}

func (h recordingHandler) WithGroup(name string) slog.Handler {
	return recordingHandler{next: h.next.WithGroup(name), rec: h.rec}
}
