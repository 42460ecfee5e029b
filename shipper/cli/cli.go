// Package cli is the shipper command line: one file per command. Flags and
// exit codes live here only: 0 ok, 1 runtime error, 2 bad usage or config.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/shipper-project/shipper/shipper/config"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitRuntime = 1
	ExitUsage   = 2
)

const usage = `shipper — ship squid, snort3, sysstat and SNMP data to Elasticsearch

Usage:
  shipper [run] [-c FILE] [--once] [-e] [-d SELECTORS] [-E key=value]...
  shipper test config  [-c FILE]
  shipper test output  [-c FILE]
  shipper test-pattern [--pattern NAME|EXPR] [--module squid] [FILE|-]
  shipper export template|ilm-policy|index-pattern [-c FILE] [-o FILE]
  shipper export dashboards
  shipper setup [--index-management] [--dashboards] [-c FILE]
  shipper doctor [-c FILE]
  shipper keystore create|add|list|remove
  shipper dlq list|replay [-c FILE]
  shipper version

Common flags:
  -c FILE            configuration file (default shipper.yml)
  -E key=value       override a configuration setting (repeatable)
  -e                 log to stderr (the default; kept for Filebeat habits)
  -d SELECTORS       enable debug logging ("*" for all)
  --path.data DIR    override path.data
  --strict.perms     refuse config files others may write or, when they hold
                     literal secrets, read; and secrets in -E (default true)
`

// Main runs the command line and returns the process exit code.
func Main(args []string) int {
	// The heap of a shipper is small and short-lived (a bounded queue of
	// events): collecting at 200 % growth instead of 100 % costs a few MiB
	// and saves about a quarter of the CPU per event (measured on 200k
	// squid lines: 1.73 → 1.30 CPU-s, RSS 26 → 31 MiB). GOGC still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	return run(args[1:], os.Stdin, os.Stdout, os.Stderr)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return Run(nil, stdout, stderr)
	}
	switch args[0] {
	case "run":
		return Run(args[1:], stdout, stderr)
	case "test":
		if len(args) < 2 {
			fmt.Fprintln(stderr, "shipper test: want `test config` or `test output`")
			return ExitUsage
		}
		switch args[1] {
		case "config":
			return TestConfig(args[2:], stdout, stderr)
		case "output":
			return TestOutput(args[2:], stdout, stderr)
		}
		fmt.Fprintf(stderr, "shipper test: unknown %q (want config or output)\n", args[1])
		return ExitUsage
	case "test-pattern":
		return TestPattern(args[1:], stdin, stdout, stderr)
	case "export":
		if len(args) >= 2 && args[1] == "template" {
			return ExportTemplate(args[2:], stdout, stderr)
		}
		if len(args) >= 2 && args[1] == "dashboards" {
			return ExportDashboards(args[2:], stdout, stderr)
		}
		if len(args) >= 2 && args[1] == "ilm-policy" {
			return ExportILMPolicy(args[2:], stdout, stderr)
		}
		if len(args) >= 2 && args[1] == "index-pattern" {
			return ExportIndexPattern(args[2:], stdout, stderr)
		}
		fmt.Fprintln(stderr, "shipper export: want `export template`, `export ilm-policy`, `export index-pattern` or `export dashboards`")
		return ExitUsage
	case "setup":
		return Setup(args[1:], stdout, stderr)
	case "doctor":
		return Doctor(args[1:], stdout, stderr)
	case "keystore":
		return Keystore(args[1:], stdin, stdout, stderr)
	case "dlq":
		return DLQ(args[1:], stdout, stderr)
	case "version":
		return Version(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	}
	if strings.HasPrefix(args[0], "-") {
		return Run(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "shipper: unknown command %q\n\n%s", args[0], usage)
	return ExitUsage
}

// common holds the flags every command that reads the config takes.
type common struct {
	configFile  string
	overrides   multiFlag
	toStderr    bool
	debug       string
	pathData    string
	strictPerms bool
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &common{}
	fs.StringVar(&c.configFile, "c", "shipper.yml", "configuration file")
	fs.Var(&c.overrides, "E", "override a setting: key=value (repeatable)")
	fs.BoolVar(&c.toStderr, "e", false, "log to stderr")
	fs.StringVar(&c.debug, "d", "", "enable debug logging for selectors (\"*\" for all)")
	fs.StringVar(&c.pathData, "path.data", "", "override path.data")
	fs.BoolVar(&c.strictPerms, "strict.perms", true, "check the config file's permissions")
	return fs, c
}

// load reads the configuration named by the flags, checking its
// permissions first.
func (c *common) load() (*config.Config, error) {
	ov := append([]string(nil), c.overrides...)
	if c.pathData != "" {
		ov = append(ov, "path.data="+c.pathData)
	}
	if c.strictPerms {
		if err := errors.Join(config.CheckPerms(c.configFile), config.CheckOverrides(c.overrides)); err != nil {
			return nil, err
		}
	}
	opts, err := c.loadOptions() // ${NAME} from the keystore, then the environment
	if err != nil {
		return nil, err
	}
	return config.Load(c.configFile, ov, opts...)
}

func (c *common) logger(cfg *config.Config, stderr io.Writer) *slog.Logger {
	level, _ := config.ParseLevel(cfg.Logging.Level)
	if c.debug != "" {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Logging.JSON {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

// printErr prints a (possibly joined) error, one problem per line.
func printErr(w io.Writer, prefix string, err error) {
	var lines []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		lines = append(lines, e.Error())
	}
	walk(err)
	for _, l := range lines {
		fmt.Fprintf(w, "%s%s\n", prefix, l)
	}
}

func isConfigError(err error) bool {
	var ce *config.Error
	return errors.As(err, &ce)
}
