package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/shipper-project/shipper/inputs/all"     // built-in inputs
	_ "github.com/shipper-project/shipper/outputs/all"    // built-in outputs
	_ "github.com/shipper-project/shipper/processors/all" // built-in processors
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/runner"
	"github.com/shipper-project/shipper/shipper/sdnotify"
)

// Run is `shipper run`: ship until SIGINT/SIGTERM (graceful: in-flight
// events are delivered within shipper.shutdown_timeout and their cursors
// written; a second signal exits at once), or with --once until every
// input is read and acknowledged.
func Run(args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("run", stderr)
	once := fs.Bool("once", false, "read every input to its end, deliver, commit, exit")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	memprofile := fs.String("memprofile", "", "write a heap profile to this file at exit, as it was when the live heap was largest")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shipper run: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	if *memprofile != "" {
		// One sample per 16 KiB instead of 512 KiB, set before start-up
		// allocates: a heap of a few MiB shows its parts (a profiling run
		// costs a little more CPU).
		runtime.MemProfileRate = 16 << 10
	}
	defer c.closeLogs()

	// Signals first, before anything slow (issue 18 #14). Installed after
	// start-up (config, output, GeoIP databases, registry, disk queue), a
	// SIGINT arriving during start-up killed the process without a word,
	// or, when the shipper was started with SIGINT ignored (a background
	// job of a script: Go keeps an inherited SIG_IGN until Notify), was
	// dropped, and the shipper ran until a second signal. SIGHUP, which
	// kills by default, is caught from here on as well.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := []os.Signal{syscall.SIGINT, syscall.SIGTERM}
	if !*once {
		sigs = append(sigs, syscall.SIGHUP)
	}
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, sigs...)
	defer signal.Stop(sigc)
	hup := make(chan os.Signal, 1)
	var logp atomic.Pointer[slog.Logger]
	logp.Store(slog.New(slog.NewTextHandler(stderr, nil))) // until the configured one exists
	routerDone := make(chan struct{})
	defer close(routerDone)
	go routeSignals(sigc, hup, cancel, &logp, routerDone)

	// Start-up runs aside, so that a signal stops it at once: no input has
	// read anything yet, and what it opened is safe to abandon (the
	// registry, the dead-letter file and the disk queue survive a crash).
	type started struct {
		cfg    *config.Config
		log    *slog.Logger
		recent *monitoring.RecentLog
		r      *runner.Runner
		code   int
	}
	startc := make(chan started, 1)
	go func() {
		var st started
		st.cfg, st.log, st.recent, st.r, st.code = startUp(c, *once, stderr)
		startc <- st
	}()
	var st started
	select {
	case st = <-startc:
	case <-ctx.Done():
		logp.Load().Info("stopped by a signal during start-up, before any input ran")
		go func() { // release what start-up opens if it still finishes
			if st := <-startc; st.r != nil {
				st.r.Close()
			}
		}()
		return ExitOK
	}
	if st.r == nil {
		return st.code
	}
	logp.Store(st.log)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "error:", err)
			st.r.Close()
			return ExitUsage
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if *memprofile != "" {
		pctx, stopPeak := context.WithCancel(context.Background())
		peak := startPeakHeap(pctx, 10*time.Millisecond)
		defer func() {
			stopPeak()
			if err := peak.write(*memprofile); err != nil {
				fmt.Fprintln(stderr, "error:", err)
			}
		}()
	}
	if *once {
		if err := st.r.Run(ctx); err != nil {
			printErr(stderr, "error: ", err)
			return ExitRuntime
		}
		return ExitOK
	}
	go sdnotify.RunWatchdog(ctx, nil)
	if err := runReloading(ctx, st.r, c, st.cfg, hup, st.log, st.recent); err != nil {
		printErr(stderr, "error: ", err)
		return ExitRuntime
	}
	return ExitOK
}

// startUp loads the configuration and builds the runner; on failure it has
// printed why and r is nil.
func startUp(c *common, once bool, stderr io.Writer) (*config.Config, *slog.Logger, *monitoring.RecentLog, *runner.Runner, int) {
	cfg, err := c.load()
	if err != nil {
		printErr(stderr, "config error: ", err)
		return nil, nil, nil, nil, ExitUsage
	}
	recent := monitoring.NewRecentLog(20)
	log := c.logger(cfg, stderr)
	log = slog.New(recent.Handler(log.Handler()))
	applyRuntime(cfg, log)
	r, err := runner.New(cfg, runner.Options{Once: once, Recent: recent}, log)
	if err != nil {
		err = config.BlameOverrides(err, cfg.Overrides)
		if isConfigError(err) {
			printErr(stderr, "config error: ", err)
			return nil, nil, nil, nil, ExitUsage
		}
		printErr(stderr, "error: ", err)
		return nil, nil, nil, nil, ExitRuntime
	}
	return cfg, log, recent, r, ExitOK
}

// routeSignals turns signals into actions until done: SIGHUP asks for a
// reload (coalesced: one pending at most); the first SIGINT or SIGTERM
// stops gracefully (cancel); a second one exits at once, for a stop that
// takes too long (a drain against a dead cluster lasts up to
// shutdown_timeout) — before, it was swallowed.
func routeSignals(sigc <-chan os.Signal, hup chan<- os.Signal, cancel func(), logp *atomic.Pointer[slog.Logger], done <-chan struct{}) {
	stopping := false
	for {
		select {
		case <-done:
			return
		case s := <-sigc:
			if s == syscall.SIGHUP {
				select {
				case hup <- s:
				default: // a reload is already pending
				}
				continue
			}
			if !stopping {
				stopping = true
				logp.Load().Info("stopping: signal received; events in flight are delivered within shipper.shutdown_timeout (send the signal again to exit at once)", "signal", s.String())
				cancel()
				continue
			}
			logp.Load().Warn("second signal: exiting at once; events not yet acknowledged are read again at the next start", "signal", s.String())
			os.Exit(ExitRuntime)
		}
	}
}

// runReloading runs r until ctx is done; on SIGHUP it reads the
// configuration again and, if it is valid, stops the running one gracefully
// (events in flight delivered, cursors written) and starts the new one, which
// resumes every input from the registry. A bad new configuration is logged
// and the running one keeps going. A stop requested while a reload reads
// and checks the new configuration ends the reload at once.
func runReloading(ctx context.Context, r *runner.Runner, c *common, cfg *config.Config, hup <-chan os.Signal, log *slog.Logger, recent *monitoring.RecentLog) error {
	type loaded struct {
		cfg *config.Config
		err error
	}
	for {
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.Run(runCtx) }()
	wait:
		select {
		case err := <-done:
			cancel()
			return err
		case <-hup:
			sdnotify.Notify(sdnotify.Reloading)
			lc := make(chan loaded, 1)
			go func() {
				next, err := c.load()
				if err == nil {
					err = runner.Check(next, slog.New(slog.DiscardHandler))
				}
				lc <- loaded{next, err}
			}()
			var l loaded
			select {
			case l = <-lc:
			case <-ctx.Done(): // runCtx too: r is stopping
				log.Info("reload abandoned: stopping")
				err := <-done
				cancel()
				return err
			}
			next, err := l.cfg, l.err
			if err != nil {
				log.Error("reload refused: the new configuration is invalid; keeping the running one", "file", c.configFile, "error", err)
				sdnotify.Notify(sdnotify.Ready)
				goto wait
			}
			log.Info("reloading configuration", "file", c.configFile)
			r.StopForReload()
			cancel()
			if err := <-done; err != nil {
				log.Error("stopping for reload", "error", err)
			}
			opts := runner.Options{Recent: recent, Reloaded: true, Metrics: r.Metrics, Start: r.Start()}
			nr, err := runner.New(next, opts, log)
			if err != nil {
				log.Error("reload failed; restarting with the previous configuration", "error", err)
				if nr, err = runner.New(cfg, opts, log); err != nil {
					return fmt.Errorf("restart after a failed reload: %w", err)
				}
			} else {
				cfg = next
				applyRuntime(cfg, log)
			}
			r = nr // if a stop came meanwhile, its Run returns at once
		}
	}
}
