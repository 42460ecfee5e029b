package addhostmetadata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func build(t *testing.T, cfg string) *Processor {
	t.Helper()
	p, err := New(proctest.Section(t, "- add_host_metadata: "+cfg), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return p.(*Processor)
}

func run(t *testing.T, p *Processor, doc string) *event.Event {
	t.Helper()
	e := proctest.Event(t, doc)
	if _, err := p.Run(e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestNetInfoDisabled(t *testing.T) {
	e := run(t, build(t, "{netinfo.enabled: false}"), `{}`)
	if e.Fields.Has("host.ip") || e.Fields.Has("host.mac") {
		t.Fatalf("%v", e.Fields)
	}
	if !e.Fields.Has("host.os.family") || !e.Fields.Has("host.os.kernel") || !e.Fields.Has("host.os.name") {
		t.Fatalf("%v", e.Fields)
	}
}

func TestConfigName(t *testing.T) {
	e := run(t, build(t, "{name: my-host}"), `{}`)
	if v, _ := e.Fields.GetString("host.name"); v != "my-host" {
		t.Fatalf("host.name = %q", v)
	}
}

func TestConfigGeo(t *testing.T) {
	e := run(t, build(t, `
    geo.name: yerevan-am
    geo.location: "40.177200, 44.503490"
    geo.continent_name: Asia
    geo.country_iso_code: AM
    geo.region_name: Erevan
    geo.region_iso_code: AM-ER
    geo.city_name: Yerevan`), `{}`)
	for k, want := range map[string]any{
		"host.geo.name": "yerevan-am", "host.geo.continent_name": "Asia", "host.geo.country_iso_code": "AM",
		"host.geo.region_name": "Erevan", "host.geo.region_iso_code": "AM-ER", "host.geo.city_name": "Yerevan",
		"host.geo.location": event.GeoPoint{Lat: 40.1772, Lon: 44.50349},
	} {
		if got, _ := e.Fields.Get(k); got != want {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	if err := fields.Check(e, fieldsYAML); err != nil {
		t.Error(err)
	}
}

func TestPartialGeo(t *testing.T) {
	e := run(t, build(t, `{geo.name: yerevan-am, geo.city_name: "  "}`), `{}`)
	if v, _ := e.Fields.GetString("host.geo.name"); v != "yerevan-am" {
		t.Fatal(v)
	}
	for _, k := range []string{"continent_name", "country_name", "country_iso_code", "region_name", "region_iso_code", "city_name", "location"} {
		if e.Fields.Has("host.geo." + k) {
			t.Errorf("host.geo.%s set", k)
		}
	}
}

func TestGeoLocationValidation(t *testing.T) {
	for loc, valid := range map[string]bool{"40.177200, 44.503490": true, "-40.177200, -44.503490": true, "garbage": false, "9999999999": false} {
		_, err := New(proctest.Section(t, "- add_host_metadata:\n    geo.location: '"+loc+"'"), processors.Env{})
		if valid != (err == nil) {
			t.Errorf("%q: %v", loc, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "test.yml:3: processors[0].add_host_metadata.geo.location: invalid lat,lon string") {
			t.Errorf("%q: %v", loc, err)
		}
	}
}

func TestReplaceFields(t *testing.T) {
	doc := `{"host": {"name": "from-input", "hostname": "router1"}}`
	e := run(t, build(t, "{replace_fields: false}"), doc)
	if v, _ := e.Fields.GetString("host.hostname"); v != "router1" || e.Fields.Has("host.os.kernel") {
		t.Fatalf("replace_fields false: %v", e.Fields)
	}
	host, _ := os.Hostname()
	e = run(t, build(t, "~"), doc)
	if v, _ := e.Fields.GetString("host.hostname"); v != host {
		t.Fatalf("replace_fields true: %v", e.Fields)
	}
	// Only host.name (the shipper's own) does not count as host fields.
	e = run(t, build(t, "{replace_fields: false}"), `{"host": {"name": "x"}}`)
	if !e.Fields.Has("host.os.kernel") {
		t.Fatalf("%v", e.Fields)
	}
}

func TestCacheTTL(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "etc/os-release", "ID=debian\nNAME=\"Debian GNU/Linux\"\n")
	p := NewProcessor(DefaultConfig(), root)
	clock := time.Unix(1000, 0)
	p.now = func() time.Time { return clock }
	get := func() string {
		e := event.New(clock, 0)
		p.Run(e)
		v, _ := e.Fields.GetString("host.os.platform")
		return v
	}
	if got := get(); got != "debian" {
		t.Fatal(got)
	}
	writeFile(t, root, "etc/os-release", "ID=openwrt\n")
	clock = clock.Add(4 * time.Minute)
	if got := get(); got != "debian" {
		t.Fatalf("within the TTL: %s", got)
	}
	clock = clock.Add(2 * time.Minute)
	if got := get(); got != "openwrt" {
		t.Fatalf("after the TTL: %s", got)
	}
}

func writeFile(t *testing.T, root, name, data string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOSRelease(t *testing.T) {
	for name, c := range map[string]struct{ file, want string }{
		"debian": {`PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian`, "debian|Debian GNU/Linux|12 (bookworm)|debian|bookworm"},
		"ubuntu (ID_LIKE)": {`NAME="Ubuntu"
VERSION="24.04.1 LTS (Noble Numbat)"
ID=ubuntu
ID_LIKE=debian
VERSION_CODENAME=noble`, "ubuntu|Ubuntu|24.04.1 LTS (Noble Numbat)|debian|noble"},
		"rocky via ID_LIKE": {`NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"`, "rocky|Rocky Linux|9.3 (Blue Onyx)|redhat|"},
		"openwrt": {`NAME="OpenWrt"
VERSION="23.05.3"
ID="openwrt"
ID_LIKE="lede openwrt"
PRETTY_NAME="OpenWrt 23.05.3"`, "openwrt|OpenWrt|23.05.3|openwrt|"},
		"alpine (VERSION_ID only)": {`NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.20.3`, "alpine|Alpine Linux|3.20.3|alpine|"},
		"none": {"", "||||"},
	} {
		root := t.TempDir()
		if c.file != "" {
			writeFile(t, root, "usr/lib/os-release", c.file)
		}
		r := readOSRelease(root)
		if got := strings.Join([]string{r.platform, r.name, r.version, r.family, r.codename}, "|"); got != c.want || r.typ != "linux" {
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
}

func TestMachineIDAndContainer(t *testing.T) {
	root := t.TempDir()
	if readMachineID(root) != "" || containerized(root) != nil {
		t.Fatal("empty root")
	}
	writeFile(t, root, "var/lib/dbus/machine-id", "abc123\n")
	writeFile(t, root, "proc/1/cgroup", "0::/init.scope\n")
	if id := readMachineID(root); id != "abc123" {
		t.Fatal(id)
	}
	if c := containerized(root); c == nil || *c {
		t.Fatalf("%v", c)
	}
	writeFile(t, root, "proc/1/cgroup", "12:pids:/docker/0123abcd\n")
	if c := containerized(root); c == nil || !*c {
		t.Fatalf("%v", c)
	}
}

func TestFormatMAC(t *testing.T) {
	if got := formatMAC([]byte{0, 0x25, 0x96, 0x12, 0x34, 0xab}); got != "00-25-96-12-34-AB" {
		t.Fatal(got)
	}
}

func TestUnderWhen(t *testing.T) {
	procs, err := processors.Build(proctest.Sections(t, "- add_host_metadata:\n    netinfo.enabled: false\n    when.not.has_fields: [host.hostname]\n"), processors.Env{Metrics: monitoring.NewRegistry(), Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	e := proctest.Event(t, `{"host": {"hostname": "router1"}}`)
	procs[0].Run(e)
	if e.Fields.Has("host.os.kernel") {
		t.Fatalf("ran despite when: %v", e.Fields)
	}
	e = proctest.Event(t, `{}`)
	procs[0].Run(e)
	if !e.Fields.Has("host.os.kernel") {
		t.Fatalf("did not run: %v", e.Fields)
	}
}

func BenchmarkRun(b *testing.B) {
	p := NewProcessor(DefaultConfig(), "/")
	b.ReportAllocs()
	for b.Loop() {
		e := event.New(time.Now(), 16)
		e.Fields.Add("message", "x")
		p.Run(e)
	}
}
