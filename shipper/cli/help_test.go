package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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

// Every command line in a ```sh block of any README is checked against the
// code (issue 19: documentation must not drift): a `shipper VERB` exists,
// answers -h, and knows every flag the line shows; a scripts/ program
// exists and is executable; a `go test`/`go run` package path exists; the
// README's first command runs (TestTryItCommandRuns).
func TestEveryREADMEShellCommandMatchesTheCode(t *testing.T) {
	root := "../.."
	files, err := filepath.Glob(root + "/*/README.md")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(root + "/*/*/README.md")
	files = append(append([]string{root + "/README.md"}, files...), more...)
	checked := 0
	flagRe := regexp.MustCompile(`(^|\s|\[)(--?[a-z][a-z0-9.-]*)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inSh := false
		for n, l := range strings.Split(string(b), "\n") {
			switch {
			case strings.TrimSpace(l) == "```sh":
				inSh = true
				continue
			case strings.HasPrefix(strings.TrimSpace(l), "```"):
				inSh = false
				continue
			case !inSh:
				continue
			}
			where := fmt.Sprintf("%s:%d", strings.TrimPrefix(f, root+"/"), n+1)
			cmd, _, _ := strings.Cut(l, "#")
			fields := strings.Fields(cmd)
			for len(fields) > 0 && strings.Contains(fields[0], "=") && !strings.HasPrefix(fields[0], "-") {
				fields = fields[1:] // VAR=value prefixes
			}
			if len(fields) == 0 {
				continue
			}
			switch {
			case fields[0] == "shipper":
				var verb []string
				for _, w := range fields[1:] {
					if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "[") || strings.ToUpper(w) == w || strings.Contains(w, "/") {
						break
					}
					verb = append(verb, strings.Split(w, "|")[0])
				}
				if len(verb) == 0 || verb[0] == "version" {
					continue
				}
				var out, errOut bytes.Buffer
				if code := run(append(verb, "-h"), strings.NewReader(""), &out, &errOut); code != ExitOK {
					t.Errorf("%s: shipper %s -h = %d:\n%s", where, strings.Join(verb, " "), code, errOut.String())
					continue
				}
				usage := out.String() + errOut.String()
				for _, m := range flagRe.FindAllStringSubmatch(cmd, -1) {
					name := strings.TrimLeft(m[2], "-")
					if name == "h" || name == "" {
						continue
					}
					if !strings.Contains(usage, "-"+name+" ") && !strings.Contains(usage, "-"+name+"\n") && !strings.Contains(usage, "-"+name+"\t") && !strings.Contains(usage, "-"+name+"=") && !strings.Contains(usage, "-"+name+",") {
						t.Errorf("%s: shipper %s has no flag -%s (README: %s)", where, strings.Join(verb, " "), name, strings.TrimSpace(l))
					}
				}
				checked++
			case strings.HasPrefix(fields[0], "scripts/"):
				fi, err := os.Stat(filepath.Join(root, fields[0]))
				if err != nil || fi.Mode()&0o111 == 0 {
					t.Errorf("%s: %s is not an executable script of the repository", where, fields[0])
				}
				checked++
			case fields[0] == "go" && len(fields) > 1 && (fields[1] == "test" || fields[1] == "run" || fields[1] == "build"):
				for _, w := range fields[2:] {
					if strings.HasPrefix(w, "./") {
						p := strings.TrimSuffix(strings.TrimSuffix(w, "..."), "/")
						if _, err := os.Stat(filepath.Join(root, p)); err != nil {
							t.Errorf("%s: package %s does not exist", where, w)
						}
					}
				}
				checked++
			}
		}
	}
	if checked < 30 {
		t.Fatalf("only %d README command lines checked", checked)
	}
	t.Logf("%d README command lines checked", checked)
}
