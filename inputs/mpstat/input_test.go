package mpstat

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

type collector struct {
	mu  sync.Mutex
	evs []*event.Event
}

func (c *collector) Publish(_ context.Context, e *event.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evs = append(c.evs, e)
	return nil
}

func runOnce(t *testing.T, cfg Config) ([]*event.Event, *monitoring.Registry) {
	t.Helper()
	m := monitoring.NewRegistry()
	in, err := New(cfg, inputs.Env{ID: "cpu", Name: "input.cpu", Once: true, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	if err := in.Run(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return c.evs, m
}

// Command mode: the command's stdout goes through the same parser.
func TestCommandMode(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Command.Command = []string{"cat", "testdata/mpstat-P-ALL.en_US.UTF-8.txt"}
	cfg.Timezone = "UTC"
	evs, m := runOnce(t, cfg)
	if len(evs) != 6 {
		t.Fatalf("%d events, want 6", len(evs))
	}
	if got := evs[5].Timestamp.Format(time.RFC3339); got != "2026-11-25T08:27:32Z" {
		t.Errorf("last @timestamp %s", got)
	}
	if evs[0].Fields.Has("message") {
		t.Error("command mode copies each line into message")
	}
	if m.Counter("input.cpu.runs").Load() != 1 {
		t.Errorf("runs = %d", m.Counter("input.cpu.runs").Load())
	}
}

// A command that cannot run is counted and logged, not fatal.
func TestCommandFailure(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Command.Command = []string{"shipper-no-such-mpstat", "-P", "ALL"}
	evs, m := runOnce(t, cfg)
	if len(evs) != 0 || m.Counter("input.cpu.run_failures").Load() != 1 {
		t.Errorf("events %d, run_failures %d; want 0, 1", len(evs), m.Counter("input.cpu.run_failures").Load())
	}
}

// Paths mode: the tail engine reads the file with one parser per file.
func TestPathsMode(t *testing.T) {
	cfg := DefaultConfig()
	cfg.File.Paths = []string{"testdata/mpstat-P-ALL.de_DE.UTF-8.txt"}
	cfg.Timezone = "UTC"
	evs, _ := runOnce(t, cfg)
	if len(evs) != 6 {
		t.Fatalf("%d events, want 6", len(evs))
	}
	if p, _ := evs[0].Fields.GetString("log.file.path"); p != "testdata/mpstat-P-ALL.de_DE.UTF-8.txt" {
		t.Errorf("log.file.path = %q", p)
	}
	if got := evs[0].Timestamp.Format(time.RFC3339); got != "2026-11-25T08:27:33Z" {
		t.Errorf("@timestamp %s", got)
	}
}

func TestValidate(t *testing.T) {
	f := func(name string, mod func(*Config), want string) {
		t.Helper()
		cfg := DefaultConfig()
		mod(&cfg)
		err := cfg.Validate()
		if (err == nil) != (want == "") || (err != nil && !contains(err.Error(), want)) {
			t.Errorf("%s: Validate() = %v, want %q", name, err, want)
		}
	}
	f("neither", func(c *Config) {}, "paths: one of paths (tail files) or command (run it) is required")
	f("both", func(c *Config) { c.File.Paths = []string{"x"}; c.Command.Command = []string{"mpstat"} }, "not both")
	f("command", func(c *Config) { c.Command.Command = []string{"mpstat"} }, "")
	f("zero period", func(c *Config) { c.Command.Command = []string{"mpstat"}; c.Command.Period = 0 }, "period: must be > 0")
	f("bad zone", func(c *Config) { c.Command.Command = []string{"mpstat"}; c.Timezone = "Nowhere/Land" }, "timezone:")
	f("bad env", func(c *Config) { c.Command.Command = []string{"mpstat"}; c.Command.Env = []string{"LC_ALL"} }, "env:")
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
