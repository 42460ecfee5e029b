package cli

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/inputs/netflow"
	"github.com/shipper-project/shipper/inputs/sflow"
	"github.com/shipper-project/shipper/shipper/config"
)

// applyRuntime applies the runtime's settings, max_procs, gc_percent and
// memory_limit, at start and after a reload.
func applyRuntime(cfg *config.Config, log *slog.Logger) {
	applyMaxProcs(cfg, log)
	applyGCPercent(cfg, log)
	applyMemoryLimit(cfg, log)
}

// applyMaxProcs sets how many threads run Go code at once from max_procs
// (Beats' key; default config.DefaultMaxProcs, 1; 0: Go's default, every
// CPU the process may use, as Beats without the key), unless GOMAXPROCS is
// set in the environment: the runtime read that one at start and it wins,
// as GOGC wins over gc_percent. It returns the setting in force.
//
// Why one by default (issue 17): on a router the shipper is a guest beside
// the work the box is for, and one core bounds what it can take from it,
// also while it catches up a backlog. On one core the squid → file
// benchmark costs less CPU per event than on two: an event is parsed,
// encoded and written in the same core's cache instead of crossing to the
// other core's, and no thread wakes another (README, CPU).
func applyMaxProcs(cfg *config.Config, log *slog.Logger) int {
	if v := os.Getenv("GOMAXPROCS"); v != "" {
		if cfg.MaxProcs != config.DefaultMaxProcs {
			log.Info("GOMAXPROCS from the environment wins over max_procs", "GOMAXPROCS", v, "max_procs", cfg.MaxProcs)
		}
		return runtime.GOMAXPROCS(0)
	}
	if cfg.MaxProcs == 0 {
		runtime.SetDefaultGOMAXPROCS()
	} else {
		runtime.GOMAXPROCS(cfg.MaxProcs)
	}
	return runtime.GOMAXPROCS(0)
}

// applyGCPercent sets the collector's heap growth from gc_percent (Beats'
// key; 0: config.DefaultGCPercent), unless GOGC is set in the environment:
// the runtime read that one at start and it wins, as GOMEMLIMIT wins over
// memory_limit (Beats applies gc_percent over GOGC; here the environment
// overrides the packaged file without editing it). It returns the
// percentage in force.
func applyGCPercent(cfg *config.Config, log *slog.Logger) int {
	if v := os.Getenv("GOGC"); v != "" {
		cur := debug.SetGCPercent(-1)
		debug.SetGCPercent(cur)
		if cfg.GCPercent != 0 && cfg.GCPercent != config.DefaultGCPercent {
			log.Info("GOGC from the environment wins over gc_percent", "GOGC", v, "gc_percent", cfg.GCPercent)
		}
		return cur
	}
	pct := cfg.GCPercent
	if pct == 0 {
		pct = config.DefaultGCPercent
	}
	debug.SetGCPercent(pct)
	return pct
}

// applyMemoryLimit sets the Go runtime's soft memory limit from
// memory_limit (0: none), unless GOMEMLIMIT is set in the environment: the
// runtime read that one at start, and it wins, as GOGC wins over the GC
// percentage Main sets. It returns the limit in force (math.MaxInt64: none).
//
// Why a limit (issue 17): the live heap is small (the queue's events and
// the event pool, a batch being written: 3–8 MiB on the squid benchmark),
// but with GOGC=200 the heap may grow to three times its live size before
// a collection, and the freed pages go back to the system slowly. The peak
// resident size followed the largest live heap seen, 33–45 MiB with the
// binary's own pages, more when the cores were busy. Near the limit the
// collector runs sooner and the scavenger returns free pages at once.
func applyMemoryLimit(cfg *config.Config, log *slog.Logger) int64 {
	if v, ok := os.LookupEnv("GOMEMLIMIT"); ok && v != "" {
		cur := debug.SetMemoryLimit(-1)
		if cfg.MemoryLimit != config.DefaultMemoryLimit {
			log.Info("GOMEMLIMIT from the environment wins over memory_limit", "GOMEMLIMIT", v, "memory_limit_bytes", int64(cfg.MemoryLimit))
		}
		return cur
	}
	limit := int64(cfg.MemoryLimit)
	if !rootHasKey(cfg.Root, "memory_limit") {
		limit += flowQueueBytes(cfg) + extraQueueBytes(cfg)
	}
	if limit <= 0 {
		limit = math.MaxInt64
	}
	debug.SetMemoryLimit(limit)
	return limit
}

// flowQueueBytes is what the enabled netflow and sflow inputs' decode
// queues may hold: queue_size datagrams of up to max_message_size bytes
// each. UDP cannot be back-pressured, so a burst fills them: under a
// default limit that does not count them the collector runs without pause
// (the GC CPU limiter lets it take half the CPU) and the input decodes at a
// third of its speed, losing datagrams it would have kept (measured with
// scripts/bench/flows-vs-filebeat.sh: 46 instead of 14 CPU-µs per flow at
// saturation). The default limit grows by this much; an explicit
// memory_limit is the operator's.
func flowQueueBytes(cfg *config.Config) int64 {
	var sum int64
	for _, sec := range cfg.Shipper.Inputs {
		var q struct {
			Enabled        *bool           `yaml:"enabled"`
			QueueSize      int             `yaml:"queue_size"`
			MaxMessageSize config.ByteSize `yaml:"max_message_size"`
		}
		switch sec.String("type") {
		case "netflow":
			d := netflow.DefaultConfig()
			q.QueueSize, q.MaxMessageSize = d.QueueSize, d.MaxMessageSize
		case "sflow":
			d := sflow.DefaultConfig()
			q.QueueSize, q.MaxMessageSize = d.QueueSize, d.MaxMessageSize
		default:
			continue
		}
		if sec.DecodeLax(&q) != nil || q.Enabled != nil && !*q.Enabled {
			continue
		}
		sum += int64(q.QueueSize) * int64(q.MaxMessageSize)
	}
	return sum
}

// extraQueueBytes is how much queue.mem.bytes is above its default: the
// default memory_limit counts the default bound, and grows with a larger
// one, so that a full queue does not keep the collector running (as with
// the flow queues). With no byte bound (0) nothing is added: the size of
// the events is then unknown.
func extraQueueBytes(cfg *config.Config) int64 {
	return max(int64(cfg.Queue.Mem.Bytes-config.DefaultQueueBytes), 0)
}

// rootHasKey reports whether the configuration sets key at its top level.
func rootHasKey(root *yaml.Node, key string) bool {
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			return true
		}
	}
	return false
}

// peakHeap keeps the heap profile taken when the live heap was largest, for
// --memprofile: a profile taken at exit shows an empty heap after `run
// --once`, and the question is what the peak was made of (issue 17).
type peakHeap struct {
	samples []metrics.Sample
	max     uint64
	cycles  uint64
	prof    bytes.Buffer
	done    chan struct{}
}

func startPeakHeap(ctx context.Context, every time.Duration) *peakHeap {
	h := &peakHeap{
		samples: []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}},
		done:    make(chan struct{}),
	}
	go func() {
		defer close(h.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			h.check()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// check takes a profile after a collection that found more live bytes than
// any before (a heap profile describes the heap as of the last collections).
func (h *peakHeap) check() {
	metrics.Read(h.samples)
	live, cycles := h.samples[0].Value.Uint64(), h.samples[1].Value.Uint64()
	if cycles == h.cycles || live <= h.max {
		return
	}
	h.cycles, h.max = cycles, live
	h.prof.Reset()
	pprof.Lookup("heap").WriteTo(&h.prof, 0)
}

// write waits for the watcher to stop and writes the peak's profile (the
// current one if no collection ran) to path.
func (h *peakHeap) write(path string) error {
	<-h.done
	if h.prof.Len() == 0 {
		pprof.Lookup("heap").WriteTo(&h.prof, 0)
	}
	return os.WriteFile(path, h.prof.Bytes(), 0o600)
}
