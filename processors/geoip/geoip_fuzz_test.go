package geoip

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// FuzzRun feeds arbitrary field values to the processor over a generated
// database. Property: no panic, no error (the field is present), and
// fields are only added for a value that is a public IP address.
func FuzzRun(f *testing.F) {
	for _, s := range []string{
		"81.2.69.160", "2001:218::1", "::ffff:81.2.69.160", "64:ff9b::5102:45a0", "10.0.0.1", "fe80::1%eth0",
		"8.8.8.8", "example.org", "-", "", "81.2.69.160:443", "[::1]:80", "1.2.3", "::ffff:300.1.1.1",
		"2001:db8::1", "100.64.0.1", "0x51.2.69.160", "81.002.069.160", "fe80::1%", strings.Repeat("1", 100),
	} {
		f.Add(s)
	}
	env := newTestEnv(f)
	p, err := New(env.config(), env.penv())
	if err != nil {
		f.Fatal(err)
	}
	defer p.Close()
	f.Fuzz(func(t *testing.T, s string) {
		e := event.New(time.Unix(0, 0), 4)
		e.Fields.Add("destination.ip", s)
		out, err := p.Run(e)
		if err != nil || out != e {
			t.Fatalf("Run(%q) = %v, %v", s, out, err)
		}
		if len(e.Fields) == 1 {
			return
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			t.Fatalf("Run(%q) added fields for a value that is not an address: %v", s, e.Fields)
		}
		if _, public := lookupAddr(a); !public {
			t.Fatalf("Run(%q) added fields for a special address: %v", s, e.Fields)
		}
	})
}
