package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's "Test it" heading names every Debian package scripts/test.sh
// installs, so that a new user knows what the test command puts on the
// machine (issue 19: it omitted chromium and qemu).
func TestREADMENamesEveryPackageTheTestsInstall(t *testing.T) {
	script, err := os.ReadFile("../../scripts/test.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*pkgs="([^"]+)"`).FindSubmatch(script)
	if m == nil {
		t.Fatal(`scripts/test.sh has no pkgs="…" line`)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var heading string
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "## Test it") {
			heading = l
		}
	}
	if heading == "" {
		t.Fatal("README.md has no '## Test it' heading")
	}
	for _, p := range strings.Fields(string(m[1])) {
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(p) + `\b`).MatchString(heading) {
			t.Errorf("README's %q does not name %s, which scripts/test.sh installs", heading, p)
		}
	}
}
