package sflow

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
)

func TestREADMEConfig(t *testing.T) {
	secs := sysstattest.READMEInputs(t, "README.md")
	if len(secs) != 1 {
		t.Fatalf("%d input blocks in README.md, want 1", len(secs))
	}
	got := DefaultConfig()
	if err := secs[0].Decode(&got, inputs.CommonKeys...); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(DefaultConfig(), got, cmpopts.IgnoreUnexported(Config{})); d != "" {
		t.Errorf("README differs from the defaults (-want +got):\n%s", d)
	}
}

func TestConfigErrors(t *testing.T) {
	c := DefaultConfig()
	c.Host, c.QueueSize, c.MaxMessageSize, c.InternalNetworks = "6343", -1, 10, []string{"nope"}
	c.ExporterStatsPeriod = -time.Second
	err := c.Validate()
	for _, want := range []string{"host:", "queue_size:", "max_message_size:", "internal_networks:", "exporter_stats_period:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
