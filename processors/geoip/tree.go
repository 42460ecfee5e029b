package geoip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang"
)

// tree walks a database's search tree (issue 17). maxminddb's LookupOffset
// reads each node through an interface call (not inlined: one call per
// bit) and takes a net.IP; with a real database and addresses that seldom
// repeat the walk was a fifth of the processor's time. This walker reads
// the nodes of its record size inline from the mapped file, starts IPv4
// addresses at the node where the IPv4 subtree begins (found once, at
// open, as maxminddb does), and works on the address's integer value.
// TestTreeMatchesMaxminddb and FuzzTreeLookup hold it to LookupOffset.
type tree struct {
	nodes      []byte // the search tree: nodeCount nodes of recordSize/4 bytes
	nodeCount  uint
	recordSize uint
	ipVersion  uint
	ipv4Start  uint // the node of ::/96 in an IPv6 tree, 0 in an IPv4 one
	ipv4Depth  uint // its depth (96 unless the tree ends above it)
	dataLen    uint // the data section's size

	// v4 is where the walk from ipv4Start stands after the top 16 bits of
	// an IPv4 address, by those bits: a node, or the record or "no data"
	// where the tree ended above. Built at open (256 KiB, about a
	// millisecond), it replaces an IPv4 lookup's first 16 dependent node
	// reads by one; the nodes below are the ones that miss the CPU's
	// caches anyway (issue 17).
	v4 []uint32
}

// newTree is the tree of the database in buf, whose metadata r read.
func newTree(buf []byte, r *maxminddb.Reader, dataLen int) tree {
	m := r.Metadata
	t := tree{
		nodes:      buf[:m.NodeCount*m.RecordSize/4],
		nodeCount:  m.NodeCount,
		recordSize: m.RecordSize,
		ipVersion:  m.IPVersion,
		dataLen:    uint(dataLen),
	}
	if t.ipVersion == 6 {
		node, i := uint(0), uint(0)
		for ; i < 96 && node < t.nodeCount; i++ {
			node = t.walk(node, 0, 1) // the left record: bit 0
		}
		t.ipv4Start, t.ipv4Depth = node, i
	}
	t.v4 = t.v4Table()
	return t
}

// v4Table builds tree.v4.
func (t *tree) v4Table() []uint32 {
	tab := make([]uint32, 1<<16)
	var fill func(node, depth, prefix uint)
	fill = func(node, depth, prefix uint) {
		if depth == 16 || node >= t.nodeCount {
			// Records are at most 32 bits (record_size 32): node fits.
			lo := prefix << (16 - depth)
			for i := range uint(1) << (16 - depth) {
				tab[lo+i] = uint32(node)
			}
			return
		}
		fill(t.walk(node, 0, 1), depth+1, prefix<<1)
		fill(t.walk(node, 1<<63, 1), depth+1, prefix<<1|1)
	}
	fill(t.ipv4Start, 0, 0)
	return tab
}

var errTreeCorrupt = errors.New("the search tree is corrupt")

// lookup returns the data-section offset of a's record, or
// maxminddb.NotFound, as maxminddb's LookupOffset does: an IPv4 address
// (or an IPv4-mapped IPv6 one) is looked up in the IPv4 subtree, an IPv6
// one in an IPv4-only database is an error.
func (t *tree) lookup(a netip.Addr) (uintptr, error) {
	var node uint
	n := t.nodeCount
	if a.Is4() || a.Is4In6() {
		b := a.Unmap().As4()
		v := binary.BigEndian.Uint32(b[:])
		node = t.walk(uint(t.v4[v>>16]), uint64(v)<<48, 16)
	} else {
		if t.ipVersion == 4 {
			return 0, fmt.Errorf("error looking up '%s': you attempted to look up an IPv6 address in an IPv4-only database", a)
		}
		b := a.As16()
		node = t.walk(0, binary.BigEndian.Uint64(b[:8]), 64)
		if node < n {
			node = t.walk(node, binary.BigEndian.Uint64(b[8:]), 64)
		}
	}
	switch {
	case node == n:
		return maxminddb.NotFound, nil
	case node < n:
		return 0, errTreeCorrupt // the address's bits ran out inside the tree
	}
	off := node - n - 16
	if node < n+16 || off >= t.dataLen {
		return 0, errTreeCorrupt
	}
	return uintptr(off), nil
}

// walk follows the top `bits` bits of v down from node, and returns the
// node or record where it stops.
func (t *tree) walk(node uint, v uint64, bits int) uint {
	n := t.nodeCount
	switch t.recordSize {
	case 24:
		for i := 0; i < bits && node < n; i++ {
			b := t.nodes[node*6 : node*6+6 : node*6+6]
			if v&(1<<63) == 0 {
				node = uint(b[0])<<16 | uint(b[1])<<8 | uint(b[2])
			} else {
				node = uint(b[3])<<16 | uint(b[4])<<8 | uint(b[5])
			}
			v <<= 1
		}
	case 28:
		for i := 0; i < bits && node < n; i++ {
			b := t.nodes[node*7 : node*7+7 : node*7+7]
			if v&(1<<63) == 0 {
				node = uint(b[3]&0xF0)<<20 | uint(b[0])<<16 | uint(b[1])<<8 | uint(b[2])
			} else {
				node = uint(b[3]&0x0F)<<24 | uint(b[4])<<16 | uint(b[5])<<8 | uint(b[6])
			}
			v <<= 1
		}
	default:
		for i := 0; i < bits && node < n; i++ {
			b := t.nodes[node*8 : node*8+8 : node*8+8]
			node = uint(binary.BigEndian.Uint32(b[(v>>63)*4:]))
			v <<= 1
		}
	}
	return node
}
