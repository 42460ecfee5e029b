package geoip

import "sync"

// cache is a fixed-size LRU from a key to the fields a lookup produced (nil
// fields: the address is in no database). The processor keeps two: one by
// address (a squid log repeats the same few hundred destinations, and a hit
// must cost next to nothing) and one by record (the database offsets of an
// address's records: the addresses of one network share them, so a miss by
// address often still finds the decoded record). Nodes live in one slice
// and link by index, so that a warm cache allocates nothing.
type cache[K comparable] struct {
	mu    sync.Mutex
	index map[K]int32
	nodes []cacheNode[K]
	head  int32  // most recently used, -1 when empty
	tail  int32  // least recently used
	gen   uint64 // bumped by purge; a put from an older generation is dropped
}

type cacheNode[K comparable] struct {
	key        K
	res        *result
	prev, next int32
}

func newCache[K comparable](size int) *cache[K] {
	if size <= 0 {
		return nil
	}
	return &cache[K]{index: make(map[K]int32, size), nodes: make([]cacheNode[K], 0, size), head: -1, tail: -1}
}

// get returns the cached result for a. A nil cache always misses.
func (c *cache[K]) get(a K) (*result, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.index[a]
	if !ok {
		return nil, false
	}
	c.moveToFront(i)
	return c.nodes[i].res, true
}

// generation returns the current generation, to pass to put.
func (c *cache[K]) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores res for a, evicting the least recently used entry when full.
// gen is the generation read before the lookup: a result computed from a
// database that was replaced meanwhile is not stored.
func (c *cache[K]) put(a K, res *result, gen uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if i, ok := c.index[a]; ok {
		c.nodes[i].res = res
		c.moveToFront(i)
		return
	}
	var i int32
	if len(c.nodes) < cap(c.nodes) {
		i = int32(len(c.nodes))
		c.nodes = append(c.nodes, cacheNode[K]{prev: -1, next: -1})
	} else {
		i = c.tail
		c.unlink(i)
		delete(c.index, c.nodes[i].key)
	}
	c.nodes[i].key, c.nodes[i].res = a, res
	c.index[a] = i
	c.pushFront(i)
}

// purge empties the cache (after a database reload).
func (c *cache[K]) purge() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.index)
	c.nodes = c.nodes[:0]
	c.head, c.tail = -1, -1
}

func (c *cache[K]) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.index)
}

func (c *cache[K]) moveToFront(i int32) {
	if c.head == i {
		return
	}
	c.unlink(i)
	c.pushFront(i)
}

func (c *cache[K]) unlink(i int32) {
	n := &c.nodes[i]
	if n.prev >= 0 {
		c.nodes[n.prev].next = n.next
	} else {
		c.head = n.next
	}
	if n.next >= 0 {
		c.nodes[n.next].prev = n.prev
	} else {
		c.tail = n.prev
	}
	n.prev, n.next = -1, -1
}

func (c *cache[K]) pushFront(i int32) {
	n := &c.nodes[i]
	n.prev, n.next = -1, c.head
	if c.head >= 0 {
		c.nodes[c.head].prev = i
	}
	c.head = i
	if c.tail < 0 {
		c.tail = i
	}
}
