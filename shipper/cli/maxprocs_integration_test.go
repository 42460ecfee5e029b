//go:build integration

package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// max_procs reaches the running process at start (the default, 1) and on a
// SIGHUP reload (2), as /stats' beat.runtime.gomaxprocs shows.
func TestReloadAppliesMaxProcs(t *testing.T) {
	t.Setenv("GOMAXPROCS", "") // TestMain's, which would win in the child
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	out := fmt.Sprintf("output.file: {path: %q, filename: out.ndjson}\nhttp: {enabled: true, host: 127.0.0.1, port: %d}", filepath.Join(dir, "out"), port)
	cfg := writeRunConfig(t, dir, out)
	gomaxprocs := func() int {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/stats", port))
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		var s struct {
			Beat struct {
				Runtime struct {
					GoMaxProcs int `json:"gomaxprocs"`
				} `json:"runtime"`
			} `json:"beat"`
		}
		if json.NewDecoder(resp.Body).Decode(&s) != nil {
			return -1
		}
		return s.Beat.Runtime.GoMaxProcs
	}
	p := startShipper(t, false, "run", "--strict.perms=false", "-c", cfg)
	p.waitFor("/stats with max_procs' default, 1", func() bool { return gomaxprocs() == 1 })
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append(b, "max_procs: 2\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGHUP)
	p.waitFor("/stats with max_procs: 2 after the reload", func() bool { return gomaxprocs() == 2 })
	p.signal(syscall.SIGINT)
	p.waitExit(ExitOK)
}
