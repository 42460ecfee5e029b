package geoip

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// TestDecodeBoundsCraftedRecords: a data section may point many times at
// one value (pointers must only go backwards, which checkMMDB and the
// spec allow). A record whose keys repeat "location" N times, each
// pointing at one location map of L "latitude" keys, is read N×L times
// by the decoder (a key given twice is read twice, as maxminddb does), so
// a crafted database of a few hundred KB makes one lookup take minutes
// (N = L = 100,000 in 800 KB: 10^10 reads, about 12 minutes here) and holds every event of the
// input behind it; with subdivisions or names repeated the same way the
// reads multiply by a third factor, which namedCache does not bound
// (its slots collide). A real record reads about 50 keys: the decoder
// refuses a record that needs more than maxRecordValues, as a corrupt one
// (counted, logged, the event goes on without geo fields). Here N = L =
// 2,000: 4 million reads, which the unbounded decoder finished and
// accepted.
func TestDecodeBoundsCraftedRecords(t *testing.T) {
	const n = 2000
	var d []byte
	// 0: a double; 9: "latitude"; 18: the location map.
	d = append(d, 0x68)
	d = binary.BigEndian.AppendUint64(d, math.Float64bits(1.5))
	d = append(d, 0x48)
	d = append(d, "latitude"...)
	mapCtrl := func(size int) []byte { // a map of 285+ keys: size field 30
		return []byte{0xE0 | 30, byte((size - 285) >> 8), byte(size - 285)}
	}
	ptr := func(p int) []byte { // a pointer of 11 bits
		return []byte{0x20 | byte(p>>8), byte(p)}
	}
	loc := len(d)
	d = append(d, mapCtrl(n)...)
	for range n {
		d = append(d, ptr(9)...) // "latitude"
		d = append(d, ptr(0)...) // 1.5
	}
	if loc > 2047 {
		t.Fatal("the location map must be within reach of an 11-bit pointer")
	}
	locKey := len(d)
	d = append(d, 0x48)
	d = append(d, "location"...)
	rec := len(d)
	d = append(d, mapCtrl(n)...)
	for range n {
		p := locKey - 2048 // a pointer of 19 bits
		d = append(d, 0x28|byte(p>>16)&7, byte(p>>8), byte(p))
		d = append(d, ptr(loc)...)
	}
	_, err := mmdbData(d).decodeCity(uint(rec), new(namedCache))
	if err == nil || !strings.Contains(err.Error(), "values") {
		t.Fatalf("decodeCity of a record reading %d values: error %v, want one refusing it", n*n, err)
	}
}
