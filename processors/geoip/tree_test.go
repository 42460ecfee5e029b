package geoip

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang"
)

// treeDB is a generated database for the tree walker's tests: networks of
// every prefix length (IPv4 /1 to /32, IPv6 /1 to /128, so that the tree
// ends at every depth), with IPv4 aliasing in the IPv6 tree as MaxMind
// writes it (::ffff:0:0/96, 2002::/16, Teredo) unless ipVersion is 4.
type treeDB struct {
	name  string
	db    *database
	r     *maxminddb.Reader
	addrs []netip.Addr // addresses inside the networks and around them
}

func writeTreeDB(t testing.TB, dir string, recordSize, ipVersion int, seed uint64) treeDB {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, uint64(recordSize*10+ipVersion)))
	w, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "GeoIP2-City", RecordSize: recordSize, IPVersion: ipVersion,
		Description: map[string]string{"en": "shipper tree test"}, IncludeReservedNetworks: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var addrs []netip.Addr
	for i := range 400 {
		var b [16]byte
		for j := range b {
			b[j] = byte(rng.IntN(256))
		}
		var p netip.Prefix
		if ipVersion == 4 || i%3 != 0 {
			a := netip.AddrFrom4([4]byte(b[:4]))
			p = netip.PrefixFrom(a, 1+rng.IntN(32)).Masked()
		} else {
			b[0] = 0x20 | b[0]&0x1f // mostly 2000::/3, like the real databases
			p = netip.PrefixFrom(netip.AddrFrom16(b), 1+rng.IntN(128)).Masked()
		}
		_, n, err := net.ParseCIDR(p.String())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Insert(n, mmdbtype.Map{"city": mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(fmt.Sprint("n", i))}}}); err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, p.Addr(), lastAddr(p), netip.AddrFrom16(b))
	}
	for range 400 {
		var b [16]byte
		for j := range b {
			b[j] = byte(rng.IntN(256))
		}
		a := netip.AddrFrom16(b)
		addrs = append(addrs, a, netip.AddrFrom4([4]byte(b[:4])),
			netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: b[0], 13: b[1], 14: b[2], 15: b[3]}), // IPv4-mapped
			netip.AddrFrom16([16]byte{12: b[0], 13: b[1], 14: b[2], 15: b[3]}),                     // IPv4-compatible
			netip.AddrFrom16([16]byte{0x20, 0x02, b[0], b[1], b[2], b[3]}),                         // 6to4
			netip.AddrFrom16([16]byte{0x20, 0x01, 0, 0, 8: b[0], 9: b[1], 12: b[2], 13: b[3]}),     // Teredo
		)
	}
	addrs = append(addrs, netip.IPv4Unspecified(), netip.AddrFrom4([4]byte{255, 255, 255, 255}), netip.IPv6Unspecified(),
		netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
	path := filepath.Join(dir, fmt.Sprintf("tree-%d-v%d.mmdb", recordSize, ipVersion))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := openDatabase(path, kindCity, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.close)
	r, err := maxminddb.FromBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return treeDB{fmt.Sprintf("record_size=%d,ip_version=%d", recordSize, ipVersion), db, r, addrs}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As16()
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	for i := bits; i < 128; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	if p.Addr().Is4() {
		return netip.AddrFrom16(b).Unmap()
	}
	return netip.AddrFrom16(b)
}

func writeTreeDBs(t testing.TB, seed uint64) []treeDB {
	dir := t.TempDir()
	var dbs []treeDB
	for _, rs := range []int{24, 28, 32} {
		for _, v := range []int{6, 4} {
			dbs = append(dbs, writeTreeDB(t, dir, rs, v, seed))
		}
	}
	return dbs
}

// checkTreeLookup compares the walker with maxminddb's LookupOffset for a.
func checkTreeLookup(t testing.TB, d treeDB, a netip.Addr) {
	t.Helper()
	got, err := d.db.tree.lookup(a)
	want, wantErr := d.r.LookupOffset(net.IP(a.AsSlice()))
	if (err != nil) != (wantErr != nil) || (err == nil && got != want) {
		t.Fatalf("%s: lookup(%s) = %d, %v; maxminddb LookupOffset = %d, %v", d.name, a, got, err, want, wantErr)
	}
	if wantErr != nil && err.Error() != wantErr.Error() {
		t.Errorf("%s: lookup(%s) error %q, maxminddb %q", d.name, a, err, wantErr)
	}
}

// TestTreeMatchesMaxminddb: the walker finds the record maxminddb's
// LookupOffset finds, for every record size, in IPv6 trees (with IPv4
// aliases) and IPv4-only ones, for IPv4, IPv4-mapped, IPv4-compatible,
// 6to4, Teredo and other IPv6 addresses, at network boundaries.
func TestTreeMatchesMaxminddb(t *testing.T) {
	for _, d := range writeTreeDBs(t, 1) {
		t.Run(d.name, func(t *testing.T) {
			found := 0
			for _, a := range d.addrs {
				checkTreeLookup(t, d, a)
				if off, err := d.db.tree.lookup(a); err == nil && off != maxminddb.NotFound {
					found++
				}
			}
			if found < len(d.addrs)/4 {
				t.Errorf("%d of %d addresses found: the test database is too sparse", found, len(d.addrs))
			}
			if d.r.Metadata.IPVersion == 6 && d.db.tree.ipv4Depth != 96 {
				t.Errorf("ipv4Depth = %d, want 96", d.db.tree.ipv4Depth)
			}
		})
	}
}

// FuzzTreeLookup: any address, any database of the six shapes: the walker
// agrees with maxminddb.
func FuzzTreeLookup(f *testing.F) {
	dbs := writeTreeDBs(f, 2)
	f.Add(uint8(0), []byte{81, 2, 69, 160})
	f.Add(uint8(1), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4})
	f.Add(uint8(2), []byte{0x20, 0x02, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		var a netip.Addr
		switch len(b) {
		case 4:
			a = netip.AddrFrom4([4]byte(b))
		case 16:
			a = netip.AddrFrom16([16]byte(b))
		default:
			return
		}
		checkTreeLookup(t, dbs[int(which)%len(dbs)], a)
	})
}

// BenchmarkTreeLookup compares the walker with maxminddb's LookupOffset on
// a real database (SHIPPER_GEOIP_CITY_DB, see BenchmarkRealDatabase) with
// random public IPv4 addresses.
func BenchmarkTreeLookup(b *testing.B) {
	path := os.Getenv("SHIPPER_GEOIP_CITY_DB")
	if path == "" {
		b.Skip("SHIPPER_GEOIP_CITY_DB is not set")
	}
	db, err := openDatabase(path, kindCity, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.close()
	addrs := randomPublicV4(1 << 16)
	b.Run("walker", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := db.tree.lookup(addrs[i%len(addrs)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("maxminddb", func(b *testing.B) {
		i := 0
		for b.Loop() {
			b4 := addrs[i%len(addrs)].As4()
			if _, err := db.r.LookupOffset(net.IP(b4[:])); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// randomPublicV4 is n random public IPv4 addresses spread like the bench
// generator's (scripts/bench/gen).
func randomPublicV4(n int) []netip.Addr {
	rng := rand.New(rand.NewPCG(42, 42))
	addrs := make([]netip.Addr, n)
	for i := range addrs {
		for {
			a := 1 + rng.IntN(223)
			if a == 10 || a == 127 || a == 100 || a == 169 || a == 172 || a == 192 || a == 198 || a == 203 {
				continue
			}
			addrs[i] = netip.AddrFrom4([4]byte{byte(a), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(1 + rng.IntN(254))})
			break
		}
	}
	return addrs
}

// TestTreeV4Table: every entry of the IPv4 table is where the walk from
// the IPv4 subtree stands after those 16 bits, in every database shape.
func TestTreeV4Table(t *testing.T) {
	for _, d := range writeTreeDBs(t, 3) {
		tr := &d.db.tree
		for p := range uint64(1 << 16) {
			if got, want := uint(tr.v4[p]), tr.walk(tr.ipv4Start, p<<48, 16); got != want {
				t.Fatalf("%s: v4[%#x] = %d, the walk stops at %d", d.name, p, got, want)
			}
		}
	}
}
