package geoip

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/oschwald/maxminddb-golang"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
)

// FuzzOpenDatabase opens arbitrary bytes as a database the way
// openDatabase does (checkMMDB, then maxminddb.FromBytes) and looks up a
// few addresses in what passes (tree.go's walker must find what
// maxminddb's LookupOffset finds), decoding the records as the processor does
// and as a generic value. Property: no panic (the checker runs without
// readChecked's recover here), and no allocation out of proportion to the
// input, which is what a corrupt length does (issue 14, item 5). The seeds
// are generated databases, whole, cut short and with flipped lengths; no
// database is committed.
func FuzzOpenDatabase(f *testing.F) {
	dir := f.TempDir()
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	if err := geoiptest.WriteCityDB(city, geoiptest.Cities()...); err != nil {
		f.Fatal(err)
	}
	if err := geoiptest.WriteASNDB(asn, geoiptest.ASNs()...); err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{city, asn} {
		db, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(db)
		f.Add(db[:len(db)/2])
		f.Add(db[len(db)/3:])
		// A byte of the metadata (its description map's length).
		meta := append([]byte(nil), db...)
		meta[len(meta)-len(meta)/4] ^= 0x1F
		f.Add(meta)
	}
	for _, db := range flipped(f) {
		f.Add(db)
	}
	f.Add([]byte("\xAB\xCD\xEFMaxMind.com"))
	f.Add([]byte("\xAB\xCD\xEFMaxMind.com\xFF\xFF\xFF\xFF"))
	f.Add([]byte{})

	addrs := []net.IP{
		net.ParseIP("81.2.69.160"), net.ParseIP("89.160.20.128"), net.ParseIP("216.160.83.58"),
		net.ParseIP("2001:218::1"), net.ParseIP("1.128.0.1"), net.ParseIP("8.8.8.8"), net.ParseIP("::"),
	}
	f.Fuzz(func(t *testing.T, db []byte) {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		if checkMMDB(db) != nil {
			return
		}
		r, err := maxminddb.FromBytes(db)
		if err != nil {
			return
		}
		data := dataSection(db, r)
		tr := newTree(db, r, len(data))
		for _, ip := range addrs {
			off, err := r.LookupOffset(ip)
			a, _ := netip.AddrFromSlice(ip)
			if got, gotErr := tr.lookup(a); (gotErr != nil) != (err != nil) || (err == nil && got != off) {
				t.Fatalf("tree lookup(%s) = %d, %v; maxminddb %d, %v", ip, got, gotErr, off, err)
			}
			if err != nil || off == maxminddb.NotFound {
				continue
			}
			var v any
			_, _ = data.decodeCity(uint(off), new(namedCache))
			_, _ = data.decodeASN(uint(off))
			_ = r.Decode(off, &v)
		}
		runtime.ReadMemStats(&m1)
		// Every element of a checked array or map takes at least one byte
		// of the file: what decoding may allocate grows with its size.
		if a, limit := m1.TotalAlloc-m0.TotalAlloc, uint64(1<<20+1024*len(db)); a > limit {
			t.Fatalf("opening and reading a %d-byte database allocated %d bytes (limit %d)", len(db), a, limit)
		}
	})
}
