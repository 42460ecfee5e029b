// Package flowcaptest makes real flow export captures for tests: softflowd
// or pmacctd export the flowtest scenario to a socket on the loopback while
// tcpdump captures it.
package flowcaptest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/flowcap"
	"github.com/shipper-project/shipper/inputs/internal/flow/flowtest"
)

// Capture runs tcpdump on the loopback for UDP to port while export sends
// datagrams there (a socket of the test takes them), and returns the
// capture's path once it holds every datagram the socket received.
func Capture(t testing.TB, export func(dest string)) string {
	t.Helper()
	flowtest.Need(t, "tcpdump", "tcpdump")
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	var received atomic.Int64
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			received.Add(1)
		}
	}()
	path := filepath.Join(flowtest.TempDir(t), "export.pcap")
	cmd := exec.Command("tcpdump", "-i", "lo", "-n", "-s", "0", "-U", "--immediate-mode", "-w", path, "udp", "and", "dst", "port", strconv.Itoa(port))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// tcpdump says "listening on lo" once its filter is in place.
	sc := bufio.NewScanner(stderr)
	var said strings.Builder
	for sc.Scan() {
		said.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "listening on") {
			break
		}
	}
	if !strings.Contains(said.String(), "listening on") {
		t.Fatalf("tcpdump did not start capturing (it needs CAP_NET_RAW: run the tests as root):\n%s", said.String())
	}
	go io.Copy(io.Discard, stderr)

	export(fmt.Sprintf("127.0.0.1:%d", port))
	// Every datagram the socket took must be in the file (tcpdump writes
	// each packet as it comes, -U), then stop it.
	inFile := func() int64 {
		b, _ := os.ReadFile(path)
		r, err := flowcap.NewReader(bytes.NewReader(b))
		if err != nil {
			return 0
		}
		var n int64
		for {
			if _, err := r.Next(); err != nil {
				return n
			}
			n++
		}
	}
	flowtest.WaitFor(t, "the export in the capture", 30*time.Second, func() int64 { return received.Load() + inFile() },
		func() bool { n := received.Load(); return n > 0 && inFile() >= n })
	if n, f := received.Load(), inFile(); f != n {
		t.Fatalf("the capture holds %d datagrams, the socket received %d", f, n)
	}
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	return path
}

// Scenario writes the flowtest scenario's capture into a new directory.
func Scenario(t testing.TB) string {
	t.Helper()
	p := filepath.Join(flowtest.TempDir(t), "scenario.pcap")
	if err := flowtest.WritePcap(p, flowtest.Packets(flowtest.Scenario())); err != nil {
		t.Fatal(err)
	}
	return p
}

// Softflowd captures softflowd's export of the scenario as NetFlow version
// ("5", "9" or "10").
func Softflowd(t testing.TB, version string) string {
	t.Helper()
	scenario := Scenario(t)
	return Capture(t, func(dest string) {
		extra := []string{"-a"} // flow times from the capture
		if version != "5" {
			extra = append(extra, "-6")
		}
		flowtest.Softflowd(t, scenario, dest, version, extra...)
	})
}

// Pmacctd captures pmacctd's sFlow export of the scenario (one sample per
// packet).
func Pmacctd(t testing.TB) string {
	t.Helper()
	scenario := Scenario(t)
	return Capture(t, func(dest string) { flowtest.Pmacctd(t, scenario, dest) })
}

// Want is flowtest.Want, for tests outside inputs/ (shipper/cli), which
// cannot import the internal flowtest: the scenario's flows a NetFlow
// version carries, packets and bytes per flowtest.FlowKey.
func Want(version string) map[string]flowtest.Counts { return flowtest.Want(version) }
