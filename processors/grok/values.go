package grok

import "unsafe"

// Values boxes the field values of one event into `any` from a few shared
// blocks instead of one heap allocation per value.
//
// Storing a string, an int64 or a []string in an interface makes the runtime
// copy it to the heap (runtime.convTstring, convT64, convTslice): one small
// allocation per field, about twenty per squid line, which made boxing the
// largest cost of a squid line after matching it (issue 17). Values copies
// the value into a block allocated for the event and makes the `any` point
// there, as the runtime's own conversion points to its copy: the `any` has the
// same dynamic type and value, so type switches, comparisons and the encoder
// see no difference. A block stays alive while one value points into it; a
// full block is replaced, never grown, so that no value moves.
//
// The zero Values allocates small blocks as values come; EventValues starts
// with one block that holds all the values of a squid line. A Values is for
// one goroutine, and only hands out values: what it boxed must not be changed
// (nothing can change a value inside an `any` without package unsafe).
type Values struct {
	// The free slots of the current blocks.
	strs  []string
	lists [][]string
	ints  []int64
}

// eventBlock holds the values of one squid line in one allocation (344
// bytes): its strings (9 captures, 4 url.* parts, the 3 of related.*), the
// headers of related.ip and related.user, its numbers (3 captures,
// event.duration, url.port). Values past these take small blocks.
type eventBlock struct {
	strs  [16]string
	lists [2][]string
	ints  [5]int64
}

// EventValues returns a Values whose first block, one allocation, holds
// the values of a whole squid document.
func EventValues() Values {
	b := new(eventBlock)
	return Values{strs: b.strs[:], lists: b.lists[:], ints: b.ints[:]}
}

// Blocks hands out the first blocks of consecutive events (what
// EventValues allocates for one) from slabs of slabBlocks: one allocation
// per slab instead of one per line, for a parser that reads the lines of
// one file in sequence. A slab stays alive while a value of one of its
// events does (at most 8 KiB more per reader than one block per event). A
// Blocks is for one goroutine; its zero value is ready.
type Blocks struct {
	free []eventBlock
}

// slabBlocks: 23 blocks of 344 bytes are 7,912 bytes, in the 8 KiB size
// class.
const slabBlocks = 23

// Next returns a Values whose first block is a fresh one of the slab.
func (b *Blocks) Next() Values {
	if len(b.free) == 0 {
		b.free = make([]eventBlock, slabBlocks)
	}
	blk := &b.free[0]
	b.free = b.free[1:]
	return Values{strs: blk.strs[:], lists: blk.lists[:], ints: blk.ints[:]}
}

// Sizes of the blocks allocated as values come.
const (
	strBlock  = 8
	listBlock = 2
	intBlock  = 4
)

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
	if len(v.strs) == 0 {
		v.strs = make([]string, strBlock)
	}
	p := &v.strs[0]
	*p = s
	v.strs = v.strs[1:]
	return box(stringType, unsafe.Pointer(p))
}

// Int returns n as an `any` holding an int64.
func (v *Values) Int(n int64) any {
	if 0 <= n && n < 256 {
		return n // the runtime boxes these from a static table
	}
	if len(v.ints) == 0 {
		v.ints = make([]int64, intBlock)
	}
	p := &v.ints[0]
	*p = n
	v.ints = v.ints[1:]
	return box(int64Type, unsafe.Pointer(p))
}

// Strings returns a []string holding ss as an `any`. Its capacity is its
// length: an append by a later stage copies it.
func (v *Values) Strings(ss ...string) any {
	n := len(ss)
	if n == 0 || n > strBlock {
		return append([]string(nil), ss...)
	}
	if len(v.strs) < n {
		v.strs = make([]string, strBlock)
	}
	if len(v.lists) == 0 {
		v.lists = make([][]string, listBlock)
	}
	l := v.strs[:n:n]
	copy(l, ss)
	v.strs = v.strs[n:]
	p := &v.lists[0]
	*p = l
	v.lists = v.lists[1:]
	return box(listType, unsafe.Pointer(p))
}

// reserve makes room for strs strings and ints numbers, in one block each,
// when there is none: a pattern sizes the blocks of its match.
func (v *Values) reserve(strs, ints int) {
	if len(v.strs) == 0 && strs > 0 {
		v.strs = make([]string, strs)
	}
	if len(v.ints) == 0 && ints > 0 {
		v.ints = make([]int64, ints)
	}
}
