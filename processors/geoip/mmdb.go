package geoip

import "fmt"

// This file reads the items of a MaxMind DB data section (spec: "Output
// Data Section", https://maxmind.github.io/MaxMind-DB/): control bytes,
// pointers and map keys. Both the check (verify.go) and the record decoder
// (decode.go) read through it. The hot paths return ok or a bare error;
// the messages are built by separate functions, only when something is
// wrong.

// mmdb data types.
const (
	tExtended = 0
	tPointer  = 1
	tString   = 2
	tDouble   = 3
	tBytes    = 4
	tUint16   = 5
	tUint32   = 6
	tMap      = 7
	tInt32    = 8
	tUint64   = 9
	tUint128  = 10
	tArray    = 11
	tBool     = 14
	tFloat    = 15
)

// ctrlAt reads the control byte(s) at off of d: the type, the size field
// and the offset of the payload. For a pointer, size is the whole control
// byte (pointerAt decodes it). ok is false when they are cut short or name
// a type past tFloat; ctrlError says which. (Types 12 and 13, the
// writer's data cache container and end marker, pass: the check refuses
// them, the decoder skips them by size as maxminddb does.)
func ctrlAt(d []byte, off uint) (typ int, size uint, next uint, ok bool) {
	if off >= uint(len(d)) {
		return 0, 0, 0, false
	}
	c := d[off]
	next = off + 1
	typ = int(c >> 5)
	if typ == tPointer {
		return typ, uint(c), next, true
	}
	if typ == tExtended {
		if next >= uint(len(d)) {
			return 0, 0, 0, false
		}
		typ = int(d[next]) + 7
		next++
		if typ < 8 || typ > tFloat {
			return 0, 0, 0, false
		}
	}
	size = uint(c & 0x1f)
	if size < 29 {
		return typ, size, next, true
	}
	n := size - 28
	if next+n > uint(len(d)) {
		return 0, 0, 0, false
	}
	v := uint(0)
	for _, b := range d[next : next+n] {
		v = v<<8 | uint(b)
	}
	switch size {
	case 29:
		size = 29 + v
	case 30:
		size = 285 + v
	default:
		size = 65821 + v
	}
	return typ, size, next + n, true
}

// ctrlError says why ctrlAt(d, off) failed.
func ctrlError(d []byte, off uint) error {
	switch {
	case off >= uint(len(d)):
		return fmt.Errorf("the section ends (at %d) where a value should start", len(d))
	case d[off]>>5 == tExtended && off+1 >= uint(len(d)):
		return fmt.Errorf("a value at %d is cut short", off)
	case d[off]>>5 == tExtended && (int(d[off+1])+7 < 8 || int(d[off+1])+7 > tFloat):
		return fmt.Errorf("a value at %d has an invalid type %d", off, int(d[off+1])+7)
	}
	return fmt.Errorf("the size of a value at %d is cut short", off)
}

// pointerAt decodes the pointer whose control byte is c and whose payload
// starts at next: the offset it points to (which may lie past the
// section: the caller checks) and the offset after the pointer; ok is
// false when the pointer is cut short.
func pointerAt(d []byte, c, next uint) (p, end uint, ok bool) {
	ss := (c >> 3) & 3
	end = next + ss + 1
	if end > uint(len(d)) {
		return 0, 0, false
	}
	if ss != 3 {
		p = c & 7
	}
	for _, b := range d[next:end] {
		p = p<<8 | uint(b)
	}
	p += [4]uint{0, 2048, 526336, 0}[ss]
	return p, end, true
}

// key reads the map key at off, a string or a pointer to one: its bytes
// and the offset after it. The check and the decoder read keys with it.
func (d mmdbData) key(off uint) ([]byte, uint, error) {
	it, end, err := d.value(off)
	if err != nil {
		return nil, 0, err
	}
	if it.typ != tString {
		return nil, 0, keyError(off, it.typ)
	}
	if it.size > uint(len(d))-it.data {
		return nil, 0, errCut
	}
	if end == 0 {
		end = it.data + it.size
	}
	return d[it.data : it.data+it.size], end, nil
}

// keyError is the error for a map key at off of type typ.
func keyError(off uint, typ int) error {
	return fmt.Errorf("a map key at %d is of type %d, want a string", off, typ)
}
