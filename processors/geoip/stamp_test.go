package geoip

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/geoip/geoiptest"
	"github.com/shipper-project/shipper/shipper/config"
)

// stampEnv is a testEnv whose processors keep their stamps in a path.data.
func stampEnv(t *testing.T) (*testEnv, Config, string) {
	env := newTestEnv(t)
	cfg := env.config()
	cfg.DataPath = filepath.Join(env.dir, "data")
	if err := os.Mkdir(cfg.DataPath, 0o700); err != nil {
		t.Fatal(err)
	}
	return env, cfg, filepath.Join(cfg.DataPath, stampFile)
}

// stamped reports whether p's databases were opened on a stamp (City,
// ASN).
func stamped(p *Processor) [2]bool {
	p.dbs.mu.RLock()
	defer p.dbs.mu.RUnlock()
	return [2]bool{p.dbs.city.stamped, p.dbs.asn.stamped}
}

// A database that passed the check is not checked again at the next start
// (its SHA-256 is in path.data/geoip.verified, mode 0600), and answers the
// same.
func TestStampSkipsCheck(t *testing.T) {
	env, cfg, stampPath := stampEnv(t)
	p := env.open(cfg)
	if got := stamped(p); got != [2]bool{} {
		t.Errorf("first open: stamped = %v, want both checked", got)
	}
	fi, err := os.Stat(stampPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", stampPath, fi.Mode().Perm())
	}
	q := env.open(cfg)
	if got := stamped(q); got != [2]bool{true, true} {
		t.Errorf("second open: stamped = %v, want both from the stamp", got)
	}
	if e := run(t, q, "81.2.69.160"); !cmp.Equal(fieldMap(e), london) {
		t.Errorf("opened on a stamp: %v, want %v", fieldMap(e), london)
	}
	// Without path.data, the check runs every time.
	cfg.DataPath = ""
	if got := stamped(env.open(cfg)); got != [2]bool{} {
		t.Errorf("without path.data: stamped = %v", got)
	}
}

// A file changed after it was stamped, by one byte with the same size,
// inode and mtime, is checked again: the flipped length is refused.
func TestStampChangedFileChecked(t *testing.T) {
	for name, flip := range map[string]struct {
		pattern []byte
		b       byte
	}{
		"huge array length": {oneElementArray, 0x1F},
		"huge map length":   {twoKeyMap, 0xFF},
	} {
		t.Run(name, func(t *testing.T) {
			env, cfg, _ := stampEnv(t)
			good, err := os.ReadFile(env.city)
			if err != nil {
				t.Fatal(err)
			}
			env.open(cfg) // stamps the good file
			before, err := os.Stat(env.city)
			if err != nil {
				t.Fatal(err)
			}
			bad := corrupt(t, good, flip.pattern, flip.b)
			f, err := os.OpenFile(env.city, os.O_WRONLY, 0) // in place: same inode
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt(bad, 0); err != nil {
				t.Fatal(err)
			}
			f.Close()
			if err := os.Chtimes(env.city, before.ModTime(), before.ModTime()); err != nil {
				t.Fatal(err)
			}
			if after, _ := os.Stat(env.city); !sameFile(before, after) {
				t.Fatalf("the changed file does not look the same: %v %v", before, after)
			}
			p, err := New(cfg, env.penv())
			if err == nil {
				p.Close()
				t.Fatalf("New over the changed file succeeded, want the check's error")
			}
			if !strings.Contains(err.Error(), "not a valid MaxMind DB file") || !strings.Contains(err.Error(), "claims") {
				t.Errorf("New over the changed file: %v", err)
			}
		})
	}
}

// A stamp file that is not to be trusted, or not usable, never lets a file
// through unchecked, and never fails the start.
func TestStampFileUnusable(t *testing.T) {
	f := func(name string, prepare func(env *testEnv, cfg *Config, stampPath string)) {
		t.Run(name, func(t *testing.T) {
			env, cfg, stampPath := stampEnv(t)
			prepare(env, &cfg, stampPath)
			p, err := New(cfg, env.penv())
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer p.Close()
			if got := stamped(p); got != [2]bool{} {
				t.Errorf("stamped = %v, want both checked", got)
			}
			if e := run(t, p, "81.2.69.160"); !cmp.Equal(fieldMap(e), london) {
				t.Errorf("lookup: %v", fieldMap(e))
			}
		})
	}
	// good is the stamp file a previous start wrote for env's files.
	good := func(env *testEnv, cfg Config, stampPath string) []byte {
		env.open(cfg)
		b, err := os.ReadFile(stampPath)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	write := func(path string, b []byte, mode os.FileMode) {
		if err := os.WriteFile(path, b, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	f("garbage", func(env *testEnv, cfg *Config, sp string) {
		write(sp, []byte("\x00\xffnot a stamp\ncheck-v1 zz 12 \"x\"\n"), 0o600)
	})
	f("hashes cut short", func(env *testEnv, cfg *Config, sp string) {
		var lines []string
		for _, l := range strings.Split(string(good(env, *cfg, sp)), "\n") {
			lines = append(lines, l[:min(len(l), 40)])
		}
		write(sp, []byte(strings.Join(lines, "\n")), 0o600)
	})
	f("one hash changed", func(env *testEnv, cfg *Config, sp string) {
		var lines []string
		for _, l := range strings.Split(string(good(env, *cfg, sp)), "\n") {
			if st, ok := parseStamp(l); ok {
				st.sum[7] ^= 1
				l = st.String()
			}
			lines = append(lines, l)
		}
		write(sp, []byte(strings.Join(lines, "\n")), 0o600)
	})
	f("another check version", func(env *testEnv, cfg *Config, sp string) {
		write(sp, []byte(strings.ReplaceAll(string(good(env, *cfg, sp)), checkVersion+" ", "check-v0 ")), 0o600)
	})
	f("wrong size", func(env *testEnv, cfg *Config, sp string) {
		var lines []string
		for _, l := range strings.Split(string(good(env, *cfg, sp)), "\n") {
			if st, ok := parseStamp(l); ok {
				st.size++
				l = st.String()
			}
			lines = append(lines, l)
		}
		write(sp, []byte(strings.Join(lines, "\n")), 0o600)
	})
	f("writable by others", func(env *testEnv, cfg *Config, sp string) {
		write(sp, good(env, *cfg, sp), 0o666)
	})
	f("a directory", func(env *testEnv, cfg *Config, sp string) {
		if err := os.Mkdir(sp, 0o700); err != nil {
			t.Fatal(err)
		}
	})
	f("path.data missing", func(env *testEnv, cfg *Config, sp string) {
		cfg.DataPath = filepath.Join(env.dir, "nonexistent")
	})
	f("path.data a file", func(env *testEnv, cfg *Config, sp string) {
		cfg.DataPath = env.city
	})
}

// A stamp that cannot be written is logged, and the next start checks
// again.
func TestStampUnwritable(t *testing.T) {
	env, cfg, stampPath := stampEnv(t)
	if err := os.Mkdir(stampPath, 0o700); err != nil { // the rename over it fails
		t.Fatal(err)
	}
	env.open(cfg)
	if !strings.Contains(env.logs.String(), "cannot record the verified database") {
		t.Errorf("no warning; log:\n%s", env.logs)
	}
	if got := stamped(env.open(cfg)); got != [2]bool{} {
		t.Errorf("stamped = %v after a failed write", got)
	}
	left, _ := filepath.Glob(filepath.Join(cfg.DataPath, "*.tmp"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// A reloaded database is stamped too, and the stamp file keeps the earlier
// files: switching back to one of them is not checked again.
func TestStampReload(t *testing.T) {
	env, cfg, stampPath := stampEnv(t)
	cfg.CheckInterval = 0
	p := env.open(cfg)
	old, err := os.ReadFile(env.city)
	if err != nil {
		t.Fatal(err)
	}
	moved := geoiptest.Cities()[1]
	moved.Network = "81.2.69.0/24"
	env.writeCity(geoiptest.Options{}, moved)
	env.waitFor("reload", func() bool {
		c, _ := run(t, p, "81.2.69.160").Fields.GetString("destination.geo.country_iso_code")
		return c == "SE"
	})
	if got := stamped(p); got != [2]bool{} {
		t.Errorf("reloaded a new file: stamped = %v, want checked", got)
	}
	b, _ := os.ReadFile(stampPath)
	if n := strings.Count(string(b), checkVersion+" "); n != 3 {
		t.Errorf("stamp file has %d stamps, want 3 (two City files, one ASN):\n%s", n, b)
	}
	env.replace(env.city, old)
	env.waitFor("reload of the first file", func() bool {
		c, _ := run(t, p, "81.2.69.160").Fields.GetString("destination.geo.country_iso_code")
		return c == "GB"
	})
	if got := stamped(p); got != [2]bool{true, false} {
		t.Errorf("reloaded a stamped file: stamped = %v, want City from the stamp", got)
	}
}

// The stamp file keeps the newest maxStamps files.
func TestStampBounded(t *testing.T) {
	st := newStamps(t.TempDir(), nil)
	for i := range maxStamps + 5 {
		st.record(sha256.Sum256([]byte{byte(i)}), int64(i+1), "f")
	}
	got := st.read()
	if len(got) != maxStamps {
		t.Fatalf("%d stamps, want %d", len(got), maxStamps)
	}
	if !st.verified(sha256.Sum256([]byte{maxStamps + 4}), maxStamps+5) || st.verified(sha256.Sum256([]byte{0}), 1) {
		t.Errorf("kept the wrong stamps: %v", got)
	}
}

// FuzzParseStamp: no panic; a line that parses prints back to itself.
func FuzzParseStamp(f *testing.F) {
	st := stamp{sum: sha256.Sum256([]byte("x")), size: 65886987, path: "/var/lib/GeoIP/GeoLite2-City.mmdb"}
	f.Add(st.String())
	f.Add(checkVersion + " 00 1 \"\"")
	f.Add("# comment")
	f.Fuzz(func(t *testing.T, line string) {
		st, ok := parseStamp(line)
		if !ok {
			return
		}
		again, ok := parseStamp(st.String())
		if !ok || again != st {
			t.Errorf("parseStamp(%q) = %+v; its String() %q parses to %+v, %v", line, st, st.String(), again, ok)
		}
	})
}

// The inputs' processors (ForSides) keep their stamps under the DataPath
// the input passes, and share one open: one stamp per file.
func TestStampForSides(t *testing.T) {
	env, cfg, stampPath := stampEnv(t)
	ps, err := ForSides(Sides{Database: env.city, DataPath: cfg.DataPath}, []string{"source", "destination"}, nil, nil, "input.t")
	if err != nil {
		t.Fatal(err)
	}
	Close(ps)
	b, err := os.ReadFile(stampPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), checkVersion+" "); n != 1 {
		t.Errorf("stamp file has %d stamps, want 1:\n%s", n, b)
	}
	ps, err = ForSides(Sides{Database: env.city, DataPath: cfg.DataPath}, []string{"source", "destination"}, nil, nil, "input.t")
	if err != nil {
		t.Fatal(err)
	}
	defer Close(ps)
	if !ps[1].dbs.city.stamped {
		t.Errorf("second ForSides checked the file again")
	}
}

// A geoip processor in a processors list (global or an input's) keeps its
// stamps in the path.data the runner passes in processors.Env, as the
// inputs' do: a restart does not check the database again. Before
// path.data exists (the global processors are built before it is made on
// the first start) nothing is recorded and nothing is warned.
func TestStampProcessorsList(t *testing.T) {
	env, cfg, stampPath := stampEnv(t)
	build := func(dataPath string) *Processor {
		t.Helper()
		root, err := config.Parse([]byte("processors:\n  - geoip: {field: destination.ip, database: "+env.city+"}\n"), "shipper.yml", nil)
		if err != nil {
			t.Fatal(err)
		}
		pe := env.penv()
		pe.DataPath = dataPath
		ps, err := processors.Build([]config.Section{{Node: root.Content[1].Content[0], File: "shipper.yml", Path: "processors[0]"}}, pe)
		if err != nil || len(ps) != 1 {
			t.Fatalf("Build: %v, %d processors", err, len(ps))
		}
		p := ps[0].(*Processor)
		t.Cleanup(func() { p.Close() })
		return p
	}
	cityStamped := func(p *Processor) bool {
		p.dbs.mu.RLock()
		defer p.dbs.mu.RUnlock()
		return p.dbs.city.stamped
	}
	if cityStamped(build(cfg.DataPath)) {
		t.Errorf("first build: opened on a stamp")
	}
	if _, err := os.Stat(stampPath); err != nil {
		t.Fatalf("no stamp file after the first build: %v", err)
	}
	if !cityStamped(build(cfg.DataPath)) {
		t.Errorf("second build: the database was checked again")
	}
	before := len(env.logs.String())
	missing := filepath.Join(env.dir, "not-yet")
	if cityStamped(build(missing)) {
		t.Errorf("with a path.data not made yet: opened on a stamp")
	}
	for _, l := range strings.Split(env.logs.String()[before:], "\n") {
		if strings.Contains(l, "cannot record") && !strings.Contains(l, "level=DEBUG") {
			t.Errorf("a path.data not made yet was warned about: %s", l)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the processor made path.data: %v", err)
	}
}
