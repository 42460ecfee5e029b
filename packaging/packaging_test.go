// Package packaging holds the systemd unit, the default configuration and
// the nfpm description of the .deb; its tests check they agree with each
// other and with the code (packaging/README.md).
package packaging

import (
	"bufio"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	_ "github.com/shipper-project/shipper/inputs/all"
	_ "github.com/shipper-project/shipper/outputs/all"
	_ "github.com/shipper-project/shipper/processors/all"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/keystore"
	"github.com/shipper-project/shipper/shipper/runner"
)

// unit parses a systemd unit into section → key → values (a key may repeat).
func unit(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string][]string{}
	sec := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			sec = strings.Trim(line, "[]")
			out[sec] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("%s: bad line %q", path, line)
				continue
			}
			out[sec][k] = append(out[sec][k], v)
		}
	}
	return out
}

func TestUnit(t *testing.T) {
	u := unit(t, "shipper.service")
	svc := u["Service"]
	want := map[string]string{
		"Type":                  "notify",
		"NotifyAccess":          "main",
		"ExecReload":            "/bin/kill -HUP $MAINPID",
		"ProtectSystem":         "strict",
		"StateDirectory":        "shipper",
		"NoNewPrivileges":       "yes",
		"CapabilityBoundingSet": "",
		"AmbientCapabilities":   "",
		"User":                  "shipper",
		"StandardError":         "journal",
		"WatchdogSec":           "60s",
	}
	for k, v := range want {
		if got := svc[k]; len(got) != 1 || got[0] != v {
			t.Errorf("[Service] %s = %q, want %q", k, got, v)
		}
	}
	groups := strings.Fields(strings.Join(svc["SupplementaryGroups"], " "))
	for _, g := range []string{"proxy", "adm"} {
		if !slices.Contains(groups, g) {
			t.Errorf("SupplementaryGroups = %v, want %s (squid's and syslog's log groups)", groups, g)
		}
	}
	if ro := strings.Join(svc["ReadOnlyPaths"], " "); !strings.Contains(ro, "/var/log/squid") {
		t.Errorf("ReadOnlyPaths = %q, want /var/log/squid", ro)
	}
	// ExecStart runs the installed binary on the installed config, with
	// path.data in the StateDirectory (the only writable place).
	exec := strings.Join(svc["ExecStart"], "")
	for _, w := range []string{"/usr/bin/shipper run", "-c /etc/shipper/shipper.yml", "--path.data /var/lib/shipper"} {
		if !strings.Contains(exec, w) {
			t.Errorf("ExecStart = %q, want %q in it", exec, w)
		}
	}
	// The unit shows how to give secrets as systemd credentials, under
	// the names the shipper reads (shipper/keystore).
	raw, _ := os.ReadFile("shipper.service")
	for _, w := range []string{"#LoadCredential=" + keystore.PasswordCredential + ":", "#LoadCredentialEncrypted=" + keystore.PasswordCredential + ":", "#LoadCredential=ES_API_KEY:"} {
		if !strings.Contains(string(raw), w) {
			t.Errorf("shipper.service: no %q line", w)
		}
	}
	if got := u["Install"]["WantedBy"]; len(got) != 1 || got[0] != "multi-user.target" {
		t.Errorf("WantedBy = %q", got)
	}
}

// TestDefaultConfig: the shipped shipper.yml passes `shipper test config`
// and keeps the monitoring endpoint off and on the loopback.
func TestDefaultConfig(t *testing.T) {
	cfg, err := config.Load("shipper.yml", []string{"path.data=" + t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Check(cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Enabled || cfg.HTTP.Host != "127.0.0.1" || cfg.HTTP.Port != 5066 {
		t.Errorf("http = %+v, want disabled on 127.0.0.1:5066", cfg.HTTP)
	}
	raw, _ := config.Load("shipper.yml", nil)
	if raw.Path.Data != "/var/lib/shipper" {
		t.Errorf("path.data = %q, want /var/lib/shipper (the unit's StateDirectory)", raw.Path.Data)
	}
}

// TestDefaultConfigMemoryKeys: the packaged file shows max_procs,
// memory_limit, gc_percent and the queue's bounds, commented, with their defaults:
// uncommented, they load and equal config.Defaults().
func TestDefaultConfigMemoryKeys(t *testing.T) {
	b, err := os.ReadFile("shipper.yml")
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"max_procs", "memory_limit", "gc_percent", "queue.mem.events", "queue.mem.bytes"}
	var lines []string
	found := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		for _, k := range keys {
			if strings.HasPrefix(l, "#"+k+":") {
				l = l[1:]
				found[k] = true
			}
		}
		lines = append(lines, l)
	}
	for _, k := range keys {
		if !found[k] {
			t.Errorf("shipper.yml does not show %q (commented, with its default)", "#"+k+": …")
		}
	}
	cfg, err := config.LoadBytes([]byte(strings.Join(lines, "\n")), "shipper.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := config.Defaults()
	if cfg.MaxProcs != d.MaxProcs {
		t.Errorf("shipper.yml's commented max_procs %d; the default is %d", cfg.MaxProcs, d.MaxProcs)
	}
	if cfg.MemoryLimit != d.MemoryLimit || cfg.GCPercent != d.GCPercent || cfg.Queue.Mem.Events != d.Queue.Mem.Events || cfg.Queue.Mem.Bytes != d.Queue.Mem.Bytes {
		t.Errorf("shipper.yml's commented values: memory_limit %d, gc_percent %d, queue.mem.events %d, queue.mem.bytes %d; the defaults are %d, %d, %d, %d",
			cfg.MemoryLimit, cfg.GCPercent, cfg.Queue.Mem.Events, cfg.Queue.Mem.Bytes, d.MemoryLimit, d.GCPercent, d.Queue.Mem.Events, d.Queue.Mem.Bytes)
	}
}

type nfpmConfig struct {
	Contents []struct {
		Src      string `yaml:"src"`
		Dst      string `yaml:"dst"`
		Type     string `yaml:"type"`
		FileInfo struct {
			Mode int `yaml:"mode"`
		} `yaml:"file_info"`
	} `yaml:"contents"`
	Scripts map[string]string `yaml:"scripts"`
}

// TestNfpmContents: every source exists, the config is a 0640 conffile,
// every pattern file and dashboard folder is packaged.
func TestNfpmContents(t *testing.T) {
	b, err := os.ReadFile("nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c nfpmConfig
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	dsts := map[string]bool{}
	for _, e := range c.Contents {
		dsts[e.Dst] = true
		if e.Src == "" || strings.HasPrefix(e.Src, "${") {
			continue
		}
		if m, err := filepath.Glob(filepath.Join("..", e.Src)); err != nil || len(m) == 0 {
			t.Errorf("nfpm.yaml: %s → %s: %v", e.Src, e.Dst, err)
		}
		if e.Dst == "/etc/shipper/shipper.yml" {
			if e.Type != "config|noreplace" || e.FileInfo.Mode != 0o640 {
				t.Errorf("shipper.yml: type %q mode %#o, want config|noreplace 0640 (root:shipper after postinst)", e.Type, e.FileInfo.Mode)
			}
		}
	}
	for _, d := range []string{"/usr/bin/shipper", "/lib/systemd/system/shipper.service", "/etc/shipper/shipper.yml",
		"/usr/share/shipper/dashboards/dashboard/", "/usr/share/shipper/dashboards/index-pattern/"} {
		if !dsts[d] {
			t.Errorf("nfpm.yaml installs nothing at %s", d)
		}
	}
	ents, _ := os.ReadDir("../patterns")
	for _, e := range ents {
		if e.IsDir() || strings.Contains(e.Name(), ".") {
			continue // testdata/, patterns.go
		}
		if !dsts["/usr/share/shipper/patterns/"+e.Name()] {
			t.Errorf("pattern file patterns/%s is not packaged", e.Name())
		}
	}
	for _, s := range c.Scripts {
		if fi, err := os.Stat(filepath.Join("..", s)); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("script %s: missing or not executable (%v)", s, err)
		}
	}
}
