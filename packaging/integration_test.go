//go:build integration

package packaging

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// need fails the test, naming the Debian package, when prog is missing.
func need(t *testing.T, prog, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(prog); err != nil {
		t.Fatalf("%s not found: apt-get install -y %s", prog, pkg)
	}
}

func runCmd(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// TestCrossBuildsAndDeb builds the four router binaries and smoke-tests
// each under qemu-user (scripts/build-cross.sh: `version` and `run --once`
// over testdata/squid-access.log to the file output), then packages the
// amd64 one and installs the .deb into a throwaway root.
func TestCrossBuildsAndDeb(t *testing.T) {
	for _, q := range []string{"qemu-aarch64-static", "qemu-arm-static", "qemu-mipsel-static"} {
		need(t, q, "qemu-user-static")
	}
	need(t, "dpkg", "dpkg")
	out := t.TempDir()
	env := []string{"OUT=" + out, "VERSION=9.8.7-test", "COMMIT=0123456789ab"}
	t.Logf("build-cross.sh:\n%s", runCmd(t, env, "scripts/build-cross.sh"))

	deb := strings.TrimSpace(runCmd(t, append(env, "VERSION=9.8.7~test", "BINARY="+filepath.Join(out, "shipper-linux-amd64")), "scripts/build-deb.sh"))
	if filepath.Base(deb) != "shipper_9.8.7~test_amd64.deb" {
		t.Fatalf("build-deb.sh made %q", deb)
	}

	// dpkg -i --root: an empty root needs only dpkg's database. The
	// maintainer scripts cannot run chrooted into it (there is no /bin/sh
	// inside), so they run on the host with DPKG_ROOT set, and do nothing
	// (postinstall.sh checks DPKG_ROOT).
	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644)
	dpkg := func(args ...string) string {
		return runCmd(t, nil, "dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--log=/dev/null"}, args...)...)
	}
	dpkg("-i", deb)

	files := []struct {
		path string
		mode os.FileMode
	}{
		{"usr/bin/shipper", 0o755},
		{"lib/systemd/system/shipper.service", 0o644},
		{"usr/lib/sysusers.d/shipper.conf", 0o644},
		{"etc/shipper/shipper.yml", 0o640},
		{"etc/shipper", 0o750 | os.ModeDir},
		{"usr/share/shipper/patterns/squid", 0o644},
		{"usr/share/shipper/patterns/snort", 0o644},
		{"usr/share/shipper/dashboards/dashboard/shipper-squid.json", 0o644},
		{"usr/share/shipper/dashboards/index-pattern/shipper-squid.access.json", 0o644},
		{"usr/share/doc/shipper/README.md", 0o644},
	}
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(root, f.path))
		if err != nil {
			t.Errorf("installed %s: %v", f.path, err)
			continue
		}
		if fi.Mode()&(os.ModePerm|os.ModeDir) != f.mode {
			t.Errorf("installed %s: mode %v, want %v", f.path, fi.Mode(), f.mode)
		}
	}
	if got := dpkg("-s", "shipper"); !strings.Contains(got, "Status: install ok installed") || !strings.Contains(got, "/etc/shipper/shipper.yml") {
		t.Errorf("dpkg -s shipper:\n%s\nwant installed, with /etc/shipper/shipper.yml as a conffile", got)
	}
	v := runCmd(t, nil, filepath.Join(root, "usr/bin/shipper"), "version")
	if !strings.Contains(v, "shipper version 9.8.7-test (linux/amd64), commit 0123456789ab") {
		t.Errorf("installed shipper version = %q", v)
	}
	// The installed default config is valid for the installed binary.
	runCmd(t, nil, filepath.Join(root, "usr/bin/shipper"), "test", "config", "-c", filepath.Join(root, "etc/shipper/shipper.yml"), "--path.data", t.TempDir())

	// Remove keeps the edited conffile; purge removes it.
	conf := filepath.Join(root, "etc/shipper/shipper.yml")
	os.WriteFile(conf, []byte("# edited\n"), 0o600)
	dpkg("-r", "shipper")
	if _, err := os.Stat(filepath.Join(root, "usr/bin/shipper")); !os.IsNotExist(err) {
		t.Errorf("after dpkg -r the binary is still there (%v)", err)
	}
	if b, _ := os.ReadFile(conf); string(b) != "# edited\n" {
		t.Errorf("after dpkg -r the conffile is %q, want the edited one kept", b)
	}
	dpkg("-P", "shipper")
	if _, err := os.Stat(conf); !os.IsNotExist(err) {
		t.Errorf("after dpkg -P the conffile is still there (%v)", err)
	}
}

// TestDebRunsAsServiceUser installs the .deb into an empty root with its
// maintainer scripts (run on the host with DPKG_ROOT set, as dpkg
// --force-script-chrootless does), then runs the installed shipper as the
// service user the postinst created, on the installed config and
// path.data, as systemd would start it: the user must be able to read its
// configuration and use a keystore root made for it, and must not be able
// to change the configuration.
func TestDebRunsAsServiceUser(t *testing.T) {
	need(t, "dpkg", "dpkg")
	need(t, "setpriv", "util-linux")
	need(t, "systemd-sysusers", "systemd")
	if os.Geteuid() != 0 {
		t.Fatal("run as root (CI does): dpkg --root, chown and setpriv need it")
	}
	out := t.TempDir()
	// build-deb.sh builds the amd64 binary as build-cross.sh does (the
	// same build cache as TestCrossBuildsAndDeb).
	deb := strings.TrimSpace(runCmd(t, []string{"OUT=" + out, "VERSION=9.8.7~test"}, "scripts/build-deb.sh"))

	// The root and its parent must be traversable by the service user
	// (t.TempDir makes them 0700).
	root := t.TempDir()
	for _, d := range []string{root, filepath.Dir(root)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644)
	dpkg := func(args ...string) string {
		return runCmd(t, nil, "dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--log=/dev/null"}, args...)...)
	}
	dpkg("-i", deb)

	uid, gid := lookupID(t, filepath.Join(root, "etc/passwd")), lookupID(t, filepath.Join(root, "etc/group"))
	for _, f := range []struct {
		path     string
		uid, gid int
		mode     os.FileMode
	}{
		{"etc/shipper", 0, gid, 0o750 | os.ModeDir},
		{"etc/shipper/shipper.yml", 0, gid, 0o640},
		{"var/lib/shipper", uid, gid, 0o750 | os.ModeDir},
	} {
		fi, err := os.Stat(filepath.Join(root, f.path))
		if err != nil {
			t.Errorf("installed %s: %v", f.path, err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if int(st.Uid) != f.uid || int(st.Gid) != f.gid || fi.Mode()&(os.ModePerm|os.ModeDir) != f.mode {
			t.Errorf("installed %s: %d:%d %v, want %d:%d %v", f.path, st.Uid, st.Gid, fi.Mode(), f.uid, f.gid, f.mode)
		}
	}

	shipper := filepath.Join(root, "usr/bin/shipper")
	conf := filepath.Join(root, "etc/shipper/shipper.yml")
	data := filepath.Join(root, "var/lib/shipper")
	// asUser runs argv as the service user, its groups only (no root's).
	asUser := func(stdin string, argv ...string) (string, error) {
		cmd := exec.Command("setpriv", append([]string{"--reuid=" + strconv.Itoa(uid), "--regid=" + strconv.Itoa(gid), "--clear-groups", "--"}, argv...)...)
		cmd.Dir = root
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		cmd.Stdin = strings.NewReader(stdin)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	if got, err := asUser("", shipper, "test", "config", "-c", conf, "--path.data", data); err != nil || !strings.Contains(got, "Config OK") {
		t.Errorf("shipper test config as the service user (uid %d): %v\n%s", uid, err, got)
	}

	// An operator adds a secret as root (sudo shipper keystore add …); the
	// service reads it.
	add := exec.Command(shipper, "keystore", "add", "ES_API_KEY", "--stdin", "-c", conf, "--path.data", data)
	add.Env = []string{"PATH=/usr/bin:/bin"}
	add.Stdin = strings.NewReader("id:s3cret\n")
	if b, err := add.CombinedOutput(); err != nil {
		t.Fatalf("keystore add as root: %v\n%s", err, b)
	}
	if got, err := asUser("", shipper, "test", "config", "-c", conf, "--path.data", data, "-E", "output.elasticsearch.api_key=${ES_API_KEY}"); err != nil || !strings.Contains(got, "Config OK") {
		t.Errorf("test config with ${ES_API_KEY} from root's keystore, as the service user: %v\n%s", err, got)
	}
	if got, err := asUser("", shipper, "keystore", "list", "-c", conf, "--path.data", data); err != nil || got != "ES_API_KEY\n" {
		t.Errorf("keystore list as the service user: %v\n%s", err, got)
	}

	// The service may read its configuration, not change it.
	if got, err := asUser("", "/bin/sh", "-c", `echo x >>"$1"`, "sh", conf); err == nil {
		t.Errorf("the service user could append to %s:\n%s", conf, got)
	}

	dpkg("-P", "shipper")
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("after dpkg -P %s is still there (%v)", data, err)
	}
}

// lookupID returns the id of "shipper" in a passwd or group file.
func lookupID(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no service user in the root: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[0] == "shipper" {
			id, err := strconv.Atoi(f[2])
			if err != nil {
				t.Fatalf("%s: %q", file, line)
			}
			return id
		}
	}
	t.Fatalf("%s has no shipper entry:\n%s", file, b)
	return 0
}
