package sflow

import "testing"

// TestLateDatagramNotCountedTwice: a datagram delivered after its
// successor (UDP reorders) moved the expected sequence number back to it,
// so the next datagram showed the same gap again: 10, 11, 13, 12, 14
// counted 2 lost datagrams where none was lost. It is counted once (when
// 13 showed the gap) at most.
func TestLateDatagramNotCountedTwice(t *testing.T) {
	h := newHarness(t)
	for _, seq := range []uint32{10, 11, 13, 12, 14} {
		h.send(datagram(seq, counterSample()))
	}
	if got := h.m.Counter("sf.sequence.lost").Load(); got > 1 {
		t.Errorf("sequence.lost = %d, want at most 1 (nothing was lost)", got)
	}
	if got := h.m.Counter("sf.sequence.resets").Load(); got != 0 {
		t.Errorf("sequence.resets = %d, want 0", got)
	}
}
