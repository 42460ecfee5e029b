//go:build integration

package flowcap_test

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/inputs/flowcap"
	"github.com/shipper-project/shipper/inputs/flowcap/flowcaptest"
	"github.com/shipper-project/shipper/inputs/internal/flow/flowtest"
	"github.com/shipper-project/shipper/shipper/event"
)

// TestSoftflowdCapture captures softflowd's real NetFlow v5, v9 and IPFIX
// export of the scenario with tcpdump, and Inspect must find every flow with
// its exact packets and bytes, nothing invalid, and no data set left without
// its template.
func TestSoftflowdCapture(t *testing.T) {
	for _, version := range []string{"5", "9", "10"} {
		t.Run("v"+version, func(t *testing.T) {
			path := flowcaptest.Softflowd(t, version)
			want := flowtest.Want(version)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := map[string]flowtest.Counts{}
			// The capture's port is not a well-known one: auto-detection
			// goes by the version field.
			sum, err := flowcap.Inspect(f, flowcap.Options{}, func(e *event.Event) error {
				if flowtest.Get(e, "netflow.type") != "netflow_flow" {
					return nil
				}
				k := flowtest.EventKey(e)
				c := got[k]
				c.Packets += flowtest.Get(e, "source.packets").(uint64)
				c.Bytes += flowtest.Get(e, "source.bytes").(uint64)
				got[k] = c
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("flows (-scenario +capture):\n%s", diff)
			}
			if sum.Failed() || sum.Datagrams["netflow"] == 0 || sum.Datagrams["other"] != 0 || sum.Counters["netflow.flows"] != int64(len(want)) {
				t.Errorf("summary: %+v", sum)
			}
			if sum.Exporters["127.0.0.1"] != sum.Datagrams["netflow"] {
				t.Errorf("exporters %v, datagrams %v", sum.Exporters, sum.Datagrams)
			}
		})
	}
}

// TestPmacctdSFlowCapture: pmacctd's real sFlow export, captured, gives one
// flow sample per packet of the scenario.
func TestPmacctdSFlowCapture(t *testing.T) {
	path := flowcaptest.Pmacctd(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	packets := 0
	for _, fl := range flowtest.Scenario() {
		packets += fl.Packets
	}
	samples := 0
	sum, err := flowcap.Inspect(f, flowcap.Options{}, func(e *event.Event) error {
		if flowtest.Get(e, "event.action") == "sflow_flow" {
			samples++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed() || sum.Datagrams["sflow"] == 0 || sum.Counters["sflow.samples.flow"] != int64(packets) {
		t.Errorf("want %d flow samples; summary %+v", packets, sum)
	}
	if samples != packets {
		t.Errorf("%d flow-sample documents, want %d", samples, packets)
	}
}
