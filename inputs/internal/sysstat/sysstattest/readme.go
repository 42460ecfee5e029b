package sysstattest

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

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
