package cli

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The README's "Try it" command runs and prints the squid sample's
// documents (with its path.data moved to a temporary directory).
func TestTryItCommandRuns(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, try, _ := strings.Cut(string(b), "## Try it")
	_, cmd, _ := strings.Cut(try, "```sh\n")
	cmd, _, _ = strings.Cut(cmd, "\n")
	args := strings.Fields(cmd)
	if len(args) < 3 || strings.Join(args[:3], " ") != "go run ./shipper" {
		t.Fatalf("the Try it command is %q, want go run ./shipper …", cmd)
	}
	// Run as written, from the repository's root, through this test
	// binary's main (TestHelperShipperMain); path.data goes to a temporary
	// directory so that a second run prints the documents again.
	args = append(args[3:], "-E", "path.data="+t.TempDir())
	c := exec.Command(os.Args[0], "-test.run=^TestHelperShipperMain$")
	c.Env = append(os.Environ(), "SHIPPER_TEST_MAIN="+strings.Join(args, "\n"))
	c.Dir = "../.."
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Run(); err != nil {
		t.Fatalf("%q: %v\n%s", cmd, err, errOut.String())
	}
	docs := strings.Count(out.String(), `"@timestamp"`)
	sample, _ := os.ReadFile("../../testdata/squid-access.log")
	if want := strings.Count(string(sample), "\n"); docs != want {
		t.Errorf("the Try it command printed %d documents, want the sample's %d lines", docs, want)
	}
}
