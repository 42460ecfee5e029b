package geoip

import (
	"math/bits"
	"net/netip"
	"sync"
	"sync/atomic"
)

// cache maps a key to the fields a lookup produced (nil fields: the
// address is in no database). The processor keeps two: one by address (a
// squid log repeats the same few hundred destinations, and a hit must cost
// next to nothing) and one by record (the database offsets of an address's
// records: the addresses of one network share them, so a miss by address
// often still finds the decoded record).
//
// It is set-associative: a key's hash picks a set of up to cacheWays
// entries, kept in least-recently-used order, each set under its own lock.
// (It was one LRU list behind a map and one lock: with a real database and
// addresses that seldom repeat, the map's lookup, insert and delete on
// every miss cost as much as the tree walk, issue 17.) A cache of at most
// cacheWays entries is one set: an exact LRU. Entries are stored in place:
// a get or put allocates nothing.
type cache[K cacheKey] struct {
	sets  []cacheSet[K]
	shift uint          // 64 - log2(len(sets)): a hash's top bits pick the set
	ways  int           // entries per set
	gen   atomic.Uint64 // bumped by purge; a put from an older generation is dropped
}

// cacheWays is the associativity: 4 entries are one or two cache lines to
// scan, and make collisions between a log's busy addresses rare.
const cacheWays = 4

type cacheKey interface {
	comparable
	hash() uint64
}

type cacheSet[K cacheKey] struct {
	mu sync.Mutex
	n  int // entries in use
	e  [cacheWays]cacheNode[K]
}

type cacheNode[K cacheKey] struct {
	key K
	res *result
}

// newCache returns a cache of at most size entries, nil (always missing)
// when size is 0.
func newCache[K cacheKey](size int) *cache[K] {
	if size <= 0 {
		return nil
	}
	ways := min(size, cacheWays)
	sets := 1 << (bits.Len(uint(size/ways)) - 1) // a power of two, sets*ways <= size
	return &cache[K]{sets: make([]cacheSet[K], sets), shift: uint(64 - bits.TrailingZeros(uint(sets))), ways: ways}
}

func (c *cache[K]) set(k K) *cacheSet[K] {
	if len(c.sets) == 1 {
		return &c.sets[0]
	}
	return &c.sets[k.hash()>>c.shift]
}

// get returns the cached result for k. A nil cache always misses.
func (c *cache[K]) get(k K) (*result, bool) {
	if c == nil {
		return nil, false
	}
	s := c.set(k)
	s.mu.Lock()
	for i := range s.n {
		if s.e[i].key == k {
			n := s.e[i]
			copy(s.e[1:i+1], s.e[:i])
			s.e[0] = n
			s.mu.Unlock()
			return n.res, true
		}
	}
	s.mu.Unlock()
	return nil, false
}

// generation returns the current generation, to pass to put.
func (c *cache[K]) generation() uint64 {
	if c == nil {
		return 0
	}
	return c.gen.Load()
}

// put stores res for k, evicting the set's least recently used entry when
// it is full. gen is the generation read before the lookup: a result
// computed from a database that was replaced meanwhile is not stored.
func (c *cache[K]) put(k K, res *result, gen uint64) {
	if c == nil {
		return
	}
	s := c.set(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Read under the set's lock: purge bumps gen before it empties the
	// sets, so either this sees the new generation or purge empties the
	// set after this put.
	if gen != c.gen.Load() {
		return
	}
	i := 0
	for i < s.n && s.e[i].key != k {
		i++
	}
	if i == s.n { // absent: take a free entry, or the least recently used
		if s.n < c.ways {
			s.n++
		}
		i = s.n - 1
	}
	copy(s.e[1:i+1], s.e[:i])
	s.e[0] = cacheNode[K]{k, res}
}

// purge empties the cache (after a database reload).
func (c *cache[K]) purge() {
	if c == nil {
		return
	}
	c.gen.Add(1)
	for i := range c.sets {
		s := &c.sets[i]
		s.mu.Lock()
		s.n, s.e = 0, [cacheWays]cacheNode[K]{}
		s.mu.Unlock()
	}
}

func (c *cache[K]) len() int {
	if c == nil {
		return 0
	}
	n := 0
	for i := range c.sets {
		s := &c.sets[i]
		s.mu.Lock()
		n += s.n
		s.mu.Unlock()
	}
	return n
}

// addrKey is a looked-up address (unmapped, without zone: lookupAddr's
// result) as its 128 bits: cheaper to hash and compare than a
// netip.Addr, which carries its zone.
type addrKey struct{ hi, lo uint64 }

func keyOf(a netip.Addr) addrKey {
	b := a.As16()
	return addrKey{
		hi: uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
			uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7]),
		lo: uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 |
			uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15]),
	}
}

func (k addrKey) hash() uint64 { return mix(k.hi, k.lo) }

// recordKey identifies the records an address resolves to: the data
// offsets of its City and ASN records (maxminddb.NotFound when absent).
type recordKey struct{ city, asn uintptr }

func (k recordKey) hash() uint64 { return mix(uint64(k.city), uint64(k.asn)) }

// mix hashes two words; the top bits pick a set.
func mix(a, b uint64) uint64 {
	return (a*0x9E3779B97F4A7C15 ^ b) * 0xC2B2AE3D27D4EB4F
}
