package cli

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
)

// yamlBlock is one ```yaml block of a README.
type yamlBlock struct {
	file string
	line int // of the first line inside the fence
	text string
	skip string // the reason given in a preceding <!-- not a config: … --> comment
}

// readmeYAMLBlocks returns every ```yaml block of every README.md in the
// repository.
func readmeYAMLBlocks(t *testing.T, root string) []yamlBlock {
	t.Helper()
	var out []yamlBlock
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || d.Name() != "README.md" {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		var cur *yamlBlock
		var prev string
		for n := 1; sc.Scan(); n++ {
			l := sc.Text()
			switch {
			case cur == nil && strings.TrimSpace(l) == "```yaml":
				cur = &yamlBlock{file: path, line: n + 1}
				if r, ok := strings.CutPrefix(strings.TrimSpace(prev), "<!-- not a config:"); ok {
					cur.skip = strings.TrimSpace(strings.TrimSuffix(r, "-->"))
				}
			case cur != nil && strings.TrimSpace(l) == "```":
				out = append(out, *cur)
				cur = nil
			case cur != nil:
				cur.text += l + "\n"
			}
			prev = l
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEveryREADMEConfigBlockLoads runs every ```yaml block of every README
// through `shipper test config`, so that documentation cannot drift from
// the code (issue 19). A block is a whole configuration, a list of inputs
// (items with type:), a list of processors, or a map of top-level keys; a
// block that is none of these says why in a `<!-- not a config: why -->`
// comment on the line before its fence. Files the examples name that do
// not exist here (GeoIP databases) are generated, the rest of the block is
// taken as written.
func TestEveryREADMEConfigBlockLoads(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeYAMLBlocks(t, root)
	if len(blocks) < 10 {
		t.Fatalf("only %d yaml blocks found under %s", len(blocks), root)
	}
	dir := t.TempDir()
	cityDB := filepath.Join(dir, "city.mmdb")
	if err := geoiptest.WriteCityDB(cityDB, geoiptest.Cities()...); err != nil {
		t.Fatal(err)
	}
	asnDB := filepath.Join(dir, "asn.mmdb")
	if err := geoiptest.WriteASNDB(asnDB, geoiptest.ASNs()...); err != nil {
		t.Fatal(err)
	}
	caPEM := filepath.Join(dir, "ca.pem")
	writeTestCA(t, caPEM)
	// ${VAR} references stand for secrets the operator sets: give each a
	// value (a keystore or the environment provides it in real use).
	for _, b := range blocks {
		for _, m := range envRef.FindAllStringSubmatch(b.text, -1) {
			if _, ok := os.LookupEnv(m[1]); !ok {
				t.Setenv(m[1], "readme-example-value")
			}
		}
	}
	checked := 0
	for _, b := range blocks {
		rel, _ := filepath.Rel(root, b.file)
		name := fmt.Sprintf("%s:%d", rel, b.line)
		if b.skip != "" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			cfg, err := wholeConfig(b.text, fixes{cityDB, asnDB, caPEM, dir}, filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(name)))
			if err != nil {
				t.Fatalf("%s: %v (a block that is not a configuration says why in <!-- not a config: why --> on the line before its fence)\n%s", name, err, b.text)
			}
			path := filepath.Join(dir, "block.yml")
			if err := os.WriteFile(path, cfg, 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			if code := TestConfig([]string{"-c", path}, &out, &errOut); code != ExitOK {
				t.Errorf("%s: `shipper test config` on this README block = %d:\n%s\n--- block as checked:\n%s", name, code, errOut.String(), cfg)
			}
		})
		checked++
	}
	t.Logf("%d README yaml blocks checked", checked)
}

// wholeConfig turns a README block into a configuration file: a list of
// inputs or processors is placed under its key, an output and path.data are
// added when the block has none, and GeoIP database paths that do not exist
// here point at generated databases.
func wholeConfig(text string, fx fixes, data string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("empty block")
	}
	top := doc.Content[0]
	var m map[string]any
	switch top.Kind {
	case yaml.SequenceNode:
		var items []map[string]any
		if err := top.Decode(&items); err != nil {
			return nil, fmt.Errorf("a list that is neither inputs nor processors: %v", err)
		}
		if len(items) > 0 && items[0]["type"] != nil {
			m = map[string]any{"shipper.inputs": items}
		} else {
			m = map[string]any{"processors": items}
		}
	case yaml.MappingNode:
		if err := top.Decode(&m); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("a scalar")
	}
	hasOutput, hasInputs := false, false
	for k := range m {
		if k == "output" || strings.HasPrefix(k, "output.") {
			hasOutput = true
		}
		if strings.HasSuffix(k, ".inputs") || k == "shipper" || k == "filebeat" {
			hasInputs = true
		}
	}
	if !hasOutput {
		m["output.console"] = map[string]any{}
	}
	if !hasInputs { // a block about processors or outputs: any input will do
		m["shipper.inputs"] = []any{map[string]any{"type": "filestream", "id": "readme", "paths": []any{filepath.Join(fx.dir, "*.log")}}}
	}
	if _, ok := m["path.data"]; !ok {
		m["path.data"] = data
	} else {
		m["path.data"] = data // the example's own (/var/lib/shipper) is not ours to write
	}
	fx.apply(m)
	return yaml.Marshal(m)
}

// fixes names the generated files standing in for the ones the examples
// name (/var/lib/GeoIP/…, /etc/shipper/ca.pem) where those do not exist.
type fixes struct{ cityDB, asnDB, caPEM, dir string }

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

func (fx fixes) apply(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok {
				x[k] = fx.file(s)
				continue
			}
			if l, ok := e.([]any); ok && strings.Contains(k, "certificate_authorities") {
				for i, s := range l {
					if s, ok := s.(string); ok {
						l[i] = fx.file(s)
					}
				}
				continue
			}
			fx.apply(e)
		}
	case []any:
		for _, e := range x {
			fx.apply(e)
		}
	case []map[string]any:
		for _, e := range x {
			fx.apply(e)
		}
	}
}

// file maps a missing GeoIP database or CA file to the generated one.
func (fx fixes) file(s string) string {
	if _, err := os.Stat(s); err == nil || !filepath.IsAbs(s) {
		return s
	}
	switch {
	case strings.HasSuffix(s, ".mmdb") && strings.Contains(strings.ToLower(s), "asn"):
		return fx.asnDB
	case strings.HasSuffix(s, ".mmdb"):
		return fx.cityDB
	case strings.HasSuffix(s, "ca.pem") || strings.HasSuffix(s, ".crt") && strings.Contains(s, "ca"):
		return fx.caPEM
	}
	return s
}

// writeTestCA writes a self-signed CA certificate in PEM.
func writeTestCA(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "readme CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
