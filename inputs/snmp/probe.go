package snmp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Probe GETs sysUpTime.0 from every agent with the input's credentials, for
// `shipper doctor`.
func (in *Input) Probe(ctx context.Context, report func(agent, detail string, err error)) {
	for _, t := range in.targets {
		c, err := in.dial(ctx, t, &in.cfg)
		if err != nil {
			report(t.String(), "", err)
			continue
		}
		pdus, err := c.Get([]string{".1.3.6.1.2.1.1.3.0"})
		c.Close()
		if err != nil {
			if why := explain(err, &in.cfg); why != "" {
				err = errors.New(why)
			}
			report(t.String(), "", err)
			continue
		}
		if len(pdus) != 1 || pdus[0].Type != gosnmp.TimeTicks {
			report(t.String(), "", fmt.Errorf("sysUpTime.0: unexpected answer %v", pdus))
			continue
		}
		up := time.Duration(gosnmp.ToBigInt(pdus[0].Value).Int64()) * 10 * time.Millisecond
		report(t.String(), fmt.Sprintf("answers (SNMP v%s), sysUpTime %s", in.cfg.Version, up.Round(time.Second)), nil)
	}
}
