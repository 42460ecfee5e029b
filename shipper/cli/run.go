package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

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
// written), or with --once until every input is read and acknowledged.
func Run(args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("run", stderr)
	once := fs.Bool("once", false, "read every input to its end, deliver, commit, exit")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	memprofile := fs.String("memprofile", "", "write a heap profile to this file at exit")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shipper run: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	cfg, err := c.load()
	if err != nil {
		printErr(stderr, "config error: ", err)
		return ExitUsage
	}
	recent := monitoring.NewRecentLog(20)
	log := c.logger(cfg, stderr)
	log = slog.New(recent.Handler(log.Handler()))
	r, err := runner.New(cfg, runner.Options{Once: *once, Recent: recent}, log)
	if err != nil {
		if isConfigError(err) {
			printErr(stderr, "config error: ", err)
			return ExitUsage
		}
		printErr(stderr, "error: ", err)
		return ExitRuntime
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return ExitUsage
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if *memprofile != "" {
		defer func() {
			if f, err := os.Create(*memprofile); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *once {
		if err := r.Run(ctx); err != nil {
			printErr(stderr, "error: ", err)
			return ExitRuntime
		}
		return ExitOK
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go sdnotify.RunWatchdog(ctx, nil)
	if err := runReloading(ctx, r, c, cfg, hup, log, recent); err != nil {
		printErr(stderr, "error: ", err)
		return ExitRuntime
	}
	return ExitOK
}

// runReloading runs r until ctx is done; on SIGHUP it reads the
// configuration again and, if it is valid, stops the running one gracefully
// (events in flight delivered, cursors written) and starts the new one, which
// resumes every input from the registry. A bad new configuration is logged
// and the running one keeps going.
func runReloading(ctx context.Context, r *runner.Runner, c *common, cfg *config.Config, hup <-chan os.Signal, log *slog.Logger, recent *monitoring.RecentLog) error {
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
			next, err := c.load()
			if err == nil {
				err = runner.Check(next, slog.New(slog.DiscardHandler))
			}
			if err != nil {
				log.Error("reload refused: the new configuration is invalid; keeping the running one", "file", c.configFile, "error", err)
				sdnotify.Notify(sdnotify.Ready)
				goto wait
			}
			log.Info("reloading configuration", "file", c.configFile)
			cancel()
			if err := <-done; err != nil {
				log.Error("stopping for reload", "error", err)
			}
			opts := runner.Options{Recent: recent}
			nr, err := runner.New(next, opts, log)
			if err != nil {
				log.Error("reload failed; restarting with the previous configuration", "error", err)
				if nr, err = runner.New(cfg, opts, log); err != nil {
					return fmt.Errorf("restart after a failed reload: %w", err)
				}
			} else {
				cfg = next
			}
			r = nr
		}
	}
}
