package grok

import "unsafe"

// Values boxes the field values of one event into `any` from a few shared
// blocks instead of one heap allocation per value.
//
// Storing a string, an int64 or a []string in an interface makes the runtime
// copy it to the heap (runtime.convTstring, convT64, convTslice): one small
// allocation per field, about twenty per squid line, which made boxing the
// largest cost of a squid line after matching it (issue 17). Values copies
// the value into a block it allocated for the event and makes the `any` point
// there, as the runtime's own conversion points to its copy: the `any` has the
// same dynamic type and value, so type switches, comparisons and the encoder
// see no difference. A block stays alive while one value points into it; a
// full block is replaced, never grown, so that no value moves.
//
// The zero Values is ready to use. A Values is for one goroutine, and only
// hands out values: what it boxed must not be changed (nothing can change a
// value inside an `any` without package unsafe).
type Values struct {
	strs  []string
	ints  []int64
	lists [][]string
	// StrBlock and IntBlock size the blocks (0: 16 and 8): a caller
	// that knows how many values one event takes sets them before the first
	// use, so that one block of each kind holds them all.
	StrBlock, IntBlock int
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
	if len(v.strs) == cap(v.strs) {
		v.strs = make([]string, 0, orDefault(v.StrBlock, 16))
	}
	v.strs = append(v.strs, s)
	return box(stringType, unsafe.Pointer(&v.strs[len(v.strs)-1]))
}

// Int returns n as an `any` holding an int64.
func (v *Values) Int(n int64) any {
	if 0 <= n && n < 256 {
		return n // the runtime boxes these from a static table
	}
	if len(v.ints) == cap(v.ints) {
		v.ints = make([]int64, 0, orDefault(v.IntBlock, 8))
	}
	v.ints = append(v.ints, n)
	return box(int64Type, unsafe.Pointer(&v.ints[len(v.ints)-1]))
}

// Strings returns a []string holding ss as an `any`. Its capacity is its
// length: an append by a later stage copies it.
func (v *Values) Strings(ss ...string) any {
	n := len(ss)
	if n == 0 || n > 4 {
		return append([]string(nil), ss...)
	}
	if cap(v.strs)-len(v.strs) < n {
		v.strs = make([]string, 0, max(orDefault(v.StrBlock, 16), n))
	}
	i := len(v.strs)
	v.strs = append(v.strs, ss...)
	if len(v.lists) == cap(v.lists) {
		v.lists = make([][]string, 0, 4)
	}
	v.lists = append(v.lists, v.strs[i:i+n:i+n])
	return box(listType, unsafe.Pointer(&v.lists[len(v.lists)-1]))
}

func orDefault(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}
