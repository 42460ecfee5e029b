package netflow

import (
	"context"
	_ "embed"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/internal/flow"
	"github.com/shipper-project/shipper/shipper/config"
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
	cfg          Config
	dec          *Decoder
	*flow.Server // logger, counters, listener, Addr
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
	srv := flow.NewServer(env, "netflow")
	dec := NewDecoder(cfg, env.Metrics, srv.Name, srv.Log)
	dec.stats = srv.Stats
	return &Input{cfg: cfg, Server: srv, dec: dec}, nil
}

// Run listens until ctx is done. With run --once there is nothing to read
// to an end: the input returns at once.
func (in *Input) Run(ctx context.Context, out pipeline.Client) error {
	return in.Serve(ctx, in.cfg.listener(), in.cfg.ExporterStatsPeriod, out, in.dec.Decode, "protocols", in.cfg.Protocols)
}
