package config

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// A YAML alias inside its own anchor (a: &x {b: *x}) is a cycle: every walk
// over the nodes must end. CheckPerms on such a world-readable file grew
// without bound (24 GB in a minute) before the walks got a depth bound.
func TestAliasCycleEnds(t *testing.T) {
	for _, yml := range []string{"a: &x {b: *x, password: pw}\noutput.console: {}\n", billionLaughs()} {
		aliasCycleEnds(t, yml)
	}
}

// billionLaughs is 10^9 password keys after alias expansion, in 500 bytes.
func billionLaughs() string {
	s := "l0: &l0 {password: pw}\n"
	for i := 1; i <= 9; i++ {
		s += fmt.Sprintf("l%d: &l%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				s += ", "
			}
			s += fmt.Sprintf("*l%d", i-1)
		}
		s += "]\n"
	}
	return s + "output.console: {}\n"
}

func aliasCycleEnds(t *testing.T, yml string) {
	path := filepath.Join(t.TempDir(), "cyc.yml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	if err := CheckPerms(path); err == nil {
		t.Errorf("CheckPerms on a world-readable file with a password: no error")
	}
	FindSecrets([]byte(yml))
	c, err := LoadBytes([]byte(yml), "cyc.yml", nil)
	if err == nil {
		t.Errorf("LoadBytes: no error for the unknown key a")
	}
	if c != nil {
		c.Export()
	}
}
