// Command gen writes the Kibana saved objects of shipper's dashboards, one
// readable JSON object per file (the JSON-in-string attributes decoded), under
// dashboards/dashboard/ and dashboards/index-pattern/. The files are the
// source that `shipper export dashboards` and `shipper setup --dashboards`
// encode to NDJSON; this program is how they are written and kept
// consistent (stable ids, references, grid), so edit the Go here and run
//
//	go generate ./dashboards
//
// then review the JSON diff like code. TestFilesUpToDate fails when the
// files and this program disagree.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

func main() {
	dir := flag.String("dir", ".", "the dashboards folder")
	flag.Parse()
	files, err := render(filepath.Join(*dir, ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, sub := range []string{"dashboard", "index-pattern"} {
		old, _ := filepath.Glob(filepath.Join(*dir, sub, "*.json"))
		for _, f := range old {
			os.Remove(f)
		}
		if err := os.MkdirAll(filepath.Join(*dir, sub), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(*dir, n), files[n], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}

// render returns every file, keyed by its path under dashboards/; root is
// the repository's root (for the inputs' fields.yml).
func render(root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	add := func(o obj) error {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(o); err != nil {
			return fmt.Errorf("%s: %w", o["id"], err)
		}
		out[filepath.Join(o["type"].(string), o["id"].(string)+".json")] = buf.Bytes()
		return nil
	}
	for _, dv := range dataViews {
		formats, err := formatMap(root, dv.catalogs)
		if err != nil {
			return nil, fmt.Errorf("data view %s: %w", dv.id, err)
		}
		if err := add(dv.object(formats)); err != nil {
			return nil, err
		}
	}
	for _, d := range dashboardsAll() {
		if err := add(d.object()); err != nil {
			return nil, err
		}
	}
	return out, nil
}
