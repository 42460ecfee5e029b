package geoip

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"

	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/oschwald/maxminddb-golang"
)

// kind is what a database file must hold.
type kind int

const (
	kindCity kind = iota // City or Country (`database`)
	kindASN              // ASN (`asn_database`)
)

func (k kind) key() string {
	if k == kindASN {
		return "asn_database"
	}
	return "database"
}

// database is one opened .mmdb file. The reader memory-maps the file: a
// 60–130 MB City database then costs page cache, not heap, which matters on a
// router. The file must therefore be replaced by rename (as geoipupdate does),
// not rewritten in place; lookup survives the latter anyway (see lookup).
type database struct {
	path    string
	kind    kind
	r       *maxminddb.Reader
	mapped  []byte   // the file, mapped read-only; r reads it
	data    mmdbData // its data section, read by decodeCity and decodeASN
	tree    tree     // its search tree, walked by offset
	intern  *internTable
	named   *namedCache // decodeCity's shared maps
	fi      fs.FileInfo // identity of the loaded file, to notice a replacement
	stamped bool        // its SHA-256 was in the stamp file: not checked again
	typ     string      // metadata database_type, e.g. "GeoLite2-City"
	built   time.Time   // metadata build_epoch
}

// howToGet says where a database of kind k comes from, for the error when
// the file is missing.
func howToGet(k kind) string {
	if k == kindASN {
		return "get one with geoipupdate (free MaxMind account and licence key, EditionIDs GeoLite2-ASN) " +
			"or download the free DB-IP \"IP to ASN Lite\" mmdb from https://db-ip.com/db/download/ip-to-asn-lite"
	}
	return "get one with geoipupdate (free MaxMind account and licence key, EditionIDs GeoLite2-City or GeoLite2-Country) " +
		"or download the free DB-IP \"IP to City Lite\" mmdb from https://db-ip.com/db/download/ip-to-city-lite"
}

// openDatabase opens and checks the file at path. Its errors say what is
// wrong and what to do, and name the path.
//
// The file is mapped here rather than by maxminddb.Open so that the bytes
// checked by checkMMDB are the bytes the reader uses, and so that nothing
// of the file is decoded before it is checked: maxminddb.FromBytes
// decodes the metadata, and a lookup decodes records, allocating whatever
// length a corrupt file claims (issue 14: one lookup of a City database
// with one flipped byte allocated ~454 MiB).
//
// st, when not nil, holds the SHA-256 of the files checked before
// (stamp.go): a file whose hash is there is not checked again, and a file
// that passes the check is added.
func openDatabase(path string, k kind, st *stamps) (*database, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("geoip database %s does not exist; %s", path, howToGet(k))
	}
	if err != nil {
		return nil, fmt.Errorf("geoip database %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("geoip database %s: %w", path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("geoip database %s is a directory, want an .mmdb file; %s", path, howToGet(k))
	}
	if fi.Size() == 0 {
		return nil, fmt.Errorf("geoip database %s is not a valid MaxMind DB file (the file is empty); replace it with a fresh copy", path)
	}
	if fi.Size() != int64(int(fi.Size())) {
		return nil, fmt.Errorf("geoip database %s: %d bytes do not fit in memory", path, fi.Size())
	}
	buf, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("open geoip database %s: mmap: %w", path, err)
	}
	r, sum, checked, err := readChecked(buf, st)
	if err != nil {
		syscall.Munmap(buf)
		return nil, fmt.Errorf("geoip database %s is not a valid MaxMind DB file (%v); replace it with a fresh copy", path, err)
	}
	// The check (or the hash) read every page of the file: drop them from
	// this process's resident set (they stay in the page cache), so that
	// RSS counts the pages lookups touch, not the whole 65 MB of a City
	// database; and give back the check's bitmaps (8 MiB for a City
	// database) now rather than at the scavenger's pace. Both only at
	// (re)load.
	_ = syscall.Madvise(buf, syscall.MADV_DONTNEED)
	if checked {
		debug.FreeOSMemory()
		st.record(sum, fi.Size(), path)
	}
	typ := r.Metadata.DatabaseType
	if !typeFits(typ, k) {
		r.Close()
		syscall.Munmap(buf)
		if k == kindASN {
			return nil, fmt.Errorf("geoip database %s is a %q database; asn_database needs an ASN database (GeoLite2-ASN, DB-IP ASN Lite)", path, typ)
		}
		return nil, fmt.Errorf("geoip database %s is a %q database; database needs a City or Country database (an ASN database goes in asn_database)", path, typ)
	}
	data := dataSection(buf, r)
	return &database{
		path:    path,
		kind:    k,
		r:       r,
		mapped:  buf,
		data:    data,
		tree:    newTree(buf, r, len(data)),
		intern:  new(internTable),
		named:   new(namedCache),
		fi:      fi,
		stamped: !checked,
		typ:     typ,
		built:   time.Unix(int64(r.Metadata.BuildEpoch), 0).UTC(),
	}, nil
}

// readChecked checks the structure of the database in buf (checkMMDB),
// unless its SHA-256 is in st, and returns a reader over it, the SHA-256
// (when st is not nil) and whether the check ran. A fault while reading the
// mapping (the file was truncated meanwhile) is an error, as in lookup.
func readChecked(buf []byte, st *stamps) (r *maxminddb.Reader, sum [sha256.Size]byte, checked bool, err error) {
	prev := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(prev)
		if p := recover(); p != nil {
			if _, ok := p.(runtime.Error); !ok {
				panic(p)
			}
			r, checked, err = nil, false, fmt.Errorf("reading the file failed: %v (was it modified in place?)", p)
		}
	}()
	release := dropPages(buf)
	if st != nil {
		sum = hashMapped(buf, releaseEvery, release)
	}
	if st == nil || !st.verified(sum, int64(len(buf))) {
		if err := checkMapped(buf, releaseEvery, release); err != nil {
			return nil, sum, false, err
		}
		checked = true
	}
	r, err = maxminddb.FromBytes(buf)
	return r, sum, checked && err == nil, err
}

// dropPages returns a function that drops the pages of the mapping buf in
// [lo, hi) from the process's resident set (narrowed to whole pages): they
// stay in the page cache, and a later read maps them again.
func dropPages(buf []byte) func(lo, hi int) {
	page := os.Getpagesize()
	return func(lo, hi int) {
		lo = (lo + page - 1) &^ (page - 1)
		hi &^= page - 1
		if lo < hi {
			_ = syscall.Madvise(buf[lo:hi], syscall.MADV_DONTNEED)
		}
	}
}

// dataSection is the data section of the database in buf, where
// maxminddb.FromBytes (which checked the bounds) found it.
func dataSection(buf []byte, r *maxminddb.Reader) mmdbData {
	treeSize := r.Metadata.NodeCount * r.Metadata.RecordSize / 4
	return mmdbData(buf[treeSize+16 : bytes.LastIndex(buf, metadataMarker)])
}

// typeFits tells whether a database_type holds the records kind k reads. It
// accepts the MaxMind and DB-IP names geoip2-golang accepts for City/Country
// and ASN lookups, by substring so that "DBIP-City-Lite" and
// "GeoIP2-City-Europe" pass too.
func typeFits(typ string, k kind) bool {
	if k == kindASN {
		return strings.Contains(typ, "ASN") || strings.Contains(typ, "ISP")
	}
	for _, s := range []string{"City", "Country", "Location", "Enterprise"} {
		if strings.Contains(typ, s) {
			return true
		}
	}
	return false
}

func (d *database) close() {
	if d != nil {
		d.r.Close()
		syscall.Munmap(d.mapped)
	}
}

// offset returns the data-section offset of a's record, or
// maxminddb.NotFound. The caller guards against faults (lookupDB).
func (d *database) offset(a netip.Addr) (uintptr, error) {
	off, err := d.tree.lookup(a)
	if err != nil {
		return 0, fmt.Errorf("look up %s in %s: %w", a, d.path, err)
	}
	return off, nil
}

// decodeCity reads the City record at off (from offset).
func (d *database) decodeCity(off uintptr) (cityVals, error) {
	v, err := d.data.decodeCity(uint(off), d.named)
	if err != nil {
		return v, fmt.Errorf("decode record at %d in %s: %w", off, d.path, err)
	}
	return v, nil
}

// decodeASN reads the ASN record at off (from offset).
func (d *database) decodeASN(off uintptr) (asnVals, error) {
	v, err := d.data.decodeASN(uint(off))
	if err != nil {
		return v, fmt.Errorf("decode record at %d in %s: %w", off, d.path, err)
	}
	return v, nil
}

// recoverFault, deferred after debug.SetPanicOnFault(true) (whose result
// is prev), turns a fault or a runtime error while reading the mapped
// databases dbs (nil ones ignored) into *err.
func recoverFault(prev bool, err *error, dbs ...*database) {
	debug.SetPanicOnFault(prev)
	if r := recover(); r != nil {
		if _, ok := r.(runtime.Error); !ok {
			panic(r)
		}
		var paths []string
		for _, d := range dbs {
			if d != nil {
				paths = append(paths, d.path)
			}
		}
		*err = fmt.Errorf("read geoip database %s: %v (was the file modified in place?)", strings.Join(paths, " or "), r)
	}
}

// sameFile reports whether a and b describe the same, unchanged file.
func sameFile(a, b fs.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
