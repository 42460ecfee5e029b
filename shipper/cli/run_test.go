package cli

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 18 #12: `run --once` exited 0 when an input failed (an unreachable
// SNMP agent: an ERROR in the log, nothing published). It exits 1 and says
// on stderr which input (id and type) failed and why.
func TestRunOnceFailsWhenAnInputFails(t *testing.T) {
	// A UDP port nobody listens on.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "shipper.yml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`path.data: %q
shipper.inputs:
  - {type: snmp, id: core-switches, hosts: ["udp://%s"], timeout: 200ms, retries: 0}
output.file: {path: %q, filename: out.ndjson}
logging.metrics.enabled: false
`, filepath.Join(dir, "data"), addr, filepath.Join(dir, "out"))), 0o600)

	code, out, errs := cmd(t, "", "run", "--once", "-c", cfgFile)
	if code != ExitRuntime {
		t.Errorf("run --once with an unreachable agent: exit %d, want %d\n%s%s", code, ExitRuntime, out, errs)
	}
	var last string
	for l := range strings.SplitSeq(strings.TrimSpace(errs), "\n") {
		if strings.HasPrefix(l, "error: ") {
			last = l
		}
	}
	for _, want := range []string{"input core-switches (snmp)", "snmp poll of", addr} {
		if !strings.Contains(last, want) {
			t.Errorf("the error line %q lacks %q; stderr:\n%s", last, want, errs)
		}
	}
}
