package netflow

import (
	"net/netip"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/flow"
	"github.com/shipper-project/shipper/shipper/event"
)

// FuzzDecode: no panic and no endless loop on any datagram, for every
// version, with and without templates already known.
func FuzzDecode(f *testing.F) {
	f.Add(v9Datagram(1, 7, 1000, templateSet(9, 256), dataSet(256, r1, r2)))
	f.Add(ipfixDatagram(1, 7, templateSet(10, 256), dataSet(256, r1)))
	f.Add(v9Datagram(1, 7, 1000, dataSet(256, r1)))
	f.Add([]byte{0, 5, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0})
	f.Add(v9Datagram(4, 7, 1, []byte{0, 1, 0, 14, 1, 0, 0, 4, 0, 4, 0, 1, 0, 4, 0, 4, 0, 34, 0, 4}))
	f.Add(ipfixDatagram(1, 7, []byte{0, 3, 0, 20, 1, 0, 0, 2, 0, 1, 0, 149, 0, 4, 0x80, 1, 0xff, 0xff, 0, 0, 0x71, 0x79}))
	cfg := DefaultConfig()
	cfg.Protocols = []string{"v5", "v9", "ipfix"}
	if err := cfg.Validate(); err != nil {
		f.Fatal(err)
	}
	seed := [][]byte{
		v9Datagram(0, 7, 1, templateSet(9, 256)),
		ipfixDatagram(0, 7, templateSet(10, 256)),
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(cfg, nil, "fuzz", nil)
		from := netip.MustParseAddrPort("192.0.2.1:2055")
		emit := func(e *event.Event) error {
			event.AppendJSON(nil, e)
			return nil
		}
		for _, s := range seed {
			d.Decode(flow.Datagram{From: from, Received: time.Unix(1, 0), Data: s}, emit)
		}
		d.Decode(flow.Datagram{From: from, Received: time.Unix(2, 0), Data: b}, emit)
	})
}
