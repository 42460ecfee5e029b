package geoip

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
)

// This file checks the structure of a MaxMind DB file before any record of
// it is decoded (issue 14, item 5).
//
// Why not maxminddb's Reader.Verify: it decodes every record into Go maps
// and slices, and a container's length is allocated before its elements
// are read. A flipped length byte in the data section (an array that
// claims 14.9 million elements) costs Verify a 227 MiB slice (measured),
// and a lookup 454 MiB: on a router that is the OOM kill we guard against. It is also slow: on the 65 MB GeoLite2-City it took 34 to 112 s and
// allocated 2.4 GiB (see README). checkMMDB checks the same structure
// without decoding anything: it walks the bytes, checks every length
// against the bytes that follow before using it, and allocates three
// bitmaps of one bit per byte of the data section (8.2 MiB in all for
// GeoLite2-City), freed when it returns.
//
// What it checks, following the MaxMind DB spec
// (https://maxmind.github.io/MaxMind-DB/):
//   - the metadata is one well-formed map (it is decoded by maxminddb.FromBytes
//     as soon as the file is opened, so it is checked first), with the
//     fields Verify requires;
//   - the 16 zero bytes between the search tree and the data section;
//   - the data section is a sequence of well-formed items: known types,
//     fixed-size types of a legal size, strings and bytes inside the
//     section, maps with string keys, every array and map holding as many
//     elements as it claims, nesting at most 512 deep (maxminddb's limit);
//   - every pointer lands on the start of an item that is not itself a
//     pointer, was written before it and does not contain it (so that
//     following pointers cannot loop);
//   - every record of the search tree is a node, "no data", or points at
//     the start of a top-level item of the data section.
//
// Then every decode a lookup does reads well-formed items only: no length
// in them exceeds the bytes that hold its elements.

// maxDepth is maxminddb's maximumDataStructureDepth.
const maxDepth = 512

var metadataMarker = []byte("\xAB\xCD\xEFMaxMind.com")

// metaFields are the metadata values checkMMDB needs (and Verify requires).
type metaFields struct {
	nodeCount, recordSize, ipVersion, majorVersion uint64
	databaseType                                   string
	hasDescription                                 bool
}

// checkMMDB checks the structure of the MaxMind DB file held in buf.
func checkMMDB(buf []byte) error { return checkMapped(buf, 0, nil) }

// releaseEvery is how many bytes openDatabase's check reads between two
// calls of its release function.
const releaseEvery = 4 << 20

// checkMapped is checkMMDB for a buf that may be a file mapping: release,
// when not nil, is called after about every `every` bytes with the range
// of buf the check has read since the last call and will seldom read again
// (it reads the data section, then the search tree, in order; only
// pointers and keys look back), so that the pages can be dropped from the
// resident set as the check goes, instead of the whole file being resident
// at its end (a 65 MB City database made the start-up's peak RSS 87 MiB,
// 30 MiB with this).
func checkMapped(buf []byte, every uint, release func(lo, hi int)) error {
	mstart := bytes.LastIndex(buf, metadataMarker)
	if mstart < 0 {
		return errors.New("no metadata section (not a MaxMind DB file, or cut short)")
	}
	meta := buf[mstart+len(metadataMarker):]
	mw := newWalker(meta)
	end, err := mw.item(0, 0)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if end != uint(len(meta)) {
		return fmt.Errorf("metadata: %d unexpected bytes after it", uint(len(meta))-end)
	}
	m, err := readMetadata(meta)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	switch {
	case m.majorVersion != 2:
		return fmt.Errorf("metadata: binary_format_major_version is %d, want 2", m.majorVersion)
	case m.databaseType == "":
		return errors.New("metadata: database_type is empty")
	case !m.hasDescription:
		return errors.New("metadata: description is missing")
	case m.ipVersion != 4 && m.ipVersion != 6:
		return fmt.Errorf("metadata: ip_version is %d, want 4 or 6", m.ipVersion)
	case m.recordSize != 24 && m.recordSize != 28 && m.recordSize != 32:
		return fmt.Errorf("metadata: record_size is %d, want 24, 28 or 32", m.recordSize)
	case m.nodeCount == 0:
		return errors.New("metadata: node_count is 0")
	}
	treeSize := m.nodeCount * m.recordSize / 4
	if treeSize > uint64(mstart) || uint64(mstart)-treeSize < 16 {
		return fmt.Errorf("search tree: %d nodes of %d bits need %d bytes, the file has %d before its metadata", m.nodeCount, m.recordSize, treeSize+16, mstart)
	}
	for _, b := range buf[treeSize : treeSize+16] {
		if b != 0 {
			return fmt.Errorf("the 16 bytes after the search tree (offset %d) are not zero", treeSize)
		}
	}
	data := buf[treeSize+16 : mstart]
	w := newWalker(data)
	done := uint(0) // data bytes released
	for off := uint(0); off < uint(len(data)); {
		w.top.set(off)
		next, err := w.item(off, 0)
		if err != nil {
			return fmt.Errorf("data section: %w", err)
		}
		off = next
		if release != nil && off-done >= every {
			base := int(treeSize + 16)
			release(base+int(done), base+int(off))
			done = off
		}
	}
	return checkTree(buf[:treeSize], m, w.top, every, release)
}

// checkTree checks every record of the search tree: another node, no data,
// or the start of a top-level value of the data section.
func checkTree(tree []byte, m metaFields, top bitmap, every uint, release func(lo, hi int)) error {
	n := m.nodeCount
	bytesPerNode := m.recordSize / 4
	done := uint64(0) // tree bytes released
	last := uint64(0) // the last record checked (0: none, 0 is a node)
	for i := uint64(0); i < n; i++ {
		if at := i * bytesPerNode; release != nil && at-done >= uint64(every) {
			release(int(done), int(at))
			done = at
		}
		b := tree[i*bytesPerNode : (i+1)*bytesPerNode]
		var left, right uint64
		switch m.recordSize {
		case 24:
			left = uint64(b[0])<<16 | uint64(b[1])<<8 | uint64(b[2])
			right = uint64(b[3])<<16 | uint64(b[4])<<8 | uint64(b[5])
		case 28:
			left = uint64(b[3]&0xF0)<<20 | uint64(b[0])<<16 | uint64(b[1])<<8 | uint64(b[2])
			right = uint64(b[3]&0x0F)<<24 | uint64(b[4])<<16 | uint64(b[5])<<8 | uint64(b[6])
		case 32:
			left = uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
			right = uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
		}
		// Most records are nodes; neighbouring networks often share a
		// record, which is then checked once (last).
		for _, r := range [2]uint64{left, right} {
			if r <= n || r == last {
				continue // a node, or n: no data
			}
			off := r - n - 16
			if r < n+16 || off >= uint64(top.n) || !top.has(uint(off)) {
				return fmt.Errorf("search tree: node %d points to %d, which is not a record of the data section", i, r)
			}
			last = r
		}
	}
	return nil
}

// walker checks the items of one section (the data section, or the
// metadata: pointers there are relative to it) without decoding them.
type walker struct {
	data     []byte
	starts   bitmap // every item start
	top      bitmap // top-level item starts
	pointers bitmap // the starts that are pointers
	open     []uint // starts of the maps and arrays being walked (the path to here)
}

// ctrl reads the control byte(s) at off and returns the type, the size
// field and the offset of the payload.
func (w *walker) ctrl(off uint) (typ int, size uint, next uint, err error) {
	typ, size, next, ok := ctrlAt(w.data, off)
	if !ok {
		return 0, 0, 0, ctrlError(w.data, off)
	}
	if typ == 12 || typ == 13 {
		return 0, 0, 0, fmt.Errorf("a value at %d has an invalid type %d", off, typ)
	}
	return typ, size, next, nil
}

func newWalker(data []byte) *walker {
	return &walker{data: data, starts: newBitmap(len(data)), top: newBitmap(len(data)), pointers: newBitmap(len(data))}
}

// pointer decodes the pointer whose control byte is c and whose payload
// starts at next; ok is false when it is cut short or points past the end.
func (w *walker) pointer(c, next uint) (p uint, ok bool) {
	p, _, ok = pointerAt(w.data, c, next)
	return p, ok && p < uint(len(w.data))
}

// resolve reads the control bytes at off, following one pointer.
func (w *walker) resolve(off uint) (typ int, size uint, next uint, err error) {
	typ, size, next, err = w.ctrl(off)
	if err == nil && typ == tPointer {
		p, ok := w.pointer(size, next)
		if !ok {
			return 0, 0, 0, fmt.Errorf("a bad pointer at %d", off)
		}
		return w.ctrl(p)
	}
	return typ, size, next, err
}

// item checks the item at off and returns the offset after it.
func (w *walker) item(off uint, depth int) (uint, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("values nested more than %d deep at %d", maxDepth, off)
	}
	typ, size, next, err := w.ctrl(off)
	if err != nil {
		return 0, err
	}
	w.starts.set(off)
	left := uint(len(w.data)) - next
	switch typ {
	case tPointer:
		w.pointers.set(off)
		n := (size>>3)&3 + 1
		p, ok := w.pointer(size, next)
		switch {
		case !ok && n > left:
			return 0, fmt.Errorf("a pointer at %d is cut short", off)
		case !ok:
			return 0, fmt.Errorf("a pointer at %d points to %d, past the end (%d)", off, p, len(w.data))
		case p >= off:
			// Writers point back to what they wrote already, to share it
			// (mmdbwriter, MaxMind's writer). A pointer forward, or to a
			// value that contains the pointer (below), could make a loop
			// that a decoder follows until its depth limit, and with
			// several such pointers the work doubles at each level: a
			// corrupt file could then hang the shipper instead of
			// filling its memory.
			return 0, fmt.Errorf("a pointer at %d points forward, to %d", off, p)
		case !w.starts.has(p) || w.pointers.has(p):
			return 0, fmt.Errorf("a pointer at %d points to %d, which is not the start of a value", off, p)
		case slices.Contains(w.open, p):
			return 0, fmt.Errorf("a pointer at %d points to %d, a value that contains it", off, p)
		}
		return next + n, nil
	case tMap:
		// Each pair takes at least 2 bytes: a map longer than that cannot
		// be well formed, whatever follows.
		if size > left/2 {
			return 0, fmt.Errorf("a map at %d claims %d entries, only %d bytes follow", off, size, left)
		}
		// Pushed here, popped on success only: after an error the
		// walker is not used again. (A deferred pop was an eighth of the
		// check's time on GeoLite2-City, issue 17.)
		w.open = append(w.open, off)
		for i := uint(0); i < size; i++ {
			if next, err = w.keyItem(next, depth+1); err != nil {
				return 0, err
			}
			if next, err = w.item(next, depth+1); err != nil {
				return 0, err
			}
		}
		w.open = w.open[:len(w.open)-1]
		return next, nil
	case tArray:
		if size > left {
			return 0, fmt.Errorf("an array at %d claims %d elements, only %d bytes follow", off, size, left)
		}
		w.open = append(w.open, off) // popped on success, as for a map
		for i := uint(0); i < size; i++ {
			if next, err = w.item(next, depth+1); err != nil {
				return 0, err
			}
		}
		w.open = w.open[:len(w.open)-1]
		return next, nil
	case tBool:
		if size > 1 {
			return 0, fmt.Errorf("a boolean at %d has the value %d", off, size)
		}
		return next, nil
	}
	var max uint
	switch typ {
	case tString, tBytes:
		max = left
	case tDouble:
		if size != 8 {
			return 0, fmt.Errorf("a double at %d has %d bytes, want 8", off, size)
		}
	case tFloat:
		if size != 4 {
			return 0, fmt.Errorf("a float at %d has %d bytes, want 4", off, size)
		}
	case tUint16:
		max = 2
	case tUint32, tInt32:
		max = 4
	case tUint64:
		max = 8
	case tUint128:
		max = 16
	default:
		return 0, fmt.Errorf("a value at %d has an invalid type %d", off, typ)
	}
	if max != 0 && size > max {
		return 0, fmt.Errorf("a value of type %d at %d has %d bytes, at most %d allowed", typ, off, size, max)
	}
	if size > left {
		return 0, fmt.Errorf("a value at %d has %d bytes, only %d follow", off, size, left)
	}
	return next + size, nil
}

// keyItem checks the map key at off (key) and the item it is (item), and
// returns the offset after it. The usual keys, a string or a pointer to
// one, take a shorter path than key then item, which read them twice
// (keys are half the items of a City database, issue 17).
func (w *walker) keyItem(off uint, depth int) (uint, error) {
	if depth <= maxDepth {
		typ, size, next, ok := ctrlAt(w.data, off)
		switch {
		case ok && typ == tString && size <= uint(len(w.data))-next:
			w.starts.set(off)
			return next + size, nil
		case ok && typ == tPointer:
			if p, _, ok := pointerAt(w.data, size, next); ok {
				if t, _, _, ok := ctrlAt(w.data, p); ok && t == tString {
					return w.item(off, depth)
				}
			}
		}
	}
	if err := w.key(off); err != nil {
		return 0, err
	}
	return w.item(off, depth)
}

// key checks that the map key at off is a string, or a pointer to one,
// as the decoder reads it (item then checks the pointer's target).
func (w *walker) key(off uint) error {
	_, _, err := mmdbData(w.data).key(off)
	return err
}

// readMetadata reads the metadata fields checkMMDB needs from the checked
// metadata map: walking it again is cheap (a few hundred bytes).
func readMetadata(meta []byte) (metaFields, error) {
	var m metaFields
	w := newWalker(meta)
	typ, size, off, err := w.resolve(0)
	if err != nil {
		return m, err
	}
	if typ != tMap {
		return m, fmt.Errorf("a value of type %d, want a map", typ)
	}
	for i := uint(0); i < size; i++ {
		_, klen, koff, err := w.resolve(off)
		if err != nil {
			return m, err
		}
		key := string(meta[koff : koff+klen])
		voff, err := w.item(off, 0) // past the key
		if err != nil {
			return m, err
		}
		vtyp, vsize, vdata, err := w.resolve(voff)
		if err != nil {
			return m, err
		}
		uintValue := func() uint64 {
			v := uint64(0)
			if vtyp == tUint16 || vtyp == tUint32 || vtyp == tUint64 {
				for _, b := range meta[vdata : vdata+vsize] {
					v = v<<8 | uint64(b)
				}
			}
			return v
		}
		switch key {
		case "node_count":
			m.nodeCount = uintValue()
		case "record_size":
			m.recordSize = uintValue()
		case "ip_version":
			m.ipVersion = uintValue()
		case "binary_format_major_version":
			m.majorVersion = uintValue()
		case "database_type":
			if vtyp == tString {
				m.databaseType = string(meta[vdata : vdata+vsize])
			}
		case "description":
			m.hasDescription = vtyp == tMap && vsize > 0
		}
		if off, err = w.item(voff, 0); err != nil {
			return m, err
		}
	}
	if m.nodeCount > 1<<32 {
		return m, fmt.Errorf("node_count %d is out of range", m.nodeCount)
	}
	return m, nil
}

// bitmap is a set of offsets, one bit each.
type bitmap struct {
	w []uint64
	n int
}

func newBitmap(n int) bitmap { return bitmap{w: make([]uint64, (n+63)/64), n: n} }

func (b bitmap) set(i uint)      { b.w[i/64] |= 1 << (i % 64) }
func (b bitmap) has(i uint) bool { return i < uint(b.n) && b.w[i/64]&(1<<(i%64)) != 0 }
