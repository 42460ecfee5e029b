package monitoring

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Status is what the runner knows beyond the counters: who it is, what runs.
// The HTTP server asks for it on every request (Serve's info function), so
// it may change between requests (a SIGHUP reload).
type Status struct {
	Name          string // agent name (config `name`, else the host name)
	Version       string
	Commit        string
	Start         time.Time
	Inputs        []InputStatus
	Output        string // "elasticsearch", "file", "console"
	OutputHosts   []string
	QueueCapacity int            // queue.mem.events
	QueueBytes    int64          // queue.mem.bytes; 0: no byte bound
	Errors        []LogEntry     // the last warnings and errors (RecentLog.Entries)
	Config        string         // config file path
	Extra         map[string]any // free-form, shown as is under "extra" in /stats
}

// InputStatus names one running input.
type InputStatus struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Stats is the /stats document: Beats-like sections built from the counters
// (names as the pipeline, outputs, state and inputs register them), plus the
// process's own figures. Every counter also appears, unmodified, under
// "counters" so that nothing is hidden by the grouping.
type Stats struct {
	Beat struct {
		Info struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Commit  string `json:"commit"`
			Uptime  struct {
				MS int64 `json:"ms"`
			} `json:"uptime"`
			Config string `json:"config,omitempty"`
		} `json:"info"`
		Memstats Memstats `json:"memstats"`
		CPU      struct {
			User   Millis `json:"user"`
			System Millis `json:"system"`
			Total  Millis `json:"total"`
		} `json:"cpu"`
		Runtime struct {
			Goroutines int `json:"goroutines"`
			// GoMaxProcs is the max_procs in force (GOMAXPROCS).
			GoMaxProcs int `json:"gomaxprocs"`
		} `json:"runtime"`
	} `json:"beat"`
	Pipeline struct {
		Events struct {
			Published       int64 `json:"published"`
			Final           int64 `json:"final"`
			Filtered        int64 `json:"filtered"`
			ProcessorErrors int64 `json:"processor_errors"`
			Active          int64 `json:"active"`
		} `json:"events"`
		// Queue is Beats' libbeat.pipeline.queue: filled is its
		// filled.events (kept under its first name here), filled_bytes its
		// filled.bytes (the estimate queue.mem.bytes bounds; 0 without the
		// bound), max_events and max_bytes the same names.
		Queue struct {
			Filled      int64   `json:"filled"`
			FilledBytes int64   `json:"filled_bytes"`
			MaxEvents   int     `json:"max_events"`
			MaxBytes    int64   `json:"max_bytes"`
			Pct         float64 `json:"pct"`
		} `json:"queue"`
	} `json:"pipeline"`
	Output struct {
		Type   string   `json:"type"`
		Hosts  []string `json:"hosts,omitempty"`
		Health string   `json:"health"`
		Events struct {
			Acked      int64 `json:"acked"`
			Duplicates int64 `json:"duplicates"`
			DeadLetter int64 `json:"dead_letter"`
			Retried    int64 `json:"retried"`
		} `json:"events"`
		Batches struct {
			Sent   int64 `json:"sent"`
			Failed int64 `json:"failed"`
		} `json:"batches"`
		Requests   int64   `json:"requests"`
		WriteBytes int64   `json:"write_bytes"`
		Rate       float64 `json:"events_per_second"`
	} `json:"output"`
	Inputs   []InputStats `json:"inputs"`
	Registry struct {
		Writes       int64 `json:"writes"`
		BytesWritten int64 `json:"bytes_written"`
	} `json:"registry"`
	DeadLetter struct {
		Events  int64 `json:"events"`
		Dropped int64 `json:"dropped"`
		Bytes   int64 `json:"bytes"`
	} `json:"dead_letter"`
	GeoIP    []GeoIPStats     `json:"geoip"`
	Errors   []LogEntry       `json:"errors"`
	Extra    map[string]any   `json:"extra,omitempty"`
	Counters map[string]int64 `json:"counters"`
}

// Memstats are the process's memory figures in bytes. RSS comes from
// /proc/self/status (VmRSS); the rest from runtime.MemStats.
type Memstats struct {
	RSS         int64  `json:"rss"`
	HeapAlloc   uint64 `json:"memory_alloc"`
	TotalAlloc  uint64 `json:"memory_total"`
	Sys         uint64 `json:"memory_sys"`
	GCNext      uint64 `json:"gc_next"`
	NumGC       uint32 `json:"num_gc"`
	HeapObjects uint64 `json:"heap_objects"`
}

// Millis is a duration in milliseconds, Beats' {"ticks": …, "time": {"ms": …}}
// flattened to the number of milliseconds.
type Millis int64

// InputStats is one input's events (from its pipeline client counters
// "input.<id>.events.*") and every other "input.<id>.*" counter it keeps.
type InputStats struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Events struct {
		Published       int64 `json:"published"`
		Acked           int64 `json:"acked"`
		ProcessorErrors int64 `json:"processor_errors"`
	} `json:"events"`
	Rate    float64          `json:"events_per_second"`
	Metrics map[string]int64 `json:"metrics"`
}

// GeoIPStats is the age of one geoip processor's database, from its
// "<name>.database_age_seconds" gauge ("<name>.asn_database_age_seconds"
// for the ASN database).
type GeoIPStats struct {
	Name       string `json:"name"`
	Database   string `json:"database"` // "city" or "asn"
	AgeSeconds int64  `json:"age_seconds"`
}

// rates are events per second over the last sampling window.
type rates struct {
	output float64
	inputs map[string]float64 // by input id
	// failing is true when output.batches.failed grew in the window.
	failing bool
}

// BuildStats groups a counter snapshot into the /stats document.
func BuildStats(snap map[string]int64, st Status, now time.Time) *Stats {
	return buildStats(snap, st, now, rates{})
}

func buildStats(snap map[string]int64, st Status, now time.Time, r rates) *Stats {
	s := &Stats{Counters: snap}
	s.Beat.Info.Name = st.Name
	s.Beat.Info.Version = st.Version
	s.Beat.Info.Commit = st.Commit
	s.Beat.Info.Config = st.Config
	if !st.Start.IsZero() {
		s.Beat.Info.Uptime.MS = now.Sub(st.Start).Milliseconds()
	}
	s.Beat.Memstats = readMemstats()
	s.Beat.CPU.User, s.Beat.CPU.System = cpuTimes()
	s.Beat.CPU.Total = s.Beat.CPU.User + s.Beat.CPU.System
	s.Beat.Runtime.Goroutines = runtime.NumGoroutine()
	s.Beat.Runtime.GoMaxProcs = runtime.GOMAXPROCS(0)

	p := &s.Pipeline
	p.Events.Published = snap["pipeline.events.published"]
	p.Events.Final = snap["pipeline.events.final"]
	p.Events.Filtered = snap["pipeline.events.filtered"]
	p.Events.ProcessorErrors = snap["pipeline.events.processor_errors"]
	p.Queue.Filled = snap["pipeline.queue.filled"]
	// The events holding a slot: published - final within one pipeline,
	// but the counters carry over a reload, and the events a stopped
	// pipeline left behind (read again from the cursor) are out of it.
	p.Events.Active = p.Queue.Filled
	p.Queue.FilledBytes = snap["pipeline.queue.filled.bytes"]
	p.Queue.MaxEvents = st.QueueCapacity
	p.Queue.MaxBytes = st.QueueBytes
	// How full by the nearer bound: both are in force (Beats' pct follows
	// the bytes alone when they are set, as there the event count no
	// longer applies), and either one stops the inputs.
	if st.QueueCapacity > 0 {
		p.Queue.Pct = float64(p.Queue.Filled) / float64(st.QueueCapacity)
	}
	if st.QueueBytes > 0 {
		p.Queue.Pct = max(p.Queue.Pct, float64(p.Queue.FilledBytes)/float64(st.QueueBytes))
	}

	o := &s.Output
	o.Type, o.Hosts = st.Output, st.OutputHosts
	o.Events.Acked = snap["output.events.acked"]
	o.Events.Duplicates = snap["output.events.duplicates"]
	o.Events.DeadLetter = snap["output.events.dead_letter"]
	o.Events.Retried = snap["output.events.retried"]
	o.Batches.Sent = snap["output.batches.sent"]
	o.Batches.Failed = snap["output.batches.failed"]
	o.Requests = snap["output.requests"]
	o.WriteBytes = snap["output.write.bytes"]
	o.Rate = r.output
	o.Health = health(s, r)

	for _, in := range st.Inputs {
		is := InputStats{ID: in.ID, Type: in.Type, Metrics: map[string]int64{}}
		pre := "input." + in.ID + "."
		for k, v := range snap {
			if rest, ok := strings.CutPrefix(k, pre); ok && !strings.HasPrefix(rest, "processor.") {
				switch rest {
				case "events.published":
					is.Events.Published = v
				case "events.acked":
					is.Events.Acked = v
				case "events.processor_errors":
					is.Events.ProcessorErrors = v
				default:
					is.Metrics[rest] = v
				}
			}
		}
		is.Rate = r.inputs[in.ID]
		s.Inputs = append(s.Inputs, is)
	}
	if s.Inputs == nil {
		s.Inputs = []InputStats{}
	}

	s.Registry.Writes = snap["registry.writes"]
	s.Registry.BytesWritten = snap["registry.bytes_written"]
	s.DeadLetter.Events = snap["dead_letter.events"]
	s.DeadLetter.Dropped = snap["dead_letter.dropped"]
	s.DeadLetter.Bytes = snap["dead_letter.bytes"]

	s.GeoIP = []GeoIPStats{}
	for k, v := range snap {
		switch {
		case strings.HasSuffix(k, ".asn_database_age_seconds"):
			s.GeoIP = append(s.GeoIP, GeoIPStats{Name: strings.TrimSuffix(k, ".asn_database_age_seconds"), Database: "asn", AgeSeconds: v})
		case strings.HasSuffix(k, ".database_age_seconds"):
			s.GeoIP = append(s.GeoIP, GeoIPStats{Name: strings.TrimSuffix(k, ".database_age_seconds"), Database: "city", AgeSeconds: v})
		}
	}
	sort.Slice(s.GeoIP, func(i, j int) bool {
		a, b := s.GeoIP[i], s.GeoIP[j]
		return a.Name < b.Name || a.Name == b.Name && a.Database > b.Database
	})
	s.Errors = st.Errors
	if s.Errors == nil {
		s.Errors = []LogEntry{}
	}
	s.Extra = st.Extra
	return s
}

// health summarises the output for a human: "failing" when batches failed
// in the last window (they are being retried), "backpressure" when the
// queue is nearly full, "idle" before anything was sent, else "ok".
func health(s *Stats, r rates) string {
	switch {
	case r.failing:
		return "failing"
	case s.Pipeline.Queue.Pct >= 0.9:
		return "backpressure"
	case s.Output.Batches.Sent == 0 && s.Output.Batches.Failed > 0:
		return "failing"
	case s.Output.Batches.Sent == 0:
		return "idle"
	}
	return "ok"
}

func readMemstats() Memstats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Memstats{
		RSS:         rss(),
		HeapAlloc:   ms.HeapAlloc,
		TotalAlloc:  ms.TotalAlloc,
		Sys:         ms.Sys,
		GCNext:      ms.NextGC,
		NumGC:       ms.NumGC,
		HeapObjects: ms.HeapObjects,
	}
}

// rss reads VmRSS from /proc/self/status; 0 where there is no /proc.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return parseVmRSS(b)
}

// parseVmRSS finds "VmRSS:   1234 kB" and returns bytes.
func parseVmRSS(b []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) == 0 {
			return 0
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0
		}
		if len(f) > 1 && strings.EqualFold(f[1], "kb") {
			n *= 1024
		}
		return n
	}
	return 0
}

func cpuTimes() (user, system Millis) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	ms := func(tv syscall.Timeval) Millis {
		return Millis(int64(tv.Sec)*1000 + int64(tv.Usec)/1000)
	}
	return ms(ru.Utime), ms(ru.Stime)
}
