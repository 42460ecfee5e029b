package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/outputs"
	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/config"
)

// compatTable renders the README's compatibility table (issue 15): every
// filebeat.yml key family from config.Compat, then every input type,
// processor and output Filebeat has or shipper registers, from the
// registries. repo is the repository root, to link the plugins' READMEs.
// TestREADMECompatibilityTable checks that README.md holds exactly this
// text, so the table cannot drift from the code.
func compatTable(repo string) string {
	var b strings.Builder
	b.WriteString("| filebeat.yml key | shipper | notes |\n|---|---|---|\n")
	for _, c := range config.Compat {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Key, c.Support, c.Note)
	}
	plugins := func(kind, key string, beats map[string]string, registered []string) {
		reg := map[string]bool{}
		for _, n := range registered {
			reg[n] = true
		}
		names := append([]string(nil), registered...)
		for n := range beats {
			if !reg[n] {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			why, inBeats := beats[n]
			// "supported", not "same": each plugin's README lists
			// its differences from Filebeat's.
			support, note := config.Support("supported"), ""
			switch {
			case reg[n] && !inBeats:
				support, note = "shipper only", "not in Filebeat"
			case !reg[n]:
				support, note = config.NotSupported, why
				if note == "" {
					note = config.NotImplemented
				}
			}
			if reg[n] {
				dir := filepath.Join(kind, n)
				if _, err := os.Stat(filepath.Join(repo, dir, "README.md")); err == nil {
					note = strings.TrimPrefix(note+"; options: ["+dir+"]("+dir+")", "; ")
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", fmt.Sprintf(key, n), support, note)
		}
	}
	plugins("inputs", "`type: %s`", config.BeatsInputs, registeredTestless(inputs.Names()))
	plugins("processors", "processor `%s`", config.BeatsProcessors, processors.Names())
	plugins("outputs", "`output.%s`", config.BeatsOutputs, outputs.Names())
	return b.String()
}

// registeredTestless drops the inputs that tests register (doctor's probe).
func registeredTestless(names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.Contains(n, "test") {
			out = append(out, n)
		}
	}
	return out
}
