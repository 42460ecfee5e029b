package netflow

import "testing"

// TestReorderedDatagramIsNotARestart: UDP may deliver a datagram after
// its successor (two paths, a busy switch). A v9 datagram that comes late
// has a smaller sequence number and a smaller uptime than the one before
// it; it was taken for an exporter restart (uptime going back), which drops
// the exporter's templates: the data that follows waits for templates the
// exporter sends again only every few minutes. And moving the expected
// sequence number back to it counted its successor as lost a second time.
// Filebeat takes a sequence number within 1000 of the last one for the
// same session. Here: 10, 11, 13, 12, 14: no restart, every flow decoded,
// and the late datagram counted lost once at most (when 13 showed the gap).
func TestReorderedDatagramIsNotARestart(t *testing.T) {
	h := newHarness(t, nil)
	from := "192.0.2.100:5000"
	h.send(from, v9Datagram(10, 7, 1000, templateSet(9, 256), dataSet(256, r1)))
	h.send(from, v9Datagram(11, 7, 2000, dataSet(256, r1)))
	h.send(from, v9Datagram(13, 7, 4000, dataSet(256, r1)))
	h.send(from, v9Datagram(12, 7, 3000, dataSet(256, r1))) // late
	h.send(from, v9Datagram(14, 7, 5000, dataSet(256, r1)))
	if got := h.counter("sequence.resets"); got != 0 {
		t.Errorf("sequence.resets = %d, want 0: a late datagram is not a restart", got)
	}
	if got := len(h.flows()); got != 5 {
		t.Errorf("%d flows decoded, want 5", got)
	}
	if got := h.counter("sequence.lost"); got > 1 {
		t.Errorf("sequence.lost = %d, want at most 1 (nothing was lost)", got)
	}
}
