package grok

import "unsafe"

// Values boxes the field values of one event into `any` from a shared block
// instead of one heap allocation per value.
//
// Storing a string, an int64 or a []string in an interface makes the runtime
// copy it to the heap (runtime.convTstring, convT64, convTslice): one small
// allocation per field, about twenty per squid line, which made boxing the
// largest cost of a squid line after matching it (issue 17). Values copies
// the value into a block allocated once per event and makes the `any` point
// there, as the runtime's own conversion points to its copy: the `any` has the
// same dynamic type and value, so type switches, comparisons and the encoder
// see no difference. A block stays alive while one value points into it; a
// full block is replaced, never grown, so that no value moves.
//
// The zero Values is ready to use. A Values is for one goroutine, and only
// hands out values: what it boxed must not be changed (nothing can change a
// value inside an `any` without package unsafe).
type Values struct {
	b          *block
	ns, nl, ni int // used entries of b's arrays
}

// block holds the values of one event: one allocation (440 bytes) holds all
// the values of a squid line.
type block struct {
	strs  [20]string
	lists [3][]string
	ints  [6]int64
}

// eface is the layout of an `any`: the dynamic type, and a pointer to the
// value (for types that are not pointer-shaped, as string, int64, []string).
type eface struct {
	typ, data unsafe.Pointer
}

func typeOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// The type words of the boxed types, taken from ordinary conversions.
var (
	stringType = typeOf("")
	int64Type  = typeOf(int64(0))
	listType   = typeOf([]string(nil))
)

// box returns the `any` of dynamic type typ whose value is at p. p must point
// to a value of that type that nothing changes afterwards.
func box(typ, p unsafe.Pointer) (v any) {
	*(*eface)(unsafe.Pointer(&v)) = eface{typ: typ, data: p}
	return v
}

// String returns s as an `any`.
func (v *Values) String(s string) any {
	if s == "" {
		return "" // the runtime boxes "" without allocating
	}
	if v.b == nil || v.ns == len(v.b.strs) {
		v.renew()
	}
	p := &v.b.strs[v.ns]
	*p = s
	v.ns++
	return box(stringType, unsafe.Pointer(p))
}

// Int returns n as an `any` holding an int64.
func (v *Values) Int(n int64) any {
	if 0 <= n && n < 256 {
		return n // the runtime boxes these from a static table
	}
	if v.b == nil || v.ni == len(v.b.ints) {
		v.renew()
	}
	p := &v.b.ints[v.ni]
	*p = n
	v.ni++
	return box(int64Type, unsafe.Pointer(p))
}

// Strings returns a []string holding ss as an `any`. Its capacity is its
// length: an append by a later stage copies it.
func (v *Values) Strings(ss ...string) any {
	n := len(ss)
	if n == 0 || n > 4 {
		return append([]string(nil), ss...)
	}
	if v.b == nil || v.nl == len(v.b.lists) || len(v.b.strs)-v.ns < n {
		v.renew()
	}
	l := v.b.strs[v.ns : v.ns+n : v.ns+n]
	copy(l, ss)
	v.ns += n
	p := &v.b.lists[v.nl]
	*p = l
	v.nl++
	return box(listType, unsafe.Pointer(p))
}

// renew starts a new block; the values in the old one keep it alive.
func (v *Values) renew() {
	v.b = new(block)
	v.ns, v.nl, v.ni = 0, 0, 0
}
