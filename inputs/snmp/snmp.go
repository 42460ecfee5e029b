// Package snmp is the `snmp` input: it polls the IF-MIB interface tables
// (ifTable, ifXTable) of SNMP agents (v1, v2c, v3) and ships one event per
// interface per poll, with the raw counters under Metricbeat's
// system.network.* names and wrap-, reboot- and discontinuity-aware rates
// under snmp.rate.* (see rate.go). Issue 9.
package snmp

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	inputs.Register(inputs.Plugin{Name: "snmp", Factory: New, Fields: fieldsYAML})
}

var _ inputs.Input = (*Input)(nil)

// Input polls every configured agent on its own schedule.
type Input struct {
	cfg     conf
	targets []target
	once    bool
	log     *slog.Logger
	m       counters
	dial    dialer
	now     func() time.Time
}

// counters are the input's monitoring counters, "input.<id>.<name>".
type counters struct {
	polls          *monitoring.Counter // successful polls
	pollErrors     *monitoring.Counter // failed polls (timeout, auth, …)
	fieldsSkipped  *monitoring.Counter // varbinds of a wrong type or with a malformed OID
	ratesDropped   *monitoring.Counter // rates above line speed × rate_margin
	ratesAmbiguous *monitoring.Counter // 32-bit counters that may have wrapped twice
	baselineResets *monitoring.Counter // interfaces whose baseline was reset (reboot, discontinuity, ifIndex reuse)
}

// New builds the input from its config section.
func New(sec config.Section, env inputs.Env) (inputs.Input, error) {
	cfg := defaultConfig()
	if err := sec.Decode(&cfg, inputs.CommonKeys...); err != nil {
		return nil, err
	}
	return newInput(cfg, env)
}

func newInput(cfg conf, env inputs.Env) (*Input, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	in := &Input{cfg: cfg, once: env.Once, log: env.Log, dial: dialGosnmp, now: time.Now}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	for _, h := range cfg.Hosts {
		t, _ := parseHost(h) // validated
		in.targets = append(in.targets, t)
	}
	name := env.Name
	if name == "" {
		name = "input." + env.ID
	}
	in.m = counters{
		polls:          env.Metrics.Counter(name + ".polls"),
		pollErrors:     env.Metrics.Counter(name + ".poll_errors"),
		fieldsSkipped:  env.Metrics.Counter(name + ".fields_skipped"),
		ratesDropped:   env.Metrics.Counter(name + ".rates_dropped"),
		ratesAmbiguous: env.Metrics.Counter(name + ".rates_ambiguous"),
		baselineResets: env.Metrics.Counter(name + ".baseline_resets"),
	}
	return in, nil
}

// Run polls every agent in its own goroutine with its own ticker, so a slow
// or dead agent never delays another; at most max_concurrent_polls polls
// are on the wire at once. With --once each agent is polled once, and the
// events carry raw counters only (a rate needs two samples).
func (in *Input) Run(ctx context.Context, out pipeline.Client) error {
	sem := make(chan struct{}, in.cfg.MaxConcurrentPolls)
	var wg sync.WaitGroup
	for _, t := range in.targets {
		a := &agent{in: in, t: t, tr: newTracker(in.cfg.RateMargin)}
		a.tr.log = in.log.With("host", t.String())
		wg.Go(func() { a.run(ctx, out, sem) })
	}
	wg.Wait()
	return nil
}

// agent is one polled device; only its own goroutine touches it.
type agent struct {
	in       *Input
	t        target
	client   Client
	tr       *tracker
	lastKind string // error kind of the last poll, "" when it succeeded
	failures int    // consecutive failed polls
}

func (a *agent) run(ctx context.Context, out pipeline.Client, sem chan struct{}) {
	defer a.closeClient()
	if a.in.once {
		a.poll(ctx, out, sem)
		return
	}
	tick := time.NewTicker(a.in.cfg.Period)
	defer tick.Stop()
	for {
		a.poll(ctx, out, sem)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			// A poll longer than the period drops ticks (time.Ticker): the
			// next poll starts late and its rates cover the longer interval.
		}
	}
}

func (a *agent) closeClient() {
	if a.client != nil {
		a.client.Close()
		a.client = nil
	}
}

// poll reads the agent once and publishes its interfaces. It returns
// whether the poll succeeded.
func (a *agent) poll(ctx context.Context, out pipeline.Client, sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	at := a.in.now()
	sys, tbl, err := a.walk(ctx)
	<-sem
	if err != nil {
		if ctx.Err() == nil {
			a.failed(err)
		}
		return false
	}
	a.succeeded()
	a.in.m.fieldsSkipped.Add(int64(tbl.skipped))
	ag := agentInfo{address: a.t.String(), ip: a.client.RemoteIP(), sys: sys}
	rows := tbl.sorted(a.in.cfg.Interfaces)
	if a.in.once {
		for _, r := range rows {
			if out.Publish(ctx, buildEvent(at, &ag, r, nil)) != nil {
				return false
			}
		}
		return true
	}
	reboot := a.tr.begin(at, sys)
	for _, r := range rows {
		res := a.tr.update(at, r, reboot)
		a.in.m.ratesDropped.Add(int64(res.dropped))
		a.in.m.ratesAmbiguous.Add(int64(res.ambiguous))
		if res.reset != resetNone && res.reset != resetFirst {
			a.in.m.baselineResets.Inc()
		}
		if out.Publish(ctx, buildEvent(at, &ag, r, &res)) != nil {
			return false
		}
	}
	a.tr.end()
	return true
}

func (a *agent) walk(ctx context.Context) (sysInfo, *table, error) {
	if a.client == nil {
		c, err := a.in.dial(ctx, a.t, &a.in.cfg)
		if err != nil {
			return sysInfo{}, nil, err
		}
		a.client = c
	}
	sys, tbl, err := walkInterfaces(a.client)
	if err != nil {
		// Start from a fresh session next time: a TCP connection may be
		// broken, and a rebooted v3 agent has new engine boots.
		a.closeClient()
	}
	return sys, tbl, err
}

// failed counts a failed poll and logs it when the kind of failure changed
// since the previous poll: one line per state change, not one per period.
func (a *agent) failed(err error) {
	a.in.m.pollErrors.Inc()
	a.failures++
	kind := errorKind(err)
	if kind == a.lastKind {
		return
	}
	a.lastKind = kind
	args := []any{"host", a.t.String(), "error", fmt.Sprintf("snmp poll of %s failed: %v", a.t, err), "kind", kind}
	if hint := explain(err, &a.in.cfg); hint != "" {
		args = append(args, "hint", hint)
	}
	a.in.log.Error("snmp poll failed, retrying every period; further failures of this kind are only counted", args...)
}

func (a *agent) succeeded() {
	a.in.m.polls.Inc()
	if a.lastKind != "" {
		a.in.log.Info("snmp poll recovered", "host", a.t.String(), "failed_polls", a.failures)
	}
	a.lastKind, a.failures = "", 0
}
