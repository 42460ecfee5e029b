package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	_ "github.com/shipper-project/shipper/inputs/all"     // built-in inputs
	_ "github.com/shipper-project/shipper/outputs/all"    // built-in outputs
	_ "github.com/shipper-project/shipper/processors/all" // built-in processors
	"github.com/shipper-project/shipper/shipper/runner"
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
	log := c.logger(cfg, stderr)
	r, err := runner.New(cfg, runner.Options{Once: *once}, log)
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
	if err := r.Run(ctx); err != nil {
		printErr(stderr, "error: ", err)
		return ExitRuntime
	}
	return ExitOK
}
