package netflow

import (
	"context"
	_ "embed"
	"log/slog"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/internal/flow"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

//go:embed fields.yml
var fieldsYAML []byte

// Fields is this input's field catalog (fields.yml).
var Fields = fieldsYAML

func init() {
	inputs.Register(inputs.Plugin{Name: "netflow", Factory: Factory, Fields: fieldsYAML})
}

var _ inputs.Input = (*Input)(nil)

// Input is the netflow input: one UDP socket, one decoder.
type Input struct {
	cfg  Config
	env  inputs.Env
	log  *slog.Logger
	lc   flow.Counters
	dec  *Decoder
	addr chan string // the bound address, for tests (port 0)
}

// Factory decodes the section and builds the input.
func Factory(sec config.Section, env inputs.Env) (inputs.Input, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg, inputs.CommonKeys...); err != nil {
		return nil, err
	}
	return New(cfg, env)
}

// New builds the input from a config (validated here if it was not).
func New(cfg Config, env inputs.Env) (*Input, error) {
	if cfg.protocols == nil {
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	name := env.Name
	if name == "" {
		name = "input.netflow"
	}
	return &Input{
		cfg: cfg, env: env, log: log,
		lc:   flow.NewCounters(env.Metrics, name),
		dec:  NewDecoder(cfg, env.Metrics, name, log),
		addr: make(chan string, 1),
	}, nil
}

// Addr returns the address the input listens on, once it does.
func (in *Input) Addr(ctx context.Context) (string, error) {
	select {
	case a := <-in.addr:
		in.addr <- a
		return a, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Run listens until ctx is done. With run --once there is nothing to read
// to an end: the input returns at once.
func (in *Input) Run(ctx context.Context, out pipeline.Client) error {
	if in.env.Once {
		in.log.Warn("run --once: the netflow input listens on UDP and has no end to read to; skipped")
		return nil
	}
	l, err := flow.Listen(in.cfg.listener(), in.lc, in.log)
	if err != nil {
		return err
	}
	in.addr <- l.Addr().String()
	in.log.Info("listening for flows", "address", l.Addr().String(), "protocols", in.cfg.Protocols)
	publish := func(ev *event.Event) error { return out.Publish(ctx, ev) }
	return l.Run(ctx, func(d flow.Datagram) error { return in.dec.Decode(d, publish) })
}
