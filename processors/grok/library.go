package grok

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/shipper-project/shipper/patterns"
)

// definition is one named pattern and where it was defined, so that an error
// can say "patterns/squid:12" or "pattern_definitions.MY_PATTERN".
type definition struct {
	expr   string
	origin string
}

// Library is a set of named pattern definitions: the stock patterns of
// vjeantet/grok, the bundled pattern files of patterns/, then files from
// patterns_dir, then pattern_definitions; a later definition of a name
// replaces an earlier one.
type Library struct {
	defs map[string]definition
}

// NewLibrary returns the stock and bundled patterns.
func NewLibrary() *Library {
	l := &Library{defs: make(map[string]definition, len(stockPatterns)+64)}
	for k, v := range stockPatterns {
		l.defs[k] = definition{expr: v, origin: "vjeantet/grok@" + stockVersion + " " + k}
	}
	for k, v := range rewrites {
		l.defs[k] = definition{expr: v.expr, origin: v.origin}
	}
	names, err := fs.Glob(patterns.FS, "*")
	if err != nil {
		panic(err) // a constant pattern: cannot fail
	}
	for _, n := range names {
		if n == "patterns.go" || strings.HasSuffix(n, "_test.go") {
			continue
		}
		data, err := fs.ReadFile(patterns.FS, n)
		if err != nil {
			continue // a directory such as testdata
		}
		if err := l.AddFile("patterns/"+n, data); err != nil {
			// The bundled files are tested; a bad one is a build error.
			panic(err)
		}
	}
	return l
}

// rewrites replace stock definitions. Each states why.
var rewrites = map[string]definition{
	// The zone of an IPv6 address ("fe80::1%eth0") is written (%.+)? in
	// the stock pattern (and in Logstash's): it may run over spaces into
	// the rest of the line. Zone ids are interface names, without blanks;
	// (%\S+)? keeps %{IP} within one token, which lets the split fast path
	// apply to patterns that contain it (fastpath.go).
	"IPV6": {
		expr:   strings.Replace(stockPatterns["IPV6"], `(%.+)?`, `(%\S+)?`, 1),
		origin: "processors/grok/library.go (stock IPV6, zone limited to non-blanks)",
	},
}

// AddFile adds the definitions of a pattern file in Logstash's format: one
// "NAME regexp" per line, blank lines and "#" comments ignored. name is used
// in errors ("patterns/squid:12: …").
func (l *Library) AddFile(name string, data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		i := strings.IndexAny(trimmed, " \t")
		if i < 0 {
			return fmt.Errorf("%s:%d: want \"NAME regexp\", got %q", name, n, trimmed)
		}
		k, v := trimmed[:i], strings.TrimLeft(trimmed[i:], " \t")
		if !validName(k) {
			return fmt.Errorf("%s:%d: invalid pattern name %q (letters, digits, _ . -)", name, n, k)
		}
		l.defs[k] = definition{expr: v, origin: fmt.Sprintf("%s:%d", name, n)}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// AddDir adds every file of dir (not recursing), in name order, like
// Logstash's patterns_dir. A path naming a file adds that file.
func (l *Library) AddDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	files := []string{dir}
	if fi.IsDir() {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		files = files[:0]
		for _, e := range ents {
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := l.AddFile(f, data); err != nil {
			return err
		}
	}
	return nil
}

// Add defines one pattern; origin names it in errors.
func (l *Library) Add(name, expr, origin string) error {
	if !validName(name) {
		return fmt.Errorf("%s: invalid pattern name %q (letters, digits, _ . -)", origin, name)
	}
	l.defs[name] = definition{expr: expr, origin: origin}
	return nil
}

// Lookup returns the definition of name.
func (l *Library) Lookup(name string) (expr, origin string, ok bool) {
	d, ok := l.defs[name]
	return d.expr, d.origin, ok
}

// Names returns every defined name, sorted.
func (l *Library) Names() []string {
	out := make([]string, 0, len(l.defs))
	for k := range l.defs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Origin returns where name was defined ("patterns/squid:12").
func (l *Library) Origin(name string) string { return l.defs[name].origin }

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
