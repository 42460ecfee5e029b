package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTestFlowsUsageErrors(t *testing.T) {
	dir := t.TempDir()
	ng := filepath.Join(dir, "x.pcapng")
	os.WriteFile(ng, []byte{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0}, 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--type", "ipfix", ng}, ExitUsage, `--type "ipfix": want netflow or sflow`},
		{[]string{"--port", "0", ng}, ExitUsage, `--port "0": want a UDP port`},
		{[]string{"--port", "70000", ng}, ExitUsage, `--port "70000": want a UDP port`},
		{[]string{"--format", "xml", ng}, ExitUsage, `--format "xml"`},
		{[]string{"--id", "nf", ng}, ExitUsage, "--id needs -c FILE"},
		{[]string{ng, ng}, ExitUsage, "Usage: shipper test-flows"},
		{[]string{filepath.Join(dir, "missing.pcap")}, ExitRuntime, "no such file"},
		{[]string{ng}, ExitRuntime, "a pcapng file: convert it to pcap first (tcpdump -r in.pcapng -w out.pcap"},
		{[]string{"-"}, ExitRuntime, "stdin: not a pcap file: shorter than a pcap header"},
	} {
		var out, errb bytes.Buffer
		code := run(append([]string{"test-flows"}, c.args...), strings.NewReader(""), &out, &errb)
		if code != c.code || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d (want %d), stderr:\n%s\nwant %q", c.args, code, c.code, errb.String(), c.want)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"test-flows", "-h"}, nil, &out, &errb); code != ExitOK || !strings.Contains(out.String(), "Usage: shipper test-flows") {
		t.Errorf("-h: exit %d\n%s", code, out.String())
	}
}
