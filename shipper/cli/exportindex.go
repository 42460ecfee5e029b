package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/shipper-project/shipper/dashboards"
	"github.com/shipper-project/shipper/shipper/fields"
	"github.com/shipper-project/shipper/shipper/setup"
)

// The export verbs of index management, as Beats' `export template`,
// `export ilm-policy` and `export index-pattern`: what `shipper run`
// installs on connect, on stdout or into -o FILE. With -c (or -E) the
// configuration's setup.template.* and setup.ilm.* apply (-E alone reads
// the default shipper.yml, as every verb does); without, the defaults.

// ExportTemplate is `shipper export template [-o FILE] [-c FILE]`: the
// composable index template (field catalog + setup.template/ilm settings).
func ExportTemplate(args []string, stdout, stderr io.Writer) int {
	return exportIndexThing("export template", args, stdout, stderr, func(c setup.Config) (any, error) {
		cat, err := fields.Builtin()
		if err != nil {
			return nil, err
		}
		return c.IndexTemplate(cat.Template([]string{c.Template.Pattern})), nil
	})
}

// ExportILMPolicy is `shipper export ilm-policy [-o FILE] [-c FILE]`: the
// body of PUT _ilm/policy/<setup.ilm.policy_name>.
func ExportILMPolicy(args []string, stdout, stderr io.Writer) int {
	return exportIndexThing("export ilm-policy", args, stdout, stderr, func(c setup.Config) (any, error) {
		return c.ILM.Policy(), nil
	})
}

// ExportIndexPattern is `shipper export index-pattern [-o FILE] [-c
// FILE]`: the Kibana data view over setup.template.pattern (shipper-*), as
// one saved object Stack Management → Saved Objects → Import reads.
func ExportIndexPattern(args []string, stdout, stderr io.Writer) int {
	return exportIndexThing("export index-pattern", args, stdout, stderr, func(c setup.Config) (any, error) {
		src, err := dashboards.Source()
		if err != nil {
			return nil, err
		}
		for _, f := range src {
			if f.Object["id"] != "shipper-all" {
				continue
			}
			attrs, _ := f.Object["attributes"].(map[string]any)
			if attrs == nil {
				break
			}
			attrs["title"] = c.Template.Pattern
			line, err := dashboards.Encode(f.Object)
			if err != nil {
				return nil, err
			}
			return json.RawMessage(line), nil
		}
		return nil, errors.New("dashboards: no shipper-all data view")
	})
}

func exportIndexThing(name string, args []string, stdout, stderr io.Writer, build func(setup.Config) (any, error)) int {
	fs, c := newFlags(name, stderr)
	outFile := fs.String("o", "", "write to this file instead of stdout")
	pattern := fs.String("index-pattern", "", "index pattern (default setup.template.pattern, shipper-*)")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shipper %s: unexpected argument %q\n", name, fs.Arg(0))
		return ExitUsage
	}
	sc := setup.DefaultConfig()
	if flagSet(fs, "c") || len(c.overrides) > 0 {
		cfg, err := c.load()
		if err != nil {
			printErr(stderr, "", err)
			return ExitUsage
		}
		if sc, err = setup.Decode(cfg.Setup); err != nil {
			printErr(stderr, "", err)
			return ExitUsage
		}
	}
	if *pattern != "" {
		sc.Template.Pattern = *pattern
	}
	v, err := build(sc)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return ExitRuntime
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return ExitRuntime
	}
	b = append(b, '\n')
	if *outFile == "" {
		if _, err := stdout.Write(b); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return ExitRuntime
		}
		return ExitOK
	}
	if err := os.WriteFile(*outFile, b, 0o644); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return ExitRuntime
	}
	fmt.Fprintf(stderr, "wrote %s\n", *outFile)
	return ExitOK
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
