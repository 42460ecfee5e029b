package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var updateTestPattern = flag.Bool("update", false, "rewrite the golden files of testdata/testpattern")

// TestTestPatternGolden runs `shipper test-pattern` on the files of
// testdata/testpattern and compares stdout, stderr (timings masked) and
// the exit code with NAME.golden. Rewrite with `go test ./shipper/cli -run
// TestTestPatternGolden -update`.
func TestTestPatternGolden(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"squid_ok", []string{"testdata/testpattern/squid_ok.log"}, 0},
		{"squid_bad", []string{"--module", "squid", "testdata/testpattern/squid_bad.log"}, 1},
		{"snort", []string{"--module", "snort", "--format", "json", "testdata/testpattern/snort.log"}, 0},
		{"expr", []string{"--pattern", `^%{NUMBER:timestamp}\s+%{INT:squid.request.duration:int} %{IP:source.ip} %{GREEDYDATA:rest}$`, "-"}, 1},
		{"bad_pattern", []string{"--pattern", "%{NOPE:x}", "-"}, 2},
	}
	ns := regexp.MustCompile(`\d+ ns/line`)
	// Documents without a time of their own carry the time they were read.
	readTime := regexp.MustCompile(`"@timestamp": ?"([^"]+)"`)
	started := time.Now().Add(-time.Second)
	maskReadTime := func(s string) string {
		return readTime.ReplaceAllStringFunc(s, func(m string) string {
			ts, err := time.Parse(time.RFC3339Nano, readTime.FindStringSubmatch(m)[1])
			if err == nil && !ts.Before(started) && ts.Before(time.Now().Add(time.Second)) {
				return `"@timestamp":"READ-TIME"`
			}
			return m
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdin, err := os.Open("testdata/testpattern/squid_bad.log")
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			var out, errOut bytes.Buffer
			code := TestPattern(c.args, stdin, &out, &errOut)
			if code != c.want {
				t.Errorf("TestPattern(%q) = %d, want %d; stderr:\n%s", c.args, code, c.want, errOut.String())
			}
			got := "$ shipper test-pattern " + strings.Join(c.args, " ") + "\n--- stdout\n" + maskReadTime(out.String()) +
				"--- stderr\n" + ns.ReplaceAllString(errOut.String(), "N ns/line")
			golden := filepath.Join("testdata", "testpattern", c.name+".golden")
			if *updateTestPattern {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("TestPattern(%q) output differs from %s:\n%s", c.args, golden, got)
			}
		})
	}
}
