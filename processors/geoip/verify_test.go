package geoip

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oschwald/geoip2-golang"
	"github.com/oschwald/maxminddb-golang"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
)

// corrupt returns a copy of the database db with the byte at the first
// occurrence of pattern in its data section replaced by b.
func corrupt(t testing.TB, db []byte, pattern []byte, b byte) []byte {
	t.Helper()
	r, err := maxminddb.FromBytes(db)
	if err != nil {
		t.Fatal(err)
	}
	start := int(r.Metadata.NodeCount*r.Metadata.RecordSize/4) + 16
	i := bytes.Index(db[start:], pattern)
	if i < 0 {
		t.Fatalf("no %x in the data section", pattern)
	}
	out := bytes.Clone(db)
	out[start+i] = b
	return out
}

// One-element array (a record's subdivisions: control byte 0x01, extended
// type 11 (0x04), then the element, a map of 2 keys (0xE2)), and a map of
// 2 keys holding a string key of 8 bytes ("iso_code").
var (
	oneElementArray = []byte{0x01, 0x04, 0xE2}
	twoKeyMap       = []byte{0xE2, 0x48}
)

// flipped are City databases made by geoiptest with one byte changed.
func flipped(t testing.TB) map[string][]byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "city.mmdb")
	if err := geoiptest.WriteCityDB(path, geoiptest.Cities()...); err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		// Size field 31: the 3 bytes after the type are the length, and
		// they are the element's first bytes: 65821 + 0xE2xxxx ≈ 14.9
		// million elements, 454 MiB for the decoder's []struct (issue 14).
		"huge array length": corrupt(t, db, oneElementArray, 0x1F),
		// Size field 29: 29 + 0xE2 = 255 elements.
		"array length": corrupt(t, db, oneElementArray, 0x1D),
		// A map of 2 becomes a map of 31 + 3-byte length.
		"huge map length": corrupt(t, db, twoKeyMap, 0xFF),
		"map length":      corrupt(t, db, twoKeyMap, 0xE3),
	}
}

// A corrupt database is refused when it is opened, with the file and what
// is wrong, and without allocating what the corrupt length claims: no
// lookup ever reads it (issue 14, item 5).
func TestCorruptLengthRefused(t *testing.T) {
	for name, db := range flipped(t) {
		t.Run(name, func(t *testing.T) {
			env := newTestEnv(t)
			if err := os.WriteFile(env.city, db, 0o644); err != nil {
				t.Fatal(err)
			}
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			d, err := openDatabase(env.city, kindCity, nil)
			runtime.ReadMemStats(&m1)
			if err == nil {
				d.close()
				t.Fatalf("openDatabase(%s) succeeded, want an error", name)
			}
			t.Logf("error: %v", err)
			want := []string{env.city, "not a valid MaxMind DB file", "data section"}
			if strings.HasPrefix(name, "huge") {
				want = append(want, "claims")
			}
			for _, want := range want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if a := m1.TotalAlloc - m0.TotalAlloc; a > 1<<20 {
				t.Errorf("openDatabase allocated %d bytes for a %d-byte file", a, len(db))
			}
			if _, err := New(env.config(), env.penv()); err == nil || !strings.Contains(err.Error(), env.city) {
				t.Errorf("New over %s: %v, want an error naming the file", name, err)
			}
		})
	}
}

// maxminddb's Verify catches a flipped length too, but it decodes the
// array first: it is no guard against the allocation (see verify.go).
func TestLibraryVerifyCatchesFlippedLength(t *testing.T) {
	for _, name := range []string{"array length", "map length"} {
		r, err := maxminddb.FromBytes(flipped(t)[name])
		if err != nil {
			t.Fatalf("%s: FromBytes: %v", name, err)
		}
		if err := r.Verify(); err == nil {
			t.Errorf("%s: Verify() = nil, want an error", name)
		}
	}
}

// The checks accept what mmdbwriter writes, City and ASN, IPv4-only too.
func TestCheckAcceptsGenerated(t *testing.T) {
	dir := t.TempDir()
	city, asn, v4 := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb"), filepath.Join(dir, "v4.mmdb")
	if err := geoiptest.WriteCityDB(city, geoiptest.Cities()...); err != nil {
		t.Fatal(err)
	}
	if err := geoiptest.WriteASNDB(asn, geoiptest.ASNs()...); err != nil {
		t.Fatal(err)
	}
	if err := geoiptest.WriteCityDB(v4, geoiptest.Cities()[:3]...); err != nil {
		t.Fatal(err)
	}
	for p, k := range map[string]kind{city: kindCity, asn: kindASN, v4: kindCity} {
		d, err := openDatabase(p, k, nil)
		if err != nil {
			t.Errorf("openDatabase(%s) = %v", filepath.Base(p), err)
			continue
		}
		d.close()
		db, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := maxminddb.FromBytes(db)
		if err := r.Verify(); err != nil {
			t.Errorf("Verify(%s) = %v", filepath.Base(p), err)
		}
	}
}

// A replacement file that opens but fails the check is refused like a
// garbage file: the loaded database stays in use.
func TestCorruptLengthReloadKeepsDatabase(t *testing.T) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.CheckInterval = 20 * time.Millisecond
	p := env.open(cfg)
	bad := flipped(t)["huge array length"]
	if _, err := maxminddb.FromBytes(bad); err != nil {
		t.Fatalf("the corrupt file should open with maxminddb: %v", err)
	}
	env.replace(env.city, bad)
	env.waitFor("reload error", func() bool { return env.counter("reload_errors") >= 1 })
	if e := run(t, p, "81.2.69.160"); !cmp.Equal(fieldMap(e), london) {
		t.Errorf("after a bad reload: %v, want the old database's answer", fieldMap(e))
	}
	if logs := env.logs.String(); !strings.Contains(logs, "geoip database reload failed, keeping the loaded one") || !strings.Contains(logs, "claims") {
		t.Errorf("no error log saying what is wrong:\n%s", logs)
	}
	if got := env.counter("reloads"); got != 0 {
		t.Errorf("reloads = %d, want 0", got)
	}
}

// TestCheckReleasesAsItGoes: with a release function, the check hands
// back the data section and then the search tree in ascending, disjoint
// ranges about `every` bytes long, covering each but its last stretch;
// dropping those pages of a real mapping as it goes (what openDatabase
// does) leaves the database readable: every generated network still
// decodes as geoip2-golang reads it.
func TestCheckReleasesAsItGoes(t *testing.T) {
	cityPath, _, nets := writeGeneratedDBs(t, 5, 3000)
	db, err := os.ReadFile(cityPath)
	if err != nil {
		t.Fatal(err)
	}
	r, err := maxminddb.FromBytes(db)
	if err != nil {
		t.Fatal(err)
	}
	treeSize := int(r.Metadata.NodeCount * r.Metadata.RecordSize / 4)
	dataEnd := bytes.LastIndex(db, metadataMarker)
	const every = 16 << 10
	var got [][2]int
	if err := checkMapped(db, every, func(lo, hi int) { got = append(got, [2]int{lo, hi}) }); err != nil {
		t.Fatal(err)
	}
	// The data section's ranges, then the tree's.
	var data, tree [][2]int
	for i, g := range got {
		if g[0] >= treeSize {
			if len(tree) > 0 {
				t.Fatalf("range %d %v of the data section after the tree's", i, g)
			}
			data = append(data, g)
		} else {
			tree = append(tree, g)
		}
	}
	check := func(what string, rs [][2]int, lo, hi int) {
		t.Helper()
		if len(rs) == 0 {
			t.Fatalf("no range released in the %s [%d, %d)", what, lo, hi)
		}
		at := lo
		for _, g := range rs {
			if g[0] != at || g[1] <= g[0] || g[1] > hi || g[1]-g[0] < every {
				t.Fatalf("%s ranges %v: want contiguous from %d, each of at least %d bytes, within [%d, %d)", what, rs, lo, every, lo, hi)
			}
			at = g[1]
		}
		if hi-at > 2*every {
			t.Errorf("%s ranges end at %d, %d bytes before the end %d", what, at, hi-at, hi)
		}
	}
	check("data section", data, treeSize+16, dataEnd)
	check("search tree", tree, 0, treeSize)

	// The same on the file's mapping, dropping the pages.
	f, err := os.Open(cityPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf, err := syscall.Mmap(int(f.Fd()), 0, len(db), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(buf)
	if err := checkMapped(buf, every, dropPages(buf)); err != nil {
		t.Fatal(err)
	}
	mr, err := maxminddb.FromBytes(buf)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := geoip2.FromBytes(db)
	if err != nil {
		t.Fatal(err)
	}
	d := dataSection(buf, mr)
	for _, n := range nets {
		off, err := mr.LookupOffset(net.IP(n.addr.AsSlice()))
		if err != nil || off == maxminddb.NotFound {
			continue
		}
		v, err := d.decodeCity(uint(off), nil)
		if err != nil {
			t.Fatalf("decodeCity(%s) after the check dropped the pages: %v", n.addr, err)
		}
		c, _ := ref.City(net.IP(n.addr.AsSlice()))
		if got, want := string(d[v.countryISO.off:v.countryISO.off+v.countryISO.n]), c.Country.IsoCode; got != want {
			t.Fatalf("%s: country %q after the check dropped the pages, want %q", n.addr, got, want)
		}
	}
}
