package sysstattest

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/config"
)

// READMEInputs returns the input sections (shipper.inputs items) of every
// ```yaml block of a README, so that a test can check the documented
// configuration decodes and shows the real defaults.
func READMEInputs(t testing.TB, readme string) []config.Section {
	t.Helper()
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	var out []config.Section
	parts := strings.Split(string(b), "```yaml\n")
	for i, p := range parts[1:] {
		block, _, ok := strings.Cut(p, "```")
		if !ok {
			t.Fatalf("%s: yaml block %d is not closed", readme, i+1)
		}
		file := fmt.Sprintf("%s#yaml%d", readme, i+1)
		root, err := config.Parse([]byte(block), file, nil)
		if err != nil {
			t.Fatal(err)
		}
		inputs := lookup(lookup(root, "shipper"), "inputs")
		if inputs == nil || inputs.Kind != yaml.SequenceNode {
			continue
		}
		for j, n := range inputs.Content {
			out = append(out, config.Section{Node: n, File: file, Path: fmt.Sprintf("shipper.inputs[%d]", j)})
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no shipper.inputs in its yaml blocks", readme)
	}
	return out
}

func lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// CheckREADMEConfig checks a sysstat input's README (STYLE.md §7.2): its two
// input blocks, the command mode then the paths mode, decode over
// defaults(), and differ from the defaults only by the command or the paths
// they set; the zone is the system's.
func CheckREADMEConfig(t *testing.T, readme string, defaults func() sysstat.Config, command, paths []string) {
	t.Helper()
	secs := READMEInputs(t, readme)
	if len(secs) != 2 {
		t.Fatalf("%d input blocks in %s, want 2 (command, paths)", len(secs), readme)
	}
	for i, sec := range secs {
		got := defaults()
		if err := sysstat.Decode(sec, &got); err != nil {
			t.Fatalf("block %d: %v", i+1, err)
		}
		if got.Loc != time.Local {
			t.Errorf("block %d: zone %v, want the system zone", i+1, got.Loc)
		}
		got.Loc = nil // *time.Location is opaque to cmp
		want := defaults()
		if i == 0 {
			want.Command.Command = command
		} else {
			want.File.Paths = paths
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("block %d differs from the defaults (-want +got):\n%s", i+1, d)
		}
	}
}
