//go:build integration

package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/inputs/flowcap/flowcaptest"
)

// TestTestFlowsOnARealCapture: softflowd's NetFlow v9 export, captured by
// tcpdump, shown as documents (one per flow of the scenario, plus options
// records) with a summary naming the exporter; exit 0.
func TestTestFlowsOnARealCapture(t *testing.T) {
	path := flowcaptest.Softflowd(t, "9")
	var out, errb bytes.Buffer
	if code := run([]string{"test-flows", "--format", "ndjson", path}, nil, &out, &errb); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	want := flowcaptest.Want("9")
	flows := 0
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var doc struct {
			Netflow struct {
				Type string `json:"type"`
			} `json:"netflow"`
			Observer struct {
				IP any `json:"ip"`
			} `json:"observer"`
		}
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatalf("not JSON: %s", sc.Text())
		}
		if doc.Netflow.Type == "netflow_flow" {
			flows++
		}
	}
	if flows != len(want) {
		t.Errorf("%d flow documents, want %d\n%s", flows, len(want), errb.String())
	}
	for _, s := range []string{"UDP datagrams: netflow ", "exporters (datagrams):\n  127.0.0.1 ", "  netflow.flows 5\n", "  netflow.templates.received "} {
		if !strings.Contains(errb.String(), s) {
			t.Errorf("summary lacks %q:\n%s", s, errb.String())
		}
	}

	// --summary-only prints no document; --port with another port
	// filters every datagram out.
	out.Reset()
	errb.Reset()
	if code := run([]string{"test-flows", "--summary-only", "--port", "9", path}, nil, &out, &errb); code != ExitOK || out.Len() != 0 ||
		!strings.Contains(errb.String(), "other ports (--port) ") || strings.Contains(errb.String(), "netflow.flows") {
		t.Errorf("--port 9: exit %d, stdout %d bytes\n%s", code, out.Len(), errb.String())
	}

	// Damaged captures fail the run (exit 1) and say why.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// pcap header 24, record header 16, Ethernet 14, IPv4 20, UDP 8, v9
	// header 20: the first flow set (softflowd's templates) starts at 102.
	if b[24+16+12] != 0x08 || b[24+16+14] != 0x45 || b[24+16+14+28+1] != 9 || b[102] != 0 || b[103] != 0 {
		t.Fatalf("the capture's first packet is not Ethernet/IPv4(20)/UDP/NetFlow v9 with a template set first: % x", b[24:24+16+64])
	}
	for _, c := range []struct {
		name       string
		off        int
		want, hint string
	}{
		// The template set's length runs past the datagram's end: the
		// datagram is invalid.
		{"damaged", 104, "netflow.datagrams_invalid ", ""},
		// The template set's id becomes a data set's: its data waits for
		// a template the capture does not hold.
		{"no template", 102, "netflow.flowsets_pending ", "wait for a template this capture does not hold"},
	} {
		d := append([]byte(nil), b...)
		d[c.off], d[c.off+1] = 0xff, 0xff
		bad := filepath.Join(t.TempDir(), "bad.pcap")
		if err := os.WriteFile(bad, d, 0o644); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		errb.Reset()
		if code := run([]string{"test-flows", "--summary-only", bad}, nil, &out, &errb); code != ExitRuntime || !strings.Contains(errb.String(), c.want) || !strings.Contains(errb.String(), c.hint) {
			t.Errorf("%s capture: exit %d, want 1 and %q\n%s", c.name, code, c.want, errb.String())
		}
	}

	// -c: the configuration's netflow options apply: protocols [v5]
	// refuses the v9 export (exit 1, counted); --id must name an input.
	dir := t.TempDir()
	cfg := filepath.Join(dir, "shipper.yml")
	os.WriteFile(cfg, []byte("shipper.inputs:\n  - type: netflow\n    id: nf\n    protocols: [v5]\npath.data: "+filepath.Join(dir, "data")+"\noutput.console: {}\n"), 0o600)
	errb.Reset()
	if code := run([]string{"test-flows", "--summary-only", "-c", cfg, path}, nil, &out, &errb); code != ExitRuntime || !strings.Contains(errb.String(), "netflow.datagrams_unsupported_version ") {
		t.Errorf("-c protocols [v5]: exit %d\n%s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"test-flows", "-c", cfg, "--id", "nope", path}, nil, &out, &errb); code != ExitUsage || !strings.Contains(errb.String(), `no netflow or sflow input with id "nope" in `) {
		t.Errorf("--id nope: exit %d\n%s", code, errb.String())
	}
}

// TestTestFlowsSFlowCapture: pmacctd's sFlow export, captured, decodes with
// no --type (port auto-detection falls back to the version field).
func TestTestFlowsSFlowCapture(t *testing.T) {
	path := flowcaptest.Pmacctd(t)
	var out, errb bytes.Buffer
	if code := run([]string{"test-flows", "--format", "ndjson", path}, nil, &out, &errb); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if n := strings.Count(out.String(), `"action":"sflow_flow"`); n == 0 || !strings.Contains(errb.String(), "UDP datagrams: sflow ") {
		t.Errorf("%d sflow_flow documents\n%s", n, errb.String())
	}
}
