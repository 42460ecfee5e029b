package flowtest

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

// Relay forwards UDP datagrams from an exporter to a collector and drops
// the ones Drop picks: datagrams lost on the way, by number, so a test
// knows exactly what the collector must report missing.
type Relay struct {
	Addr string // where the exporter sends
	// Drop is called for every datagram in arrival order (n from 0).
	Drop func(n int, b []byte) bool

	in, out *net.UDPConn
	mu      sync.Mutex
	seen    int
	dropped int
	ended   bool // the marker of Finish came through
	done    chan struct{}
}

var relayEnd = []byte("flowtest relay: end")

// NewRelay listens on a free local port and forwards to dest.
func NewRelay(t testing.TB, dest string, drop func(n int, b []byte) bool) *Relay {
	t.Helper()
	in, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	daddr, err := net.ResolveUDPAddr("udp", dest)
	if err != nil {
		t.Fatal(err)
	}
	out, err := net.DialUDP("udp", nil, daddr)
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{Addr: in.LocalAddr().String(), Drop: drop, in: in, out: out, done: make(chan struct{})}
	go r.run()
	t.Cleanup(func() { in.Close(); out.Close(); <-r.done })
	return r
}

func (r *Relay) run() {
	defer close(r.done)
	buf := make([]byte, 65536)
	for {
		n, err := r.in.Read(buf)
		if err != nil {
			return
		}
		b := buf[:n]
		if bytes.Equal(b, relayEnd) {
			r.mu.Lock()
			r.ended = true
			r.mu.Unlock()
			continue
		}
		r.mu.Lock()
		i := r.seen
		r.seen++
		drop := r.Drop != nil && r.Drop(i, b)
		if drop {
			r.dropped++
		}
		r.mu.Unlock()
		if !drop {
			r.out.Write(b)
		}
	}
}

// Finish waits until the relay has handled every datagram sent to it
// before the call (a marker sent after them comes through last: loopback
// keeps the order of one socket's queue) and returns how many it forwarded
// and dropped.
func (r *Relay) Finish(t testing.TB) (forwarded, dropped int) {
	t.Helper()
	c, err := net.Dial("udp", r.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(relayEnd); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "the relay to forward every datagram", 30*time.Second, func() int64 {
		r.mu.Lock()
		defer r.mu.Unlock()
		return int64(r.seen)
	}, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.ended
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = false
	return r.seen - r.dropped, r.dropped
}
