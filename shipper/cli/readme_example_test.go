package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
)

// The main README's configuration example, copied as is onto the squid
// sample, gives clean documents: no _geoip_lookup_failure and no
// error.message on lines that simply have no destination address
// (issue 19: 5 of the 14 sample lines failed without ignore_missing).
func TestMainREADMEExampleGivesCleanDocuments(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml block in README.md")
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(block), &cfg); err != nil {
		t.Fatal(err)
	}
	inputs, _ := cfg["shipper.inputs"].([]any)
	if len(inputs) == 0 {
		t.Fatal("the README example has no shipper.inputs")
	}
	in := inputs[0].(map[string]any)
	if in["type"] != "squid" {
		t.Fatalf("the README example's first input is %v, want squid", in["type"])
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "city.mmdb")
	if err := geoiptest.WriteCityDB(db, geoiptest.Cities()...); err != nil {
		t.Fatal(err)
	}
	sample, _ := filepath.Abs("../../testdata/squid-access.log")
	in["paths"] = []any{sample}
	for _, p := range in["processors"].([]any) {
		if g, ok := p.(map[string]any)["geoip"].(map[string]any); ok {
			g["database"] = db // the example's /var/lib/GeoIP path, generated here
		}
	}
	run := map[string]any{
		"shipper.inputs": []any{in},
		"processors":     cfg["processors"],
		"output.file":    map[string]any{"path": dir, "filename": "out"},
		"path.data":      filepath.Join(dir, "data"),
	}
	b, _ := yaml.Marshal(run)
	path := filepath.Join(dir, "shipper.yml")
	os.WriteFile(path, b, 0o600)
	var out, errOut bytes.Buffer
	if code := Run([]string{"--once", "-c", path}, &out, &errOut); code != ExitOK {
		t.Fatalf("run --once = %d:\n%s", code, errOut.String())
	}
	f, err := os.Open(filepath.Join(dir, "out.ndjson"))
	if err != nil {
		matches, _ := filepath.Glob(filepath.Join(dir, "out*"))
		if len(matches) == 0 {
			t.Fatal(err)
		}
		f, _ = os.Open(matches[0])
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		n++
		var doc map[string]any
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		tags, _ := json.Marshal(doc["tags"])
		if strings.Contains(string(tags), "_geoip_lookup_failure") || doc["error"] != nil {
			t.Errorf("line %d: tags %s, error %v — the README example must give clean documents", n, tags, doc["error"])
		}
	}
	if n < 10 {
		t.Fatalf("%d documents, want the sample's lines", n)
	}
}
