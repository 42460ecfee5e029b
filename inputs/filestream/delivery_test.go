package filestream

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/shipper-project/shipper/shipper/event"
)

// failingClient refuses the publish calls whose number (from 1) is in fail,
// as a full disk queue does, and delivers the others to the collector.
type failingClient struct {
	*collector
	mu    sync.Mutex
	calls int
	fail  map[int]bool
}

func (f *failingClient) Publish(ctx context.Context, e *event.Event) error {
	f.mu.Lock()
	f.calls++
	fail := f.fail[f.calls]
	f.mu.Unlock()
	if fail {
		return errors.New("queue.disk write: no space left on device")
	}
	return f.collector.Publish(ctx, e)
}

// Issue 18, defect 3: a line the pipeline refused must be offered again by
// the next harvester of the file, not skipped.
func TestFailedPublishIsRetriedNotSkipped(t *testing.T) {
	s := newScenario(t)
	s.write("a.log", numbered(0, 10)...)
	in, c := s.input(s.config("a.log"), false)
	fc := &failingClient{collector: c, fail: map[int]bool{4: true}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx, fc); close(done) }()
	defer func() { cancel(); <-done }()
	eq(t, "delivered", s.waitFor(c, 10), trimmed(numbered(0, 10)))
}
