package geoip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
)

// This file reads the few values the processor writes straight from a
// record's bytes (issue 17). maxminddb's Decode into a struct goes through
// reflection and copies every string it meets; with a real GeoLite2-City
// database and addresses that rarely repeat, that decode and its garbage
// were most of the processor's cost. The decoder here walks the record's
// map, follows the keys the document needs (continent, country, first
// subdivision, city, location; ASN number and organization) and skips the
// rest, without allocating: a string is remembered by its offset in the
// data section, and turned into an event value (a string boxed in an
// interface) through the database's intern table, which hands out the same
// value for the same offset. A database shares its strings through
// pointers ("Europe" is stored once), so most of them are found there.
//
// The decoder follows maxminddb's semantics for the keys it reads, so that
// the documents stay the same (TestDecoderMatchesGeoip2 compares it with
// geoip2-golang's full record): a key given twice is read twice, the later
// value winning field by field; a value of the wrong type is an error;
// every element of `subdivisions` is read, the first one kept; `names`
// keeps "en". It never panics on a corrupt data section (FuzzDecode): every
// offset and length is checked against the section's end, and pointer
// chains and skipped values are bounded.

// maxPointerChain bounds the pointers followed for one value; the spec
// allows one (a pointer never points to a pointer), maxminddb stops at its
// depth limit.
const maxPointerChain = 8

var errCut = errors.New("the data section ends inside a value")

// maxRecordValues bounds the map entries and array elements one record's
// decode reads, pointers followed. A real City record reads about 50; a
// crafted data section can point many keys at one large value (pointers
// only have to go backwards), and a few hundred KB would then make one
// lookup read 10^10 values (TestDecodeBoundsCraftedRecords).
const maxRecordValues = 4096

var errTooMany = fmt.Errorf("the record reads more than %d values (a crafted database?)", maxRecordValues)

// spend counts one value read against the record's budget.
func spend(left *int) error {
	if *left--; *left < 0 {
		return errTooMany
	}
	return nil
}

// mmdbData is the data section of a database.
type mmdbData []byte

// ctrl reads the control byte(s) at off (ctrlAt).
func (d mmdbData) ctrl(off uint) (typ int, size uint, next uint, err error) {
	typ, size, next, ok := ctrlAt(d, off)
	if !ok {
		return 0, 0, 0, ctrlError(d, off)
	}
	return typ, size, next, nil
}

// pointer decodes a pointer whose control byte is c and whose payload
// starts at next: the offset it points to and the offset after it.
func (d mmdbData) pointer(c, next uint) (p, end uint, err error) {
	p, end, ok := pointerAt(d, c, next)
	if !ok {
		return 0, 0, errCut
	}
	return p, end, nil
}

// item is one value, pointers followed: its type, size field and payload
// offset.
type item struct {
	typ        int
	size, data uint
}

// value reads the value at off, following pointers. end is the offset
// after the value at off when it is a pointer (the value it points to
// lies elsewhere), 0 when it is not (the caller reads past it).
func (d mmdbData) value(off uint) (it item, end uint, err error) {
	for range maxPointerChain {
		typ, size, next, err := d.ctrl(off)
		if err != nil {
			return item{}, 0, err
		}
		if typ != tPointer {
			return item{typ, size, next}, end, nil
		}
		p, after, err := d.pointer(size, next)
		if err != nil {
			return item{}, 0, err
		}
		if end == 0 {
			end = after
		}
		off = p
	}
	return item{}, 0, fmt.Errorf("more than %d pointers in a row at %d", maxPointerChain, off)
}

// skip returns the offset after the value at off, without following its
// pointers. Each step reads at least one byte, so a corrupt count ends at
// the section's end.
func (d mmdbData) skip(off uint) (uint, error) {
	for n := uint(1); n > 0; n-- {
		typ, size, next, err := d.ctrl(off)
		if err != nil {
			return 0, err
		}
		switch typ {
		case tPointer:
			if _, next, err = d.pointer(size, next); err != nil {
				return 0, err
			}
		case tMap:
			n += 2 * size
		case tArray:
			n += size
		case tBool:
		default:
			if size > uint(len(d))-next {
				return 0, errCut
			}
			next += size
		}
		off = next
	}
	return off, nil
}

// mapAt reads the map at off (pointers followed): its size, the offset
// of its first key, and end as value returns it.
func (d mmdbData) mapAt(off uint, what string) (size, first, end uint, err error) {
	it, end, err := d.value(off)
	if err != nil {
		return 0, 0, 0, err
	}
	if it.typ != tMap {
		return 0, 0, 0, fmt.Errorf("%s at %d is not a map (type %d)", what, off, it.typ)
	}
	return it.size, it.data, end, nil
}

// strRef is a string of the data section by offset and length; the zero
// value is the empty (or absent) string, which the processor does not
// write.
type strRef struct{ off, n uint }

// str reads the string value at off into dst and returns the offset
// after it.
func (d mmdbData) str(off uint, dst *strRef, what string) (uint, error) {
	it, end, err := d.value(off)
	if err != nil {
		return 0, err
	}
	if it.typ != tString {
		return 0, fmt.Errorf("%s at %d is not a string (type %d)", what, off, it.typ)
	}
	if it.size > uint(len(d))-it.data {
		return 0, errCut
	}
	*dst = strRef{it.data, it.size}
	if end == 0 {
		end = it.data + it.size
	}
	return end, nil
}

// float reads the double or float value at off into dst.
func (d mmdbData) float(off uint, dst *float64, what string) (uint, error) {
	it, end, err := d.value(off)
	if err != nil {
		return 0, err
	}
	want := uint(8)
	if it.typ == tFloat {
		want = 4
	} else if it.typ != tDouble {
		return 0, fmt.Errorf("%s at %d is not a number (type %d)", what, off, it.typ)
	}
	if it.size != want {
		return 0, fmt.Errorf("%s at %d: a float of %d bytes", what, off, it.size)
	}
	if it.size > uint(len(d))-it.data {
		return 0, errCut
	}
	b := d[it.data : it.data+it.size]
	if want == 8 {
		*dst = math.Float64frombits(binary.BigEndian.Uint64(b))
	} else {
		*dst = float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
	}
	if end == 0 {
		end = it.data + it.size
	}
	return end, nil
}

// uint reads the unsigned (or int32) value at off into dst, as maxminddb
// decodes into a uint.
func (d mmdbData) uint(off uint, dst *uint64, what string) (uint, error) {
	it, end, err := d.value(off)
	if err != nil {
		return 0, err
	}
	var max uint
	switch it.typ {
	case tUint16:
		max = 2
	case tUint32, tInt32:
		max = 4
	case tUint64:
		max = 8
	default:
		return 0, fmt.Errorf("%s at %d is not an unsigned integer (type %d)", what, off, it.typ)
	}
	if it.size > max {
		return 0, fmt.Errorf("%s at %d: an integer of %d bytes", what, off, it.size)
	}
	if it.size > uint(len(d))-it.data {
		return 0, errCut
	}
	var v uint64
	for _, b := range d[it.data : it.data+it.size] {
		v = v<<8 | uint64(b)
	}
	if it.typ == tInt32 {
		// As maxminddb: a negative int32 wraps around (uint(int(v))).
		v = uint64(int64(int32(uint32(v))))
	}
	*dst = v
	if end == 0 {
		end = it.data + it.size
	}
	return end, nil
}

// cityVals are the values of a City (or Country) record the processor
// writes; zero means absent.
type cityVals struct {
	contCode, contName     strRef
	countryISO, countryNam strRef
	subISO, subName        strRef
	cityName, timeZone     strRef
	lat, lon               float64
}

// decodeCity reads the City record at off. nc, when not nil, keeps the
// code and name of the maps reached through pointers (see namedCache).
func (d mmdbData) decodeCity(off uint, nc *namedCache) (v cityVals, err error) {
	size, k, _, err := d.mapAt(off, "the record")
	if err != nil {
		return v, err
	}
	left := maxRecordValues
	for range size {
		if err := spend(&left); err != nil {
			return v, err
		}
		var key []byte
		if key, k, err = d.key(k); err != nil {
			return v, err
		}
		switch string(key) {
		case "continent":
			k, err = d.named(k, namedCode, &v.contCode, &v.contName, nc, &left)
		case "country":
			k, err = d.named(k, namedISO, &v.countryISO, &v.countryNam, nc, &left)
		case "city":
			k, err = d.named(k, namedOnly, nil, &v.cityName, nc, &left)
		case "subdivisions":
			k, err = d.subdivisions(k, &v, nc, &left)
		case "location":
			k, err = d.location(k, &v, &left)
		default:
			k, err = d.skip(k)
		}
		if err != nil {
			return v, fmt.Errorf("%s: %w", key, err)
		}
	}
	return v, nil
}

// namedKind is what named reads besides the names: the key of the code.
type namedKind uint8

const (
	namedCode namedKind = iota // "code" (continent)
	namedISO                   // "iso_code" (country, subdivision)
	namedOnly                  // no code (city)
)

var codeKeys = [...]string{namedCode: "code", namedISO: "iso_code"}

// unset marks a strRef named has not read.
var unset = strRef{off: ^uint(0)}

// named reads a map holding a code (the key kind names, unless namedOnly)
// and names, of which it keeps "en". It writes *code and *name only for
// the keys present, so that a repeated key wins field by field.
func (d mmdbData) named(off uint, kind namedKind, code, name *strRef, nc *namedCache, left *int) (uint, error) {
	it, end, err := d.value(off)
	if err != nil {
		return 0, err
	}
	if it.typ != tMap {
		return 0, fmt.Errorf("the value at %d is not a map (type %d)", off, it.typ)
	}
	// A map reached through a pointer is shared (a database stores each
	// continent, country, subdivision and city once): its values are
	// cached by its offset. An inline one is read where it is.
	shared := end != 0 && nc != nil
	c, n := unset, unset
	if shared {
		if c, n, ok := nc.get(it.data, kind); ok {
			setNamed(code, name, c, n)
			return end, nil
		}
	}
	k := it.data
	for range it.size {
		if err := spend(left); err != nil {
			return 0, err
		}
		var key []byte
		if key, k, err = d.key(k); err != nil {
			return 0, err
		}
		switch {
		case kind != namedOnly && string(key) == codeKeys[kind]:
			k, err = d.str(k, &c, codeKeys[kind])
		case string(key) == "names":
			k, err = d.names(k, &n, left)
		default:
			k, err = d.skip(k)
		}
		if err != nil {
			return 0, err
		}
	}
	if shared {
		nc.put(it.data, kind, c, n)
	}
	setNamed(code, name, c, n)
	if end == 0 {
		end = k
	}
	return end, nil
}

func setNamed(code, name *strRef, c, n strRef) {
	if c != unset && code != nil {
		*code = c
	}
	if n != unset {
		*name = n
	}
}

// namedCache keeps what named read from the maps reached through
// pointers, by the map's offset: a record's continent, country,
// subdivisions and often its city are shared with other records, and
// their names maps (8 languages in GeoLite2, about 40 of a City record's
// 50 keys) need not be walked again (issue 17). It is direct-mapped, of
// fixed size, and lock-free: each slot is a sequence lock over three
// words, so that a lookup allocates nothing; a reader that meets a write
// in progress, or a writer that meets another, just misses.
// TestDecoderMatchesGeoip2 (through the processor, so with it) and
// FuzzDecode (with and without it) hold it to the uncached decode.
type namedCache struct {
	slots [namedSlots]namedSlot
}

// namedSlots: 2048 slots of 32 bytes, 64 KiB per City database.
const namedSlots = 1 << 11

type namedSlot struct {
	seq             atomic.Uint32 // odd while a write is in progress
	key, code, name atomic.Uint64
}

// packRef packs an unset or read strRef into a word (0: unset); ok is
// false when it does not fit (a section over 1 TiB, a string over 8 MiB).
func packRef(r strRef) (w uint64, ok bool) {
	if r == unset {
		return 0, true
	}
	if uint64(r.off) >= 1<<40 || r.n >= 1<<23 {
		return 0, false
	}
	return 1<<63 | uint64(r.n)<<40 | uint64(r.off), true
}

func unpackRef(w uint64) strRef {
	if w == 0 {
		return unset
	}
	return strRef{off: uint(w & (1<<40 - 1)), n: uint(w >> 40 & (1<<23 - 1))}
}

func (nc *namedCache) slot(off uint, kind namedKind) (*namedSlot, uint64) {
	key := uint64(off)<<2 | uint64(kind) + 1 // never 0: an empty slot matches nothing
	return &nc.slots[(key*0x9E3779B97F4A7C15)>>(64-11)], key
}

func (nc *namedCache) get(off uint, kind namedKind) (code, name strRef, ok bool) {
	s, key := nc.slot(off, kind)
	q := s.seq.Load()
	if q&1 != 0 || s.key.Load() != key {
		return code, name, false
	}
	c, n := s.code.Load(), s.name.Load()
	if s.seq.Load() != q {
		return code, name, false
	}
	return unpackRef(c), unpackRef(n), true
}

func (nc *namedCache) put(off uint, kind namedKind, code, name strRef) {
	c, ok1 := packRef(code)
	n, ok2 := packRef(name)
	if !ok1 || !ok2 || uint64(off) >= 1<<61 {
		return
	}
	s, key := nc.slot(off, kind)
	q := s.seq.Load()
	if q&1 != 0 || !s.seq.CompareAndSwap(q, q+1) {
		return
	}
	s.key.Store(key)
	s.code.Store(c)
	s.name.Store(n)
	s.seq.Store(q + 2)
}

// names reads a names map, keeping "en".
func (d mmdbData) names(off uint, en *strRef, left *int) (uint, error) {
	size, k, end, err := d.mapAt(off, "names")
	if err != nil {
		return 0, err
	}
	for range size {
		if err := spend(left); err != nil {
			return 0, err
		}
		var key []byte
		if key, k, err = d.key(k); err != nil {
			return 0, err
		}
		if string(key) == "en" {
			k, err = d.str(k, en, "names.en")
		} else {
			k, err = d.skip(k)
		}
		if err != nil {
			return 0, err
		}
	}
	if end == 0 {
		end = k
	}
	return end, nil
}

// subdivisions reads the subdivisions array: every element, keeping the
// first (maxminddb decodes the array into a new slice, so a second
// subdivisions key replaces the first).
func (d mmdbData) subdivisions(off uint, v *cityVals, nc *namedCache, left *int) (uint, error) {
	it, end, err := d.value(off)
	if err != nil {
		return 0, err
	}
	if it.typ != tArray {
		return 0, fmt.Errorf("at %d: not an array (type %d)", off, it.typ)
	}
	v.subISO, v.subName = strRef{}, strRef{}
	k := it.data
	for i := range it.size {
		if err := spend(left); err != nil {
			return 0, err
		}
		var iso, name strRef
		if k, err = d.named(k, namedISO, &iso, &name, nc, left); err != nil {
			return 0, err
		}
		if i == 0 {
			v.subISO, v.subName = iso, name
		}
	}
	if end == 0 {
		end = k
	}
	return end, nil
}

// location reads latitude, longitude and time_zone.
func (d mmdbData) location(off uint, v *cityVals, left *int) (uint, error) {
	size, k, end, err := d.mapAt(off, "location")
	if err != nil {
		return 0, err
	}
	for range size {
		if err := spend(left); err != nil {
			return 0, err
		}
		var key []byte
		if key, k, err = d.key(k); err != nil {
			return 0, err
		}
		switch string(key) {
		case "latitude":
			k, err = d.float(k, &v.lat, "latitude")
		case "longitude":
			k, err = d.float(k, &v.lon, "longitude")
		case "time_zone":
			k, err = d.str(k, &v.timeZone, "time_zone")
		default:
			k, err = d.skip(k)
		}
		if err != nil {
			return 0, err
		}
	}
	if end == 0 {
		end = k
	}
	return end, nil
}

// asnVals are the values of an ASN record the processor writes.
type asnVals struct {
	number uint64
	org    strRef
}

// decodeASN reads the ASN record at off.
func (d mmdbData) decodeASN(off uint) (v asnVals, err error) {
	size, k, _, err := d.mapAt(off, "the record")
	if err != nil {
		return v, err
	}
	for range size {
		var key []byte
		if key, k, err = d.key(k); err != nil {
			return v, err
		}
		switch string(key) {
		case "autonomous_system_number":
			k, err = d.uint(k, &v.number, "autonomous_system_number")
		case "autonomous_system_organization":
			k, err = d.str(k, &v.org, "autonomous_system_organization")
		default:
			k, err = d.skip(k)
		}
		if err != nil {
			return v, err
		}
	}
	return v, nil
}

// internTable hands out event values (strings, region codes, AS numbers
// boxed in interfaces) by what identifies them in one database,
// so that a decoded record costs no allocation when its values were seen
// before. (Locations are not kept: most records have their own, and a
// miss would cost two allocations instead of one.) It is direct-mapped and of fixed size: a collision replaces the
// slot's entry, so memory stays bounded (internSlots entries) whatever the
// addresses looked up. Slots are atomic pointers: lookups from several
// goroutines need no lock, and a lost race only costs an allocation.
type internTable struct {
	slots [internSlots]atomic.Pointer[internEntry]
}

// internSlots: 8192 slots, 64 KiB of pointers, at most ~1 MiB with their
// entries and strings for a City database; a country, a continent, a time
// zone and the cities of a busy log stay in it.
const internSlots = 1 << 13

type internKind uint8

const (
	internString internKind = iota + 1 // k1: offset
	internRegion                       // k1, k2: offsets of the country and subdivision ISO codes
	internInt                          // k1: the value
)

type internEntry struct {
	kind   internKind
	k1, k2 uint64
	v      any
}

func (t *internTable) slot(kind internKind, k1, k2 uint64) *atomic.Pointer[internEntry] {
	h := (k1*0x9E3779B97F4A7C15 ^ k2*0xC2B2AE3D27D4EB4F ^ uint64(kind)) * 0x9E3779B97F4A7C15
	return &t.slots[h>>(64-13)]
}

func (t *internTable) get(kind internKind, k1, k2 uint64) (*atomic.Pointer[internEntry], any) {
	s := t.slot(kind, k1, k2)
	if e := s.Load(); e != nil && e.kind == kind && e.k1 == k1 && e.k2 == k2 {
		return s, e.v
	}
	return s, nil
}

// str is the string r of d.
func (t *internTable) str(d mmdbData, r strRef) any {
	s, v := t.get(internString, uint64(r.off), 0)
	if v == nil {
		v = string(d[r.off : r.off+r.n])
		s.Store(&internEntry{internString, uint64(r.off), 0, v})
	}
	return v
}

// region is "<country>-<subdivision>", e.g. "GB-ENG".
func (t *internTable) region(d mmdbData, country, sub strRef) any {
	s, v := t.get(internRegion, uint64(country.off), uint64(sub.off))
	if v == nil {
		v = string(d[country.off:country.off+country.n]) + "-" + string(d[sub.off:sub.off+sub.n])
		s.Store(&internEntry{internRegion, uint64(country.off), uint64(sub.off), v})
	}
	return v
}

func (t *internTable) int(n int64) any {
	s, v := t.get(internInt, uint64(n), 0)
	if v == nil {
		v = n
		s.Store(&internEntry{internInt, uint64(n), 0, v})
	}
	return v
}
