package addhostmetadata

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// hostInfo is what the processor adds, read from the box itself (Beats reads
// the same sources through go-sysinfo).
type hostInfo struct {
	hostname      string
	architecture  string // uname -m: x86_64, aarch64, armv7l, mips
	kernel        string // uname -r
	os            osRelease
	id            string // /etc/machine-id
	containerized *bool
	ips, macs     []string
}

type osRelease struct {
	typ, platform, name, version, family, codename string
}

// familyOf maps os-release IDs to go-sysinfo's families.
var familyOf = map[string]string{
	"arch": "arch", "antergos": "arch", "manjaro": "arch",
	"redhat": "redhat", "fedora": "redhat", "centos": "redhat", "scientific": "redhat", "oraclelinux": "redhat",
	"ol": "redhat", "amzn": "redhat", "rhel": "redhat", "almalinux": "redhat", "openeuler": "redhat", "rocky": "redhat",
	"debian": "debian", "ubuntu": "debian", "raspbian": "debian", "linuxmint": "debian",
	"suse": "suse", "sles": "suse", "opensuse": "suse", "opensuse-leap": "suse", "opensuse-tumbleweed": "suse",
}

// readOSRelease reads root/etc/os-release (or root/usr/lib/os-release).
func readOSRelease(root string) osRelease {
	r := osRelease{typ: "linux"}
	data, err := os.ReadFile(filepath.Join(root, "etc/os-release"))
	if err != nil {
		if data, err = os.ReadFile(filepath.Join(root, "usr/lib/os-release")); err != nil {
			return r
		}
	}
	kv := parseOSRelease(data)
	r.platform, r.name, r.version, r.codename = kv["ID"], kv["NAME"], kv["VERSION"], kv["VERSION_CODENAME"]
	if r.version == "" {
		r.version = kv["VERSION_ID"]
	}
	r.family = familyOf[r.platform]
	for _, like := range strings.Fields(kv["ID_LIKE"]) {
		if r.family == "" {
			r.family = familyOf[like]
		}
	}
	if r.family == "" {
		r.family = r.platform // openwrt, alpine…: their own family
	}
	return r
}

// parseOSRelease reads KEY=value lines, values optionally quoted.
func parseOSRelease(data []byte) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
			v = strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\$`, `$`, "\\`", "`").Replace(v)
		}
		kv[strings.TrimSpace(k)] = v
	}
	return kv
}

// readMachineID is systemd's (or D-Bus's) machine ID.
func readMachineID(root string) string {
	for _, p := range []string{"etc/machine-id", "var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(filepath.Join(root, p)); err == nil {
			if id := strings.TrimSpace(string(b)); id != "" {
				return id
			}
		}
	}
	return ""
}

// containerized tells whether the shipper runs in a container: the markers
// Docker and Podman leave, or a container runtime in PID 1's cgroup. Unknown
// (nil) when /proc cannot be read.
func containerized(root string) *bool {
	yes, no := true, false
	for _, p := range []string{".dockerenv", "run/.containerenv"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			return &yes
		}
	}
	data, err := os.ReadFile(filepath.Join(root, "proc/1/cgroup"))
	if err != nil {
		return nil
	}
	for _, m := range []string{"docker", "lxc", "kubepods", "containerd", "libpod"} {
		if bytes.Contains(data, []byte(m)) {
			return &yes
		}
	}
	return &no
}

// netInfo lists the addresses and hardware addresses of the non-loopback
// interfaces (Beats' util.GetNetInfo), MACs in ECS form (00-25-96-12-34-56).
func netInfo() (ips, macs []string) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, nil
	}
	seen := map[string]bool{}
	add := func(list *[]string, s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			*list = append(*list, s)
		}
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 {
			continue
		}
		add(&macs, formatMAC(i.HardwareAddr))
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			switch v := a.(type) {
			case *net.IPNet:
				add(&ips, v.IP.String())
			case *net.IPAddr:
				add(&ips, v.IP.String())
			}
		}
	}
	return ips, macs
}

func formatMAC(hw net.HardwareAddr) string {
	if len(hw) == 0 {
		return ""
	}
	return strings.ToUpper(strings.ReplaceAll(hw.String(), ":", "-"))
}
