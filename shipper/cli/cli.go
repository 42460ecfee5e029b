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
	"path/filepath"
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
  shipper test-flows [--type netflow|sflow] [--port N] [-c FILE] FILE.pcap
  shipper export config   [-c FILE]     the configuration as loaded, secrets masked
  shipper export template|ilm-policy|index-pattern [-c FILE] [-o FILE]
  shipper export dashboards
  shipper setup [--index-management] [--dashboards] [-c FILE]
  shipper doctor [-c FILE]
  shipper keystore create|add|list|remove
  shipper dlq list|replay [-c FILE]
  shipper version

Common flags (anywhere on the line, as in Filebeat):
  -c FILE            configuration file (default shipper.yml, read from
                     --path.config when relative)
  -E key=value       override a configuration setting (repeatable)
  -e                 log to stderr (the default; kept for Filebeat habits)
  -d SELECTORS       enable debug logging ("*" for all)
  --path.data DIR    override path.data (also --path.home, --path.config,
                     --path.logs)
  --strict.perms     refuse config files others may write or, when they hold
                     literal secrets, read; and secrets in -E (default true)
`

// Main runs the command line and returns the process exit code.
func Main(args []string) int {
	// The collector at gc_percent's default for every command (see
	// config.DefaultGCPercent); `run` applies the file's gc_percent. GOGC
	// still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(config.DefaultGCPercent)
	}
	return run(args[1:], os.Stdin, os.Stdout, os.Stderr)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	code := dispatch(args, stdin, stdout, stderr)
	if code == ExitUsage && asksHelp(args) {
		return ExitOK // `-h` asks for the usage it printed: not an error, as in Beats
	}
	return code
}

// asksHelp reports whether args hold -h, -help or --help (before a "--").
func asksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Global flags go anywhere, as in Beats: `shipper -e test config`,
	// `shipper test config -e -c x.yml`, `shipper -c x.yml run --once`.
	// They are taken out here and handed to the command after its verbs.
	globals, args := splitGlobals(args)
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return Run(append(globals, args...), stdout, stderr)
	}
	with := func(rest []string) []string { return append(append([]string(nil), globals...), rest...) }
	switch args[0] {
	case "run":
		return Run(with(args[1:]), stdout, stderr)
	case "test":
		if len(args) < 2 {
			fmt.Fprintln(stderr, "shipper test: want `test config` or `test output`")
			return ExitUsage
		}
		switch args[1] {
		case "config":
			return TestConfig(with(args[2:]), stdout, stderr)
		case "output":
			return TestOutput(with(args[2:]), stdout, stderr)
		}
		fmt.Fprintf(stderr, "shipper test: unknown %q (want config or output)\n", args[1])
		return ExitUsage
	case "test-pattern":
		return TestPattern(args[1:], stdin, stdout, stderr)
	case "test-flows":
		return TestFlows(with(args[1:]), stdin, stdout, stderr)
	case "export":
		if len(args) >= 2 && args[1] == "config" {
			return ExportConfig(with(args[2:]), stdout, stderr)
		}
		if len(args) >= 2 && args[1] == "template" {
			return ExportTemplate(with(args[2:]), stdout, stderr)
		}
		if len(args) >= 2 && args[1] == "dashboards" {
			return ExportDashboards(with(args[2:]), stdout, stderr)
		}
		if len(args) >= 2 && args[1] == "ilm-policy" {
			return ExportILMPolicy(with(args[2:]), stdout, stderr)
		}
		if len(args) >= 2 && args[1] == "index-pattern" {
			return ExportIndexPattern(with(args[2:]), stdout, stderr)
		}
		fmt.Fprintln(stderr, "shipper export: want `export config`, `export template`, `export ilm-policy`, `export index-pattern` or `export dashboards`")
		return ExitUsage
	case "setup":
		return Setup(with(args[1:]), stdout, stderr)
	case "doctor":
		return Doctor(with(args[1:]), stdout, stderr)
	case "keystore":
		return Keystore(withSub(globals, args[1:]), stdin, stdout, stderr)
	case "dlq":
		return DLQ(withSub(globals, args[1:]), stdout, stderr)
	case "version":
		return Version(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(stderr, "shipper: unknown command %q\n\n%s", args[0], usage)
	return ExitUsage
}

// withSub puts the global flags after a command's sub-verb (`keystore add`,
// `dlq list`), where its flag set starts.
func withSub(globals, args []string) []string {
	if len(args) == 0 || len(globals) == 0 {
		return args
	}
	return append(append([]string{args[0]}, globals...), args[1:]...)
}

// globalValueFlags and globalBoolFlags are the flags every command that
// reads the configuration takes (newFlags), as Beats' global flags.
var (
	globalValueFlags = map[string]bool{"c": true, "E": true, "d": true, "path.config": true, "path.home": true, "path.logs": true, "path.data": true}
	globalBoolFlags  = map[string]bool{"e": true, "strict.perms": true}
)

// splitGlobals takes the global flags (and their values) out of args,
// wherever they are; the rest keeps its order. "--" ends the flags.
func splitGlobals(args []string) (globals, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return globals, append(rest, args[i:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-") || a == "-":
			rest = append(rest, a)
		case globalBoolFlags[name]:
			globals = append(globals, a)
		case globalValueFlags[name] && hasValue:
			globals = append(globals, a)
		case globalValueFlags[name] && i+1 < len(args):
			globals = append(globals, a, args[i+1])
			i++
		default:
			rest = append(rest, a) // a command's own flag, or a missing value the command reports
		}
	}
	return globals, rest
}

// common holds the flags every command that reads the config takes.
type common struct {
	configFile  string // -c, joined to --path.config when relative
	configArg   string
	pathConfig  string
	pathHome    string
	pathLogs    string
	overrides   multiFlag
	toStderr    bool
	debug       string
	pathData    string
	strictPerms bool
	logClosers  []io.Closer // log files opened by logger
}

// setPath is a flag.Value that stores into one of common's path fields and
// recomputes the config file's path (-c and --path.config in any order).
type setPath struct {
	c   *common
	dst *string
}

func (p setPath) String() string {
	if p.dst == nil {
		return ""
	}
	return *p.dst
}

func (p setPath) Set(v string) error {
	*p.dst = v
	// Beats: a relative -c is read from path.config, which defaults to
	// path.home.
	dir := p.c.pathConfig
	if dir == "" {
		dir = p.c.pathHome
	}
	p.c.configFile = p.c.configArg
	if dir != "" && !filepath.IsAbs(p.c.configArg) {
		p.c.configFile = filepath.Join(dir, p.c.configArg)
	}
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &common{configFile: "shipper.yml", configArg: "shipper.yml"}
	fs.Var(setPath{c, &c.configArg}, "c", "configuration file (default shipper.yml; relative to --path.config)")
	fs.Var(&c.overrides, "E", "override a setting: key=value (repeatable)")
	fs.BoolVar(&c.toStderr, "e", false, "log to stderr (not to files, even with logging.to_files)")
	fs.StringVar(&c.debug, "d", "", "enable debug logging for selectors (\"*\" for all)")
	fs.StringVar(&c.pathData, "path.data", "", "override path.data")
	fs.Var(setPath{c, &c.pathConfig}, "path.config", "override path.config (where a relative -c is read)")
	fs.Var(setPath{c, &c.pathHome}, "path.home", "override path.home (path.config, path.data and path.logs default below it)")
	fs.StringVar(&c.pathLogs, "path.logs", "", "override path.logs")
	fs.BoolVar(&c.strictPerms, "strict.perms", true, "check the config file's permissions")
	return fs, c
}

// load reads the configuration named by the flags, checking its
// permissions first.
func (c *common) load() (*config.Config, error) {
	ov := append([]string(nil), c.overrides...)
	for _, p := range []struct{ key, v string }{{"path.data", c.pathData}, {"path.home", c.pathHome}, {"path.logs", c.pathLogs}, {"path.config", c.pathConfig}} {
		if p.v != "" {
			ov = append(ov, p.key+"="+p.v)
		}
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

// logger builds the configured logger. With logging.to_files (and without
// -e) it writes to rotated files under logging.files.path (default
// path.logs); close releases them.
func (c *common) logger(cfg *config.Config, stderr io.Writer) *slog.Logger {
	log, closer := c.loggerTo(cfg, stderr)
	c.logClosers = append(c.logClosers, closer)
	return log
}

// closeLogs closes the log files the loggers opened.
func (c *common) closeLogs() {
	for _, cl := range c.logClosers {
		cl.Close()
	}
	c.logClosers = nil
}

func (c *common) loggerTo(cfg *config.Config, stderr io.Writer) (*slog.Logger, io.Closer) {
	level, _ := config.ParseLevel(cfg.Logging.Level)
	if c.debug != "" || len(cfg.Logging.Selectors) > 0 {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	w, closer := stderr, io.Closer(nopCloser{})
	if cfg.Logging.ToFiles && !c.toStderr {
		lf, err := openLogFiles(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "error: %v; logging to stderr\n", err)
		} else {
			w, closer = lf, lf
		}
	}
	if cfg.Logging.JSON {
		return slog.New(slog.NewJSONHandler(w, opts)), closer
	}
	return slog.New(slog.NewTextHandler(w, opts)), closer
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

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
