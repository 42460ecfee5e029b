package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// readmeCommands lists the commands of the README's "Use it" block:
// `shipper export template|ilm-policy [-o FILE]` gives "export template"
// and "export ilm-policy".
func readmeCommands(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, use, ok := strings.Cut(string(b), "## Use it")
	if !ok {
		t.Fatal("README.md has no '## Use it' section")
	}
	_, block, _ := strings.Cut(use, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	var out [][]string
	for _, l := range strings.Split(block, "\n") {
		l, _, _ = strings.Cut(l, "#")
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != "shipper" {
			continue
		}
		var words []string
		for _, w := range f[1:] {
			if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "[") || strings.ToUpper(w) == w {
				break
			}
			words = append(words, w)
		}
		if len(words) == 0 {
			continue
		}
		last := words[len(words)-1]
		for _, alt := range strings.Split(last, "|") {
			out = append(out, append(append([]string(nil), words[:len(words)-1]...), alt))
		}
	}
	return out
}

// Every command the README lists exists and answers -h with its usage and
// exit 0, as Beats' commands do (issue 19: -h exited 2).
func TestEveryREADMECommandAnswersHelp(t *testing.T) {
	cmds := readmeCommands(t)
	if len(cmds) < 12 {
		t.Fatalf("only %d commands found in the README's Use it block: %v", len(cmds), cmds)
	}
	for _, c := range cmds {
		if c[0] == "version" {
			continue // no flags
		}
		var out, errOut bytes.Buffer
		code := run(append(c, "-h"), strings.NewReader(""), &out, &errOut)
		if code != ExitOK {
			t.Errorf("shipper %s -h = %d, want 0\n%s%s", strings.Join(c, " "), code, out.String(), errOut.String())
		}
		if !strings.Contains(strings.ToLower(out.String()+errOut.String()), "usage") {
			t.Errorf("shipper %s -h printed no usage:\n%s%s", strings.Join(c, " "), out.String(), errOut.String())
		}
		if strings.Contains(errOut.String(), "unknown command") {
			t.Errorf("shipper %s: the README lists a command that does not exist", strings.Join(c, " "))
		}
	}
}
