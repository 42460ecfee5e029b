//go:build integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// sizeBudget is the most a stripped static shipper binary may weigh on each
// router architecture (issue 17: a status page written with html/template
// once made it 22–25 MiB; go-elasticsearch's esapi, reachable through
// elasticsearch.NewClient, kept mipsle at 17.0 MB until the output used the
// transport alone). When this fails, scripts/size-report.sh shows
// which packages the size is made of; compare it with a run on the commit
// before the growth.
const sizeBudget = 16 << 20

// TestBinarySize builds the release binaries as scripts/build-cross.sh does
// (CGO_ENABLED=0, -trimpath, -ldflags "-s -w") and checks each against
// sizeBudget. Sizes are deterministic for a given toolchain and source, so a
// threshold here is not flaky the way a timing would be.
func TestBinarySize(t *testing.T) {
	targets := []struct {
		name string
		env  []string
	}{
		{"arm64", []string{"GOARCH=arm64"}},
		{"armv7", []string{"GOARCH=arm", "GOARM=7"}},
		{"mipsle", []string{"GOARCH=mipsle", "GOMIPS=softfloat"}},
	}
	dir := t.TempDir()
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			bin := filepath.Join(dir, "shipper-"+tg.name)
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
			// The last value of a variable wins: the target's settings
			// override anything inherited.
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
			cmd.Env = append(cmd.Env, tg.env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v %v: %v\n%s", tg.env, cmd.Args, err, out)
			}
			fi, err := os.Stat(bin)
			if err != nil {
				t.Fatal(err)
			}
			size := fi.Size()
			t.Logf("%s: %d bytes (%.2f MiB), budget %d MiB", tg.name, size, float64(size)/(1<<20), sizeBudget>>20)
			if size > sizeBudget {
				t.Errorf("%s binary is %d bytes (%.2f MiB), over the %d MiB budget by %d bytes; run scripts/size-report.sh to see what it is made of",
					tg.name, size, float64(size)/(1<<20), sizeBudget>>20, size-sizeBudget)
			}
		})
	}
}
