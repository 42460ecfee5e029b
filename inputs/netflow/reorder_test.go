package netflow

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

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

// TestUptimeWrapIsNotARestart: a v9 header's uptime is a 32-bit count of
// milliseconds, which wraps every 49.7 days: an exporter up longer (most
// routers) sends, once per wrap, a datagram whose uptime is below the last
// one while its sequence number simply follows. That is no restart: the
// templates must be kept (dropped, the exporter's data waits for templates
// it sends again only every few minutes, and with pending_records: 0 it is
// lost).
func TestUptimeWrapIsNotARestart(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.PendingRecords = 0 })
	from := "192.0.2.100:5000"
	h.send(from, v9Datagram(10, 7, 1<<32-1500, templateSet(9, 256), dataSet(256, r1)))
	h.send(from, v9Datagram(11, 7, 1<<32-500, dataSet(256, r1)))
	h.send(from, v9Datagram(12, 7, 500, dataSet(256, r1))) // the uptime wrapped
	h.send(from, v9Datagram(13, 7, 1500, dataSet(256, r1)))
	if got := h.counter("sequence.resets"); got != 0 {
		t.Errorf("sequence.resets = %d, want 0: the uptime wrapped, the exporter did not restart", got)
	}
	if got := len(h.flows()); got != 4 {
		t.Errorf("%d flows decoded, want 4", got)
	}
	if got := h.counter("sequence.lost"); got != 0 {
		t.Errorf("sequence.lost = %d, want 0", got)
	}
}

// v5Datagram builds a NetFlow v5 datagram of n records (all r1).
func v5Datagram(seq, uptime uint32, n int) []byte {
	b := binary.BigEndian.AppendUint16(nil, 5)
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = binary.BigEndian.AppendUint32(b, uptime)
	b = binary.BigEndian.AppendUint32(b, 1700000000) // unix secs
	b = binary.BigEndian.AppendUint32(b, 0)          // nsecs
	b = binary.BigEndian.AppendUint32(b, seq)
	b = append(b, 0, 0, 0, 0) // engine type, id, sampling
	for range n {
		s, d := netip.MustParseAddr(r1.src).As4(), netip.MustParseAddr(r1.dst).As4()
		rec := make([]byte, 48)
		copy(rec[0:], s[:])
		copy(rec[4:], d[:])
		binary.BigEndian.PutUint32(rec[16:], r1.pkts)
		binary.BigEndian.PutUint32(rec[20:], r1.bytes)
		binary.BigEndian.PutUint16(rec[32:], r1.sport)
		binary.BigEndian.PutUint16(rec[34:], r1.dport)
		rec[38] = r1.proto
		b = append(b, rec...)
	}
	return b
}

// TestLateV5AndIPFIXNotCountedTwice: v5 and IPFIX number flow records, and
// their gaps are measured by recordSeq, after the check that leaves a late
// datagram's sequence alone (TestReorderedDatagramIsNotARestart, v9). A
// datagram delivered after its successor showed its records as lost when
// the successor came (right, then), and again when the next one came:
// measured from the late one, it seemed to follow a gap of the successor's
// records. Here the third message comes before the second: its records are
// counted lost once at most.
func TestLateV5AndIPFIXNotCountedTwice(t *testing.T) {
	t.Run("v5", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Protocols = []string{"v5", "v9", "ipfix"} })
		from := "192.0.2.100:5000"
		h.send(from, v5Datagram(0, 1000, 2))
		h.send(from, v5Datagram(2, 2000, 2))
		h.send(from, v5Datagram(6, 4000, 2))
		h.send(from, v5Datagram(4, 3000, 2)) // late
		h.send(from, v5Datagram(8, 5000, 2))
		if got := len(h.flows()); got != 10 {
			t.Errorf("%d flows decoded, want 10", got)
		}
		if got := h.counter("sequence.lost"); got > 2 {
			t.Errorf("sequence.lost = %d, want at most 2 (nothing was lost; the late message's 2 records once)", got)
		}
		if got := h.counter("sequence.resets"); got != 0 {
			t.Errorf("sequence.resets = %d, want 0", got)
		}
	})
	t.Run("ipfix", func(t *testing.T) {
		h := newHarness(t, nil)
		from := "192.0.2.101:6000"
		h.send(from, ipfixDatagram(100, 1, templateSet(10, 256), dataSet(256, r1, r2)))
		h.send(from, ipfixDatagram(102, 1, dataSet(256, r1, r2)))
		h.send(from, ipfixDatagram(106, 1, dataSet(256, r1, r2)))
		h.send(from, ipfixDatagram(104, 1, dataSet(256, r1, r2))) // late
		h.send(from, ipfixDatagram(108, 1, dataSet(256, r1, r2)))
		if got := len(h.flows()); got != 10 {
			t.Errorf("%d flows decoded, want 10", got)
		}
		if got := h.counter("sequence.lost"); got > 2 {
			t.Errorf("sequence.lost = %d, want at most 2 (nothing was lost; the late message's 2 records once)", got)
		}
		if got := h.counter("sequence.resets"); got != 0 {
			t.Errorf("sequence.resets = %d, want 0", got)
		}
	})
}
