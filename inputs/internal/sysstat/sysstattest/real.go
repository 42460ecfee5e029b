package sysstattest

import (
	"os/exec"
	"strings"
	"testing"
)

// RequireProgram fails the test (integration tests never skip) when name is
// not in $PATH, saying which Debian package provides it.
func RequireProgram(t testing.TB, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not found in $PATH: run `apt-get install -y %s`", name, pkg)
	}
}

// RequireLocale fails the test when the locale (e.g. "en_US.UTF-8") is not
// generated, saying how to generate it.
func RequireLocale(t testing.TB, name string) {
	t.Helper()
	out, err := exec.Command("locale", "-a").Output()
	if err != nil {
		t.Fatalf("locale -a: %v (run `apt-get install -y locales`)", err)
	}
	want := strings.ToLower(strings.ReplaceAll(name, "-", ""))
	for _, l := range strings.Fields(string(out)) {
		if strings.ToLower(strings.ReplaceAll(l, "-", "")) == want {
			return
		}
	}
	lang, charset, _ := strings.Cut(name, ".")
	t.Fatalf("locale %s is not generated: run `apt-get install -y locales && localedef -i %s -f %s %s`", name, lang, charset, name)
}
