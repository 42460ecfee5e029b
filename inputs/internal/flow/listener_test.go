package flow

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/monitoring"
)

// Every datagram read is either handled, waiting in the queue, or counted
// as dropped: with the handler stalled (a full pipeline) the bounded queue
// fills and the rest are dropped and counted, never blocking the socket.
func TestQueueFullDropsCounted(t *testing.T) {
	m := monitoring.NewRegistry()
	c := NewCounters(m, "in")
	l, err := Listen(ListenerConfig{Host: "127.0.0.1:0", MaxMessageSize: 100, QueueSize: 4}, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.stats = NewStats(time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	stall := make(chan struct{})
	handled := 0
	done := make(chan error, 1)
	go func() {
		done <- l.Run(ctx, func(d Datagram) error {
			<-stall
			handled++
			return nil
		})
	}()
	conn, err := net.Dial("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const sent = 50
	for i := 0; i < sent; i++ {
		conn.Write([]byte("datagram"))
	}
	conn.Write(make([]byte, 200)) // too big
	// Wait until every datagram is accounted for: received by us or
	// dropped by the kernel.
	accounted := func() int64 { return c.Received.Load() + c.DroppedKernel.Load() }
	last, lastMove := accounted(), time.Now()
	for accounted() < sent+1 {
		if a := accounted(); a != last {
			last, lastMove = a, time.Now()
		}
		if time.Since(lastMove) > 30*time.Second {
			t.Fatalf("stuck at %d of %d datagrams: %v", last, sent+1, m.Snapshot())
		}
		time.Sleep(time.Millisecond)
	}
	if c.DroppedBig.Load() != 1 {
		t.Errorf("too_big = %d", c.DroppedBig.Load())
	}
	if c.DroppedQueue.Load() == 0 {
		t.Errorf("queue_full = 0 with a stalled handler: %v", m.Snapshot())
	}
	close(stall)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// handled (1 in flight + up to 4 queued, depending on the stop) +
	// still queued + dropped = received.
	total := int64(handled) + c.QueueLen.Load() + c.DroppedQueue.Load() + c.DroppedBig.Load()
	if total != c.Received.Load() {
		t.Errorf("handled %d + queued %d + dropped %d + too big %d != received %d", handled, c.QueueLen.Load(), c.DroppedQueue.Load(), c.DroppedBig.Load(), c.Received.Load())
	}
	// The exporter_stats documents put the drops on the sender.
	r := l.stats.Report(time.Now())
	from := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	if got := r.Exporters[from]; got.DroppedQueue != c.DroppedQueue.Load() || got.DroppedBig != 1 || len(r.Exporters) != 1 {
		t.Errorf("exporter_stats %v, want %v with %d queue_full and 1 too_big", r.Exporters, from, c.DroppedQueue.Load())
	}
}

// The kernel's drop counter (SO_RXQ_OVFL) is read: a tiny socket buffer
// and nobody reading makes the kernel drop, and the counter shows it once
// reading resumes.
func TestKernelDropsCounted(t *testing.T) {
	m := monitoring.NewRegistry()
	c := NewCounters(m, "in")
	l, err := Listen(ListenerConfig{Host: "127.0.0.1:0", ReadBuffer: 1, MaxMessageSize: 2000, QueueSize: 10000}, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const sent = 200
	for i := 0; i < sent; i++ { // before Run: nothing reads, the buffer overflows
		conn.Write(make([]byte, 1000))
	}
	l.stats = NewStats(time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, func(Datagram) error { return nil }) }()
	// One more datagram after the drops carries the counter.
	last, lastMove := int64(-1), time.Now()
	for c.Received.Load()+c.DroppedKernel.Load() < sent+1 {
		conn.Write([]byte("x"))
		if a := c.Received.Load() + c.DroppedKernel.Load(); a != last {
			last, lastMove = a, time.Now()
		}
		if time.Since(lastMove) > 30*time.Second {
			t.Fatalf("stuck: %v", m.Snapshot())
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if c.DroppedKernel.Load() == 0 {
		t.Fatalf("kernel drops not counted: %v", m.Snapshot())
	}
	if r := l.stats.Report(time.Now()); r.DroppedKernel != c.DroppedKernel.Load() || len(r.Documents("netflow")) != 1 {
		t.Errorf("exporter_stats: kernel drops %d, want %d on the input's document", r.DroppedKernel, c.DroppedKernel.Load())
	}
	t.Logf("received %d, kernel dropped %d", c.Received.Load(), c.DroppedKernel.Load())
}
