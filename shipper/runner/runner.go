// Package runner assembles one run of the shipper from a loaded
// configuration: the registry, the output, the pipeline, the processors and
// the inputs, and runs them until stopped (or, with Once, until every input
// is read and every event acknowledged).
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/outputs"
	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
	"github.com/shipper-project/shipper/shipper/sdnotify"
	"github.com/shipper-project/shipper/shipper/setup"
	"github.com/shipper-project/shipper/shipper/state"
	"github.com/shipper-project/shipper/shipper/version"
)

// Options change how a configuration is run.
type Options struct {
	Once bool // read every input to its end, deliver, commit, return
	// Recent keeps the last warnings and errors for the status page (the
	// CLI wraps the logger with it); may be nil.
	Recent *monitoring.RecentLog
	// CheckOnly builds every plugin without opening path.data (test config).
	CheckOnly bool
	// Reloaded says this run replaces one stopped for a reload (SIGHUP):
	// it logs "shipper reloaded" instead of "shipper started". Metrics and
	// Start, when set, carry the process-lifetime counters and start time
	// over, so that a reload resets neither /stats nor the uptime.
	Reloaded bool
	Metrics  *monitoring.Registry
	Start    time.Time
}

// Check builds every plugin of cfg, so that plugin-level configuration
// errors show, and releases them again.
func Check(cfg *config.Config, log *slog.Logger) error {
	r, err := New(cfg, Options{CheckOnly: true}, log)
	if err != nil {
		return err
	}
	// Inputs that opened something (GeoIP databases and their watchers)
	// release it: they will not run.
	for _, ri := range r.inputs {
		if rel, ok := ri.in.(interface{ Release() }); ok {
			rel.Release()
		}
	}
	r.closeAll()
	return r.pipe.Close()
}

type runInput struct {
	id     string
	typ    string
	in     inputs.Input
	client pipeline.Client
	errs   *errorRecorder // with Once: the first error the input logged
}

// Runner is one assembled run.
type Runner struct {
	cfg     *config.Config
	opts    Options
	log     *slog.Logger
	Metrics *monitoring.Registry
	store   *state.Store
	pipe    *pipeline.Pipeline
	dlq     *pipeline.DeadLetterFile
	inputs  []runInput
	closers []processors.Closer

	start     time.Time
	agentName string
	outName   string
	out       outputs.Output
	recent    *monitoring.RecentLog // last warnings and errors, for the status page; may be nil
	reloading atomic.Bool           // stopping to be replaced: no stop summary
}

// Start is when the process started (carried over reloads).
func (r *Runner) Start() time.Time { return r.start }

// StopForReload marks the coming stop as one for a reload: the runner does
// not log the stop summary ("shipper stopped"); the next one logs
// "shipper reloaded" and keeps counting in the same counters.
func (r *Runner) StopForReload() { r.reloading.Store(true) }

// New builds everything the configuration names. Configuration errors name
// the file, line and key.
func New(cfg *config.Config, opts Options, log *slog.Logger) (_ *Runner, err error) {
	m := opts.Metrics
	if m == nil {
		m = monitoring.NewRegistry()
	}
	start := opts.Start
	if start.IsZero() {
		start = time.Now()
	}
	r := &Runner{cfg: cfg, opts: opts, log: log, Metrics: m, start: start, recent: opts.Recent}
	defer func() {
		if err != nil {
			r.closeAll() // what was opened before the error
		}
	}()
	dataDir := cfg.Path.Data
	if !filepath.IsAbs(dataDir) && cfg.Path.Home != "" {
		dataDir = filepath.Join(cfg.Path.Home, dataDir)
	}

	// With CheckOnly (`test config`) every plugin is built even after one
	// failed, so that all the problems are reported at once (issue 19).
	var errs []error

	// The output first: it fixes the batch size.
	var outName string
	var outSec config.Section
	for k, s := range cfg.Output {
		outName, outSec = k, s
	}
	// setup.* is checked by `test config` and `run` alike (issue 15),
	// whatever the output. When it is broken the output gets the defaults
	// (its own check of setup.ilm/template would repeat the errors).
	setupSec := cfg.Setup
	if _, err := setup.Decode(cfg.Setup); err != nil {
		errs = append(errs, err)
		setupSec = config.Section{}
	}
	var out outputs.Output = discard{}
	var set outputs.Settings
	if op, ok := outputs.Lookup(outName); !ok {
		if len(cfg.Output) == 1 { // none or several: the loader said so
			errs = append(errs, outSec.Errorf("", "unknown output %q: %s (known: %s)", outName, notSupported(config.BeatsOutputs, outName), strings.Join(outputs.Names(), ", ")))
		}
	} else if o, st, err := op.Factory(outSec, outputs.Env{Log: log.With("output", outName), Metrics: m, DataPath: dataDir, Setup: setupSec}); err != nil {
		errs = append(errs, err)
	} else {
		out, set = o, st
	}

	// Build processors and inputs before touching path.data, so that
	// `test config` style errors come first.
	global, err := processors.Build(cfg.Processors, processors.Env{Log: log, Metrics: m, Name: "processor.global", DataPath: dataDir})
	if err != nil {
		errs = append(errs, err)
	}
	r.track(global)
	if len(errs) > 0 && !opts.CheckOnly {
		out.Close()
		return nil, errors.Join(errs...)
	}

	if !opts.CheckOnly {
		if err := r.openData(dataDir, cfg.Shipper.Registry.Path, set); err != nil {
			out.Close()
			return nil, err
		}
	}
	batch := set.BatchSize
	if m := cfg.Queue.Mem.Flush.MinEvents; m > 0 && (batch <= 0 || m < batch) {
		batch = m
	}
	r.pipe = pipeline.New(pipeline.Settings{
		QueueEvents:  cfg.Queue.Mem.Events,
		QueueBytes:   int64(cfg.Queue.Mem.Bytes),
		BatchSize:    batch,
		FlushTimeout: cfg.Queue.Mem.Flush.Timeout,
		Workers:      set.Workers,
		BackoffInit:  set.BackoffInit,
		BackoffMax:   set.BackoffMax,
		DeadLetter:   r.dlqWriter(),
	}, out, log.With("output", outName), m)

	if dq := cfg.Queue.Disk; dq != nil && !opts.CheckOnly {
		set := pipeline.DiskQueueSettings{Path: dq.Path, MaxSize: int64(dq.MaxSize), SegmentSize: int64(dq.SegmentSize), SyncInterval: dq.SyncInterval}
		if set.Path == "" {
			set.Path = filepath.Join(dataDir, "diskqueue")
		}
		if set.MaxSize <= 0 {
			set.MaxSize = 32 << 20
		}
		if set.SegmentSize <= 0 {
			set.SegmentSize = min(4<<20, set.MaxSize/4)
		}
		if set.SyncInterval <= 0 {
			set.SyncInterval = time.Second
		}
		if err := r.pipe.EnableDiskQueue(set); err != nil {
			out.Close()
			return nil, err
		}
	}

	host, _ := os.Hostname()
	indexStatic := inputIndexStatic(version.Version)
	agentName := cfg.Name
	if agentName == "" {
		agentName = host
	}
	r.agentName, r.outName, r.out = agentName, outName, out
	agentID := ""
	if !opts.CheckOnly { // test config writes nothing
		agentID = loadAgentID(dataDir)
	}
	for i, sec := range cfg.Shipper.Inputs {
		typ := sec.String("type")
		if on, _ := sec.Enabled(); !on {
			continue // as Filebeat: a disabled input is not built (a bad value: the loader said so)
		}
		p, ok := inputs.Lookup(typ)
		if !ok {
			errs = append(errs, sec.Errorf("type", "unknown input type %q: %s (known: %s)", typ, notSupported(config.BeatsInputs, typ), strings.Join(inputs.Names(), ", ")))
			continue
		}
		id := sec.String("id")
		if id == "" {
			id = fmt.Sprintf("%s-%d", typ, i)
		}
		ilog := log.With("input", typ, "id", id)
		name := "input." + id
		inLog, logged := ilog, (*errorRecorder)(nil)
		if opts.Once { // the input's own errors fail the run; its processors' do not
			logged = &errorRecorder{}
			inLog = slog.New(recordingHandler{next: ilog.Handler(), rec: logged})
		}
		in, err := p.Factory(sec, inputs.Env{ID: id, Log: inLog, Metrics: m, Store: r.store, Once: opts.Once, DataPath: dataDir, Name: name})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var common struct {
			Processors      []config.Section `yaml:"processors"`
			Fields          map[string]any   `yaml:"fields"`
			FieldsUnderRoot bool             `yaml:"fields_under_root"`
			Tags            []string         `yaml:"tags"`
			Index           string           `yaml:"index"`
			Pipeline        string           `yaml:"pipeline"`
		}
		// Only the framework's keys: the plugin reports unknown ones.
		if err := sec.DecodeLax(&common); err != nil {
			errs = append(errs, err)
			continue
		}
		var index *elasticsearch.InputIndex
		if common.Index != "" {
			if index, err = elasticsearch.NewInputIndex(common.Index, indexStatic); err != nil {
				errs = append(errs, sec.Errorf("index", "%v", err))
				continue
			}
		}
		for j := range common.Processors {
			common.Processors[j].File = sec.File
			common.Processors[j].Path = fmt.Sprintf("%s.processors[%d]", sec.Path, j)
		}
		procs, err := processors.Build(common.Processors, processors.Env{Log: ilog, Metrics: m, Name: name + ".processor", DataPath: dataDir})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.track(procs)
		static := event.Fields{
			{Key: "input.type", Value: typ},
			{Key: "agent.type", Value: "shipper"},
			{Key: "agent.name", Value: agentName},
			{Key: "agent.version", Value: version.Version},
			{Key: "agent.id", Value: agentID},
			{Key: "host.name", Value: host},
			{Key: "ecs.version", Value: version.ECS},
		}
		tags := append(append([]string(nil), cfg.Tags...), common.Tags...)
		if len(tags) > 0 {
			static = append(static, event.Field{Key: "tags", Value: tags})
		}
		static = append(static, userFields(cfg.Fields, cfg.FieldsUnderRoot, common.Fields, common.FieldsUnderRoot)...)
		var ack func([]any)
		if c, ok := in.(inputs.Cursorer); ok {
			ack = c.ACKed
		}
		all := append(procs, global...)
		var fixedIndex string
		if index != nil {
			var fixed bool
			if fixedIndex, fixed = index.Fixed(); !fixed {
				// First, as Filebeat's add_formatted_index: the
				// date is the event's before any processor.
				all = append([]processors.Processor{inputIndex{index}}, all...)
			}
		}
		client := r.pipe.Connect(pipeline.ClientConfig{
			Processors: all,
			Static:     static,
			ACK:        ack,
			Name:       name,
			Log:        ilog,
			Index:      fixedIndex,
			Pipeline:   common.Pipeline,
		}, m)
		r.inputs = append(r.inputs, runInput{id: id, typ: typ, in: in, client: client, errs: logged})
	}
	if len(errs) > 0 {
		out.Close()
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// userFields returns the global and the input's `fields`, each under
// "fields." unless its fields_under_root is set, as Beats adds them
// (libbeat/publisher/processing): nested maps merge, and on the same key
// the input's value wins over the global one.
func userFields(global map[string]any, globalRoot bool, input map[string]any, inputRoot bool) event.Fields {
	var f event.Fields
	put := func(m map[string]any, underRoot bool) {
		prefix := "fields."
		if underRoot {
			prefix = ""
		}
		flattenInto(&f, prefix, m)
	}
	put(global, globalRoot)
	put(input, inputRoot)
	return f
}

// flattenInto puts every leaf of m under prefix; Put replaces a previous
// value of the same key and any key conflicting with it.
func flattenInto(f *event.Fields, prefix string, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
			flattenInto(f, prefix+k+".", sub)
			continue
		}
		f.Put(prefix+k, m[k])
	}
}

// notSupported says why a Beats plugin name is not available.
func notSupported(beats map[string]string, name string) string {
	why, ok := beats[name]
	switch {
	case !ok:
		return "not a Filebeat name either"
	case why == "":
		return "Filebeat has it; " + config.NotImplemented + " here"
	}
	return "Filebeat has it; " + strings.ReplaceAll(why, "`", "")
}

// discard stands in for an output that could not be built, so that
// `test config` can go on building the rest.
type discard struct{}

func (discard) Publish(context.Context, *pipeline.Batch) error { return nil }
func (discard) Close() error                                   { return nil }

func (r *Runner) track(ps []processors.Processor) {
	for _, p := range ps {
		if c, ok := p.(processors.Closer); ok {
			r.closers = append(r.closers, c)
		}
	}
}

func (r *Runner) closeAll() {
	for _, c := range r.closers {
		c.Close()
	}
	if r.dlq != nil {
		r.dlq.Close()
	}
	if r.store != nil {
		if err := r.store.Close(); err != nil {
			r.log.Error("final registry write failed", "error", err)
		}
	}
}

// Close releases a runner that was built but never run (Run releases
// what it ran).
func (r *Runner) Close() error {
	r.closeAll()
	return r.pipe.Close()
}

// Run runs until ctx is done (a graceful stop: inputs stop, events in
// flight are delivered within shipper.shutdown_timeout, cursors are written)
// or, with Once, until every input is read and every event final. If ctx is
// already done (a stop requested during start-up or a reload), nothing
// starts.
func (r *Runner) Run(ctx context.Context) error {
	if ctx.Err() != nil {
		r.log.Info("stop requested before the inputs started; not starting")
		err := r.Close()
		if r.opts.Reloaded { // the one replaced did not log it
			r.logSummary()
		}
		return err
	}
	defer r.closeAll()
	storeCtx, stopStore := context.WithCancel(context.Background())
	var storeWG sync.WaitGroup
	storeWG.Go(func() { r.store.Run(storeCtx) })
	// Idempotent: called before the stop summary (so that it counts the
	// last registry write) and deferred for the early returns.
	closeStore := func() { stopStore(); storeWG.Wait() }
	defer closeStore()

	r.pipe.Start()
	metricsCtx, stopMetrics := context.WithCancel(context.Background())
	defer stopMetrics()
	if r.cfg.Logging.Metrics.Enabled && r.cfg.Logging.Metrics.Period > 0 {
		go r.logMetrics(metricsCtx, r.cfg.Logging.Metrics.Period)
	}

	if r.cfg.HTTP.Enabled && !r.opts.Once {
		addr := net.JoinHostPort(r.cfg.HTTP.Host, strconv.Itoa(r.cfg.HTTP.Port))
		httpCtx, stopHTTP := context.WithCancel(context.Background())
		var httpWG sync.WaitGroup
		httpWG.Go(func() {
			if err := monitoring.Serve(httpCtx, addr, r.Metrics, r.status, r.log); err != nil {
				r.log.Error("monitoring endpoint failed", "address", addr, "error", err)
			}
		})
		defer func() { stopHTTP(); httpWG.Wait() }()
	}
	if r.opts.Reloaded {
		r.log.Info("shipper reloaded", "version", version.Version, "inputs", len(r.inputs), "config", r.cfg.File)
	} else {
		r.log.Info("shipper started", "version", version.Version, "inputs", len(r.inputs), "once", r.opts.Once)
	}
	sdnotify.Notify(sdnotify.Ready + "\n" + sdnotify.Status(fmt.Sprintf("shipping %d inputs to %s", len(r.inputs), r.outName)))
	inCtx, stopInputs := context.WithCancel(ctx)
	defer stopInputs()
	var wg sync.WaitGroup
	errc := make(chan error, len(r.inputs))
	running := make([]atomic.Bool, len(r.inputs))
	for i, ri := range r.inputs {
		running[i].Store(true)
		wg.Go(func() {
			defer running[i].Store(false)
			err := ri.in.Run(inCtx, ri.client)
			if inCtx.Err() != nil {
				return
			}
			if err != nil {
				errc <- fmt.Errorf("input %s (%s): %w", ri.id, ri.typ, err)
			} else if ri.errs != nil && ri.errs.err() != "" {
				errc <- fmt.Errorf("input %s (%s): %s", ri.id, ri.typ, ri.errs.err())
			}
		})
	}
	inputsDone := make(chan struct{})
	go func() { wg.Wait(); close(inputsDone) }()

	var runErr error
	select {
	case <-inputsDone:
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		sdnotify.Notify(sdnotify.Stopping)
	}
	stopInputs()
	// An input must return soon after its context ends. If one does not,
	// say which, rather than hang without a word (a second signal exits).
	t := time.NewTimer(r.cfg.Shipper.ShutdownTimeout)
	select {
	case <-inputsDone:
	default:
		select {
		case <-inputsDone:
		case <-t.C:
			r.warnStuck(running)
			<-inputsDone
		}
	}
	t.Stop()
	close(errc)
	for err := range errc {
		r.log.Error("input failed", "error", err)
		runErr = errors.Join(runErr, err)
	}

	// Drain: with Once, wait for every event (that is the point of a
	// backfill) unless interrupted; otherwise bounded by shutdown_timeout.
	drainCtx := ctx
	var cancel context.CancelFunc
	if ctx.Err() != nil || !r.opts.Once {
		drainCtx, cancel = context.WithTimeout(context.Background(), r.cfg.Shipper.ShutdownTimeout)
		defer cancel()
	}
	if err := r.pipe.Drain(drainCtx); err != nil {
		r.log.Warn("stopping with events not acknowledged; they will be read again at the next start", "error", err)
		if r.opts.Once && ctx.Err() == nil {
			runErr = errors.Join(runErr, err)
		}
	}
	if err := r.pipe.Close(); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("close output: %w", err))
	}
	stopMetrics()
	closeStore() // the last registry write, before the summary counts it
	if r.reloading.Load() {
		r.log.Debug("stopped for a reload")
	} else {
		r.logSummary()
	}
	return runErr
}

// warnStuck names the inputs that have not returned from Run.
func (r *Runner) warnStuck(running []atomic.Bool) {
	var stuck []string
	for i, ri := range r.inputs {
		if running[i].Load() {
			stuck = append(stuck, ri.id+" ("+ri.typ+")")
		}
	}
	r.log.Error("inputs have not stopped after shipper.shutdown_timeout; still waiting for them", "inputs", strings.Join(stuck, ", "), "timeout_seconds", r.cfg.Shipper.ShutdownTimeout.Seconds())
}

// logMetrics logs the non-zero counter changes every period, as Beats'
// "Non-zero metrics in the last 30s".
func (r *Runner) logMetrics(ctx context.Context, period time.Duration) {
	prev := map[string]int64{}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		snap := r.Metrics.Snapshot()
		attrs := metricsAttrs(prev, snap)
		prev = snap
		if len(attrs) > 0 {
			r.log.Info(fmt.Sprintf("non-zero metrics in the last %s", period), attrs...)
		}
	}
}

// metricsAttrs lists, sorted by name, the counters that changed since prev
// (as the change) and the gauges that are not zero or just became zero (as
// their value: a level, not a change).
func metricsAttrs(prev, snap map[string]int64) []any {
	keys := make([]string, 0, len(snap))
	for k := range snap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var attrs []any
	for _, k := range keys {
		if monitoring.IsGauge(k) {
			if v := snap[k]; v != 0 || prev[k] != 0 {
				attrs = append(attrs, k, v)
			}
		} else if d := snap[k] - prev[k]; d != 0 {
			attrs = append(attrs, k, d)
		}
	}
	return attrs
}

func (r *Runner) logSummary() {
	s := r.Metrics.Snapshot()
	r.log.Info("shipper stopped",
		"published", s["pipeline.events.published"],
		"acked", s["output.events.acked"],
		"duplicates", s["output.events.duplicates"],
		"dead_letter", s["output.events.dead_letter"],
		"filtered", s["pipeline.events.filtered"],
		"registry_writes", s["registry.writes"])
}

// openData opens the registry and the dead-letter file under path.data.
func (r *Runner) openData(dataDir, registryPath string, set outputs.Settings) error {
	regDir := dataDir
	if registryPath != "" { // filebeat.registry.path, relative to path.data as in Filebeat
		regDir = registryPath
		if !filepath.IsAbs(regDir) {
			regDir = filepath.Join(dataDir, regDir)
		}
	}
	var err error
	r.store, err = state.Open(regDir, r.cfg.Shipper.Registry.Flush, r.Metrics)
	if err != nil {
		return err
	}
	dlqMax := set.DeadLetterMaxBytes
	if dlqMax <= 0 {
		dlqMax = 16 << 20
	}
	r.dlq, err = pipeline.OpenDeadLetter(filepath.Join(dataDir, "dead_letter"), dlqMax, r.Metrics)
	return err
}

func (r *Runner) dlqWriter() pipeline.DeadLetterWriter {
	if r.dlq == nil {
		return nil
	}
	return r.dlq
}

// status describes this run for the monitoring endpoints.
func (r *Runner) status() monitoring.Status {
	st := monitoring.Status{
		Name: r.agentName, Version: version.Version, Commit: version.CommitOrVCS(), Start: r.start,
		Output: r.outName, QueueCapacity: r.cfg.Queue.Mem.Events, QueueBytes: int64(r.cfg.Queue.Mem.Bytes), Errors: r.recent.Entries(), Config: r.cfg.File,
	}
	if h, ok := r.out.(interface{ Hosts() []string }); ok {
		st.OutputHosts = h.Hosts()
	}
	for _, in := range r.inputs {
		st.Inputs = append(st.Inputs, monitoring.InputStatus{ID: in.id, Type: in.typ})
	}
	return st
}
