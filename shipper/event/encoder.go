package event

import (
	"strconv"
	"time"
	"unsafe"
)

// Encoder encodes documents like AppendJSON and remembers, per key set,
// the key order and the bytes between the values: events of one source
// carry the same keys in the same order, so the sort and the nesting are
// worked out once, not per event. Not safe for concurrent use; an output
// keeps one per worker.
type Encoder struct {
	// The plans of the key sets seen, in a tree of their keys in field
	// order: a source's documents differ in their optional fields (a squid
	// line with or without user.name, mime type, destination, …: a few
	// dozen combinations, which follow no order), and one walk along the
	// keys finds the plan, a pointer comparison per key.
	root     keyNode
	n, nodes int // plans and nodes in the tree
	// The last @timestamp's date and time of day, to the second, as
	// written ("2006-01-02T15:04:05"): a source's documents mostly share
	// the second, and formatting it is a third of a timestamp's cost.
	tsSec    int64
	tsPrefix []byte
	// The memory of the document's "message" while it is written, when
	// every byte of it is written as it is (no escape): a string value
	// that lies inside it (a parser's capture, a part of a URL: slices
	// of the line) is then copied without the escape scan. Its bytes are
	// the message's, which cannot change (strings are immutable).
	safeLo, safeN uintptr
}

// maxPlans bounds the key sets an Encoder remembers; past it, it starts
// over (a source whose key sets never repeat costs a sort per event, as
// without the cache).
const maxPlans = 256

// maxPlanNodes bounds the tree's nodes (key sets of many keys that share
// little).
const maxPlanNodes = 8192

// keyNode is a position in the tree of key sets: the keys of the path
// from the root lead to it; plan is the plan of the key set that ends
// here, if one does.
type keyNode struct {
	key  string
	next *keyNode   // the first child: most nodes have one
	alts []*keyNode // the other children
	plan *keyOrder
}

// child returns the node after n for key k, or nil.
func (n *keyNode) child(k string) *keyNode {
	if c := n.next; c != nil && sameString(c.key, k) {
		return c
	}
	for _, c := range n.alts {
		if sameString(c.key, k) {
			return c
		}
	}
	return nil
}

// find returns the plan of f's key set, or nil.
func (enc *Encoder) find(f Fields) *keyOrder {
	n := &enc.root
	for i := range f {
		k := f[i].Key
		// The first child's key, the same memory (keys are mostly
		// constants): no call.
		if c := n.next; c != nil && len(c.key) == len(k) && unsafe.StringData(c.key) == unsafe.StringData(k) {
			n = c
			continue
		}
		if n = n.child(k); n == nil {
			return nil
		}
	}
	return n.plan
}

// insert records k as the plan of f's key set.
func (enc *Encoder) insert(f Fields, k *keyOrder) {
	n := &enc.root
	for i := range f {
		c := n.child(f[i].Key)
		if c == nil {
			c = &keyNode{key: f[i].Key}
			if n.next == nil {
				n.next = c
			} else {
				n.alts = append(n.alts, c)
			}
			enc.nodes++
		}
		n = c
	}
	n.plan = k
	enc.n++
}

type keyOrder struct {
	order []uint8
	// The document's bytes around the values, for this key set: steps[n]
	// writes frag (commas, closing and opening objects, the key) and then
	// the value of field idx; tail closes the objects still open.
	steps []planStep
	tail  []byte
	msg   int // the index of "message" in the fields, -1 without one
}

type planStep struct {
	// The value last written by this step (a string, an int64 or a
	// []string) and, once the next document repeated it, frag and its
	// encoding in one piece: a source's documents share many values
	// (agent.*, host.name, event.module, observer.*, …), which are then
	// one copy each instead of a copy, an escape scan and a second copy.
	// Strings are immutable, so equal values encode to the same bytes.
	idx   uint8
	kind  uint8 // of the last value: kindNone, kindString, kindInt64, kindStrings
	whole bool  // full holds frag and the last value's encoding
	// val is the last value as it was boxed: a document whose field holds
	// the very same box (a constant, a static field, an input's shared
	// value) repeats it without a look at the value. Holding it keeps
	// the boxed value alive, so that its address cannot be reused by
	// another value.
	val  any
	full []byte // its buffer is kept when the value changes
	frag []byte
	strs []string // kindStrings: a copy of the elements (the slice may be reused)
}

const (
	kindNone uint8 = iota
	kindString
	kindInt64
	kindStrings
)

// eface is the layout of an `any`: its dynamic type and a pointer to its
// value (for the types a step repeats, which are not pointer-shaped).
type eface struct {
	typ, data unsafe.Pointer
}

// sameBox reports whether *a and *b are the same box: the same type and
// the same value's memory. For a string, an int64 or a []string header,
// which a box holds by a copy nothing can change, that is the same value.
// It relies on boxes never being rewritten in place: the runtime's boxes
// and grok.Values' blocks (allocated per event, never recycled) are not;
// a pool that reused value blocks would break it (and Event.Clone's
// sharing of values).
func sameBox(a, b *any) bool {
	x, y := (*eface)(unsafe.Pointer(a)), (*eface)(unsafe.Pointer(b))
	return x.typ == y.typ && x.data == y.data
}

// sameString is a == b, without the call when both are the same memory
// (keys and constants usually are).
func sameString(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}

// Append appends the document of e to dst.
func (enc *Encoder) Append(dst []byte, e *Event) []byte {
	f := e.Fields
	if len(f) > 255 {
		return AppendJSON(dst, e)
	}
	if k := enc.find(f); k != nil {
		return k.appendPlanned(enc, dst, e)
	}
	if enc.n >= maxPlans || enc.nodes >= maxPlanNodes {
		enc.root, enc.n, enc.nodes = keyNode{}, 0, 0
	}
	k := &keyOrder{msg: -1}
	for i := range f {
		if f[i].Key == "message" {
			k.msg = i
		}
	}
	k.order = sortOrder(nil, f)
	k.plan(f)
	enc.insert(f, k)
	return k.appendPlanned(enc, dst, e)
}

// plan records the bytes appendOrdered writes around each value of f (f
// has k's keys): the same walk, with the values' positions noted.
func (k *keyOrder) plan(f Fields) {
	k.steps = k.steps[:0]
	var buf []byte
	last := 0
	buf = walkOrdered(buf, f, k.order, func(dst []byte, i int) []byte {
		k.steps = append(k.steps, planStep{frag: dst[last:len(dst):len(dst)], idx: uint8(i)})
		last = len(dst)
		return dst
	})
	// The fragments alias buf, which later appends may have moved: copy
	// them out of the final buffer by their lengths.
	pos := 0
	for n := range k.steps {
		l := len(k.steps[n].frag)
		k.steps[n].frag = buf[pos : pos+l : pos+l]
		pos += l
	}
	k.tail = buf[pos:]
}

// appendTimestamp writes t like t.UTC().AppendFormat(dst, TimestampLayout),
// from the cached second when t falls in the same one as the last call.
func (enc *Encoder) appendTimestamp(dst []byte, t time.Time) []byte {
	t = t.UTC()
	sec := t.Unix()
	if sec != enc.tsSec || len(enc.tsPrefix) == 0 {
		if y := t.Year(); y < 0 || y > 9999 { // a sign or a fifth digit: the general case
			return t.AppendFormat(dst, TimestampLayout)
		}
		enc.tsPrefix = t.AppendFormat(enc.tsPrefix[:0], "2006-01-02T15:04:05")
		enc.tsSec = sec
	}
	dst = append(dst, enc.tsPrefix...)
	ns := t.Nanosecond()
	if ns != 0 && ns%1e6 == 0 { // milliseconds (squid's): ".999", trailing zeros dropped
		ms := ns / 1e6
		b := [4]byte{'.', byte('0' + ms/100), byte('0' + ms/10%10), byte('0' + ms%10)}
		n := len(b)
		for b[n-1] == '0' {
			n--
		}
		return append(append(dst, b[:n]...), 'Z')
	}
	if ns != 0 {
		// ".999999999": up to nine digits, trailing zeros dropped
		var b [10]byte
		b[0] = '.'
		for i := 9; i > 0; i-- {
			b[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := len(b)
		for b[n-1] == '0' {
			n--
		}
		dst = append(dst, b[:n]...)
	}
	return append(dst, 'Z')
}

// appendPlanned writes e's document with k's plan (e has k's keys).
func (k *keyOrder) appendPlanned(enc *Encoder, dst []byte, e *Event) []byte {
	dst = append(dst, `{"@timestamp":"`...)
	dst = enc.appendTimestamp(dst, e.Timestamp)
	dst = append(dst, '"')
	f := e.Fields
	enc.safeLo, enc.safeN = 0, 0
	if k.msg >= 0 {
		if m, ok := f[k.msg].Value.(string); ok && allSafe(m) {
			enc.safeLo, enc.safeN = uintptr(unsafe.Pointer(unsafe.StringData(m))), uintptr(len(m))
		}
	}
	for i := range k.steps {
		s := &k.steps[i]
		v := &f[s.idx].Value
		// The same box as last time: a constant, written in one piece.
		// (A []string's elements are compared: its array may be reused.)
		if s.whole && sameBox(v, &s.val) && (s.kind != kindStrings || sameStrings(s.strs, (*v).([]string))) {
			dst = append(dst, s.full...)
			continue
		}
		dst = s.append(enc, dst, *v)
	}
	return append(dst, k.tail...)
}

// append writes the step for val, and notes val for the next document.
func (s *planStep) append(enc *Encoder, dst []byte, val any) []byte {
	switch v := val.(type) {
	case string:
		if s.kind == kindString && sameString(s.val.(string), v) {
			s.val = val
			return s.appendRepeated(enc, dst)
		}
		s.kind, s.val, s.whole = kindString, val, false
		dst = append(dst, s.frag...)
		return enc.appendString(dst, v)
	case int64:
		if s.kind == kindInt64 && s.val.(int64) == v {
			s.val = val
			return s.appendRepeated(enc, dst)
		}
		s.kind, s.val, s.whole = kindInt64, val, false
		dst = append(dst, s.frag...)
		return appendInt(dst, v)
	case []string:
		if s.kind == kindStrings && sameStrings(s.strs, v) {
			s.val = val
			return s.appendRepeated(enc, dst)
		}
		clear(s.strs) // not to keep the old strings alive
		s.kind, s.strs, s.val, s.whole = kindStrings, append(s.strs[:0], v...), val, false
		dst = append(dst, s.frag...)
		return enc.appendStrings(dst, v)
	default:
		clear(s.strs)
		s.kind, s.strs, s.val, s.whole = kindNone, s.strs[:0], nil, false
		dst = append(dst, s.frag...)
		return appendValue(dst, v)
	}
}

// appendRepeated writes the step for its last value, which the document
// repeats.
func (s *planStep) appendRepeated(enc *Encoder, dst []byte) []byte {
	if !s.whole {
		s.full = append(s.full[:0], s.frag...)
		switch s.kind {
		case kindString:
			s.full = enc.appendString(s.full, s.val.(string))
		case kindInt64:
			s.full = appendInt(s.full, s.val.(int64))
		case kindStrings:
			s.full = enc.appendStrings(s.full, s.strs)
		}
		s.whole = true
	}
	return append(dst, s.full...)
}

// sameStrings reports whether a and b hold the same strings.
func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameString(a[i], b[i]) {
			return false
		}
	}
	return true
}

// appendString is appendString(dst, s), without the scan when s lies
// inside the document's message and the message needs no escape.
func (enc *Encoder) appendString(dst []byte, s string) []byte {
	if off := uintptr(unsafe.Pointer(unsafe.StringData(s))) - enc.safeLo; off <= enc.safeN && uintptr(len(s)) <= enc.safeN-off {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	return appendString(dst, s)
}

// appendStrings writes ss as a JSON array of strings.
func (enc *Encoder) appendStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = enc.appendString(dst, s)
	}
	return append(dst, ']')
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" +
	"30313233343536373839" + "40414243444546474849" + "50515253545556575859" + "60616263646566676869" +
	"70717273747576777879" + "80818283848586878889" + "90919293949596979899"

// appendInt is strconv.AppendInt(dst, v, 10), two digits a division for
// the non-negative values documents hold (offsets, sizes, durations).
func appendInt(dst []byte, v int64) []byte {
	if v < 0 {
		return strconv.AppendInt(dst, v, 10)
	}
	if v < 10 {
		return append(dst, byte('0'+v))
	}
	var b [20]byte
	i := len(b)
	u := uint64(v)
	for u >= 100 {
		q := u / 100
		r := (u - q*100) * 2
		i -= 2
		b[i], b[i+1] = digitPairs[r], digitPairs[r+1]
		u = q
	}
	if u >= 10 {
		i -= 2
		b[i], b[i+1] = digitPairs[2*u], digitPairs[2*u+1]
	} else {
		i--
		b[i] = byte('0' + u)
	}
	return append(dst, b[i:]...)
}
