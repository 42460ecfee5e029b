package geoip

import (
	"math/rand/v2"
	"net/netip"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCacheMatchesUncached runs cached processors (a small cache that
// evicts all the time, and the default size) and an uncached one over the
// same stream of addresses: the networks of generated databases, their
// neighbours (same records: record cache hits), their IPv4-mapped
// spellings (the same address) and addresses outside every network, in
// random order with repeats. Every event must get the uncached fields.
// Then the databases are replaced by others and, once the cached
// processors have reloaded them, the stream goes on against an uncached
// processor on the new files: nothing cached from the old files shows.
func TestCacheMatchesUncached(t *testing.T) {
	city1, asn1, nets1 := writeGeneratedDBs(t, 31, 1500)
	city2, asn2, nets2 := writeGeneratedDBs(t, 32, 1500)
	env := newTestEnv(t)
	cfg := env.config()
	env.replace(env.city, must(os.ReadFile(city1)))
	env.replace(env.asn, must(os.ReadFile(asn1)))
	cfg.CheckInterval = 0
	var cached []*Processor
	for _, size := range []int{8, 64, DefaultConfig().CacheSize} {
		c := cfg
		c.CacheSize = size
		cached = append(cached, env.open(c))
	}
	rng := rand.New(rand.NewPCG(7, 7))
	stream := func(nets []genNet) []string {
		var out []string
		for range 12000 {
			n := nets[rng.IntN(len(nets))]
			a := n.addr
			switch rng.IntN(6) {
			case 0: // a neighbour in the same network
				if a.Is4() {
					b := a.As4()
					b[3] ^= byte(1 + rng.IntN(200))
					a = netip.AddrFrom4(b)
				} else {
					b := a.As16()
					b[15] ^= byte(1 + rng.IntN(255))
					a = netip.AddrFrom16(b)
				}
			case 1: // IPv4-mapped spelling
				if a.Is4() {
					out = append(out, "::ffff:"+a.String())
					continue
				}
			case 2: // anywhere
				a = netip.AddrFrom4([4]byte{byte(1 + rng.IntN(223)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))})
			}
			out = append(out, a.String())
		}
		return out
	}
	compare := func(phase string, ref *Processor, addrs []string) {
		t.Helper()
		enriched := 0
		for _, ip := range addrs {
			want := fieldMap(run(t, ref, ip))
			if len(want) > 0 {
				enriched++
			}
			for i, p := range cached {
				if got := fieldMap(run(t, p, ip)); !cmp.Equal(got, want) {
					t.Fatalf("%s: cached processor %d, %s: %s", phase, i, ip, cmp.Diff(want, got))
				}
			}
		}
		if enriched < len(addrs)/3 {
			t.Fatalf("%s: %d of %d addresses enriched: the test says little", phase, enriched, len(addrs))
		}
	}
	uncached := func() *Processor {
		c := cfg
		c.CacheSize = 0
		return env.open(c)
	}
	compare("first databases", uncached(), append(stream(nets1), stream(nets2)...))
	if n := env.counter("cache_hits"); n == 0 {
		t.Fatalf("no cache hit")
	}
	reloads := env.counter("reloads")
	env.replace(env.city, must(os.ReadFile(city2)))
	env.replace(env.asn, must(os.ReadFile(asn2)))
	// Each database reload counts once per processor reading it (three
	// cached, one uncached).
	env.waitFor("both databases reloaded", func() bool { return env.counter("reloads") >= reloads+2*4 })
	compare("second databases", uncached(), append(stream(nets2), stream(nets1)...))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// FuzzCache drives a cache with a sequence of gets, puts and purges (two
// bytes each: operation and key) and checks it against a map of what was
// put: a get returns only what was put last for that key in the current
// generation; the key put last is present; the cache never holds more
// than its size; a put from an old generation is dropped.
func FuzzCache(f *testing.F) {
	f.Add(uint8(3), []byte{1, 1, 1, 2, 1, 3, 0, 1, 1, 4, 0, 2, 2, 0, 0, 1})
	f.Add(uint8(16), []byte{1, 5, 1, 6, 1, 7, 1, 8, 1, 9, 0, 5, 0, 9, 3, 1, 0, 1})
	f.Fuzz(func(t *testing.T, size uint8, ops []byte) {
		c := newCache[addrKey](int(size))
		key := func(b byte) addrKey { return keyOf(netip.AddrFrom4([4]byte{1, 2, b >> 4, b})) }
		stored := map[addrKey]*result{}
		oldGen := c.generation()
		for i := 0; i+1 < len(ops); i += 2 {
			k := key(ops[i+1])
			switch ops[i] % 4 {
			case 0:
				res, ok := c.get(k)
				if ok && res != stored[k] {
					t.Fatalf("op %d: get(%v) = %p, last put %p", i/2, k, res, stored[k])
				}
			case 1:
				res := &result{}
				c.put(k, res, c.generation())
				if c == nil {
					continue
				}
				stored[k] = res
				if got, ok := c.get(k); !ok || got != res {
					t.Fatalf("op %d: get(%v) after put = %p, %v", i/2, k, got, ok)
				}
			case 2:
				oldGen = c.generation()
				c.purge()
				clear(stored)
				if c.len() != 0 {
					t.Fatalf("op %d: %d entries after purge", i/2, c.len())
				}
			case 3:
				if c.generation() == oldGen {
					continue
				}
				c.put(k, &result{}, oldGen)
				if _, ok := c.get(k); ok && stored[k] == nil {
					t.Fatalf("op %d: a put from an old generation was stored", i/2)
				}
			}
			if c.len() > int(size) {
				t.Fatalf("op %d: %d entries, size %d", i/2, c.len(), size)
			}
		}
	})
}

// TestCacheSizes: the cache holds at most cache_size entries, and all of
// them when the addresses spread over the sets.
func TestCacheSizes(t *testing.T) {
	for _, size := range []int{1, 2, 3, 4, 5, 8, 10, 1000, 1024, 1025} {
		c := newCache[addrKey](size)
		for i := range 100000 {
			c.put(keyOf(netip.AddrFrom4([4]byte{1, byte(i >> 16), byte(i >> 8), byte(i)})), noRecord, c.generation())
		}
		n := c.len()
		if n > size || n < size/2 {
			t.Errorf("newCache(%d) holds %d entries", size, n)
		}
		if got, want := len(c.sets)*c.ways, n; got != want {
			t.Errorf("newCache(%d): %d sets of %d, %d entries used", size, len(c.sets), c.ways, n)
		}
	}
}
