package sysstat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// LineParser is filestream.Parser, restated so that the command mode does
// not depend on the tail engine: it turns the lines of one stream into
// events, keep=false for lines that are not events.
type LineParser interface {
	Parse(line []byte, e *event.Event) (keep bool, err error)
}

// CommandConfig is the "run it ourselves" part of the mpstat and pidstat
// inputs.
type CommandConfig struct {
	// Command is argv; argv[0] is looked up in $PATH.
	Command []string `yaml:"command"`
	// Period between two starts of the command; the first run is at once.
	Period time.Duration `yaml:"period"`
	// Timeout kills a run that takes longer (0: the period).
	Timeout time.Duration `yaml:"timeout"`
	// Env is added to shipper's environment for the command
	// ("LC_ALL=C", "S_TIME_FORMAT=ISO").
	Env []string `yaml:"env"`
}

// Validate checks the command-mode keys.
func (c *CommandConfig) Validate() error {
	var errs []error
	if c.Period <= 0 {
		errs = append(errs, fmt.Errorf("period: must be > 0, got %s", c.Period))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: must be >= 0, got %s", c.Timeout))
	}
	for _, kv := range c.Env {
		if !strings.Contains(kv, "=") {
			errs = append(errs, fmt.Errorf("env: %q is not NAME=value", kv))
		}
	}
	return errors.Join(errs...)
}

// Source produces one reading: a command's stdout or a /proc file.
type Source func(ctx context.Context) ([]byte, error)

// CommandSource runs cfg.Command with a context timeout and returns its
// stdout. The error says what went wrong in words an operator can act on:
// not found in $PATH, killed by the timeout, exit status with the first
// line of stderr.
func CommandSource(cfg CommandConfig) Source {
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = cfg.Period
	}
	return func(ctx context.Context) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, cfg.Command[0], cfg.Command[1:]...)
		if len(cfg.Env) > 0 {
			cmd.Env = append(os.Environ(), cfg.Env...)
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout = &stdout
		cmd.Stderr = &limitedBuffer{b: &stderr, max: 4096}
		cmd.WaitDelay = time.Second
		err := cmd.Run()
		if err == nil {
			return stdout.Bytes(), nil
		}
		name := strings.Join(cfg.Command, " ")
		var ee *exec.ExitError
		switch {
		case errors.Is(err, exec.ErrNotFound):
			return nil, fmt.Errorf("run %q: %s not found in $PATH (is sysstat installed?)", name, cfg.Command[0])
		case ctx.Err() == context.DeadlineExceeded:
			return nil, fmt.Errorf("run %q: killed after the %s timeout", name, timeout)
		case errors.As(err, &ee):
			msg := strings.TrimSpace(stderr.String())
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
			return nil, fmt.Errorf("run %q: %s, stderr: %q", name, ee.ProcessState, msg)
		}
		return nil, fmt.Errorf("run %q: %w", name, err)
	}
}

// FileSource reads a file (e.g. <hostfs>/proc/meminfo) each period.
func FileSource(path string) Source {
	return func(context.Context) ([]byte, error) { return os.ReadFile(path) }
}

type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Poller runs Source every Period (the first run at once), feeds every line
// of its output to a fresh parser and publishes the events. A failed run is
// counted and logged through a throttle, then retried on the next period.
type Poller struct {
	Source    Source
	Period    time.Duration
	Once      bool
	NewParser func() LineParser
	Log       *slog.Logger
	// Counters, under the input's metrics prefix (Name + ".runs", …).
	Metrics *monitoring.Registry
	Name    string
	// Message keeps each line as the event's message (off by default:
	// metrics need no copy of the text).
	Message bool

	throttle Throttle
}

// Run polls until ctx is done (or once with Once).
func (p *Poller) Run(ctx context.Context, out pipeline.Client) error {
	runs := p.Metrics.Counter(p.Name + ".runs")
	failures := p.Metrics.Counter(p.Name + ".run_failures")
	parseErrors := p.Metrics.Counter(p.Name + ".parse_errors")
	if p.throttle.Interval == 0 {
		p.throttle.Interval = time.Minute
	}
	t := time.NewTicker(p.Period)
	defer t.Stop()
	for {
		runs.Inc()
		data, err := p.Source(ctx)
		if err != nil && ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures.Inc()
			p.throttle.Do(func(suppressed int) {
				p.Log.Error("collection failed, retrying next period", "error", err, "period", p.Period.Seconds(), "suppressed", suppressed)
			})
		} else {
			if err := p.publish(ctx, out, data, parseErrors); err != nil {
				return nil // ctx done
			}
		}
		if p.Once {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (p *Poller) publish(ctx context.Context, out pipeline.Client, data []byte, parseErrors *monitoring.Counter) error {
	parser := p.NewParser()
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		e := event.New(time.Time{}, 24)
		if p.Message {
			e.Fields.Add("message", string(line))
		}
		keep, err := parser.Parse(line, e)
		if err != nil {
			parseErrors.Inc()
			if !p.Message {
				e.Fields.Put("message", string(line))
			}
			p.throttle.Do(func(suppressed int) {
				p.Log.Warn("unparsable line", "error", err, "suppressed", suppressed)
			})
		} else if !keep {
			continue
		}
		if err := out.Publish(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// Throttle lets one log line through per Interval and counts the rest,
// handing the count to the next line that gets through.
type Throttle struct {
	Interval time.Duration
	mu       sync.Mutex
	last     time.Time
	n        int
}

// Do calls f unless a line went out less than Interval ago.
func (t *Throttle) Do(f func(suppressed int)) {
	t.mu.Lock()
	now := time.Now()
	if !t.last.IsZero() && now.Sub(t.last) < t.Interval {
		t.n++
		t.mu.Unlock()
		return
	}
	n := t.n
	t.n, t.last = 0, now
	t.mu.Unlock()
	f(n)
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
