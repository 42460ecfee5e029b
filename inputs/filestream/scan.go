package filestream

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// recursiveGlobDepth is how many directory levels `**` stands for, as in
// Filebeat (filestream.RecursiveGlobDepth).
const recursiveGlobDepth = 8

// globPatterns expands one `**` path element into the patterns for 0 to
// 8 directory levels (Filebeat's file.GlobPatterns); without `**` the
// path is its own only pattern.
func globPatterns(path string) ([]string, error) {
	parts := strings.Split(path, string(filepath.Separator))
	at := -1
	for i, p := range parts {
		if p == "**" {
			if at >= 0 {
				return nil, fmt.Errorf("more than one ** in %q", path)
			}
			at = i
		}
	}
	if at < 0 {
		return []string{path}, nil
	}
	out := make([]string, 0, recursiveGlobDepth+1)
	for d := 0; d <= recursiveGlobDepth; d++ {
		p := append(append(append([]string(nil), parts[:at]...), repeat("*", d)...), parts[at+1:]...)
		out = append(out, strings.Join(p, string(filepath.Separator)))
	}
	return out, nil
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// globs are the patterns scanned: paths, with `**` expanded when
// prospector.scanner.recursive_glob is on.
func (c *Config) globs() ([]string, error) {
	if !c.Prospector.Scanner.RecursiveGlob {
		return c.Paths, nil
	}
	var out []string
	for _, p := range c.Paths {
		ps, err := globPatterns(p)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// matches returns the regular files the globs name now, minus exclusions
// and (unless prospector.scanner.symlinks) symlinks.
func (in *Input) matches() []string {
	seen := map[string]bool{}
	var out []string
	for _, g := range in.globs {
		files, _ := filepath.Glob(g)
		for _, f := range files {
			if seen[f] || in.cfg.excluded(f) {
				continue
			}
			seen[f] = true
			if !in.cfg.Prospector.Scanner.Symlinks {
				if fi, err := os.Lstat(f); err == nil && fi.Mode()&os.ModeSymlink != 0 {
					in.warnSymlink(f)
					continue
				}
			}
			out = append(out, f)
		}
	}
	return out
}

// warnSymlink says once per path that a symlink was left out: Filebeat
// skips them silently, which looks like data loss.
func (in *Input) warnSymlink(path string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.symlinksSeen[path] {
		return
	}
	if in.symlinksSeen == nil {
		in.symlinksSeen = map[string]bool{}
	}
	in.symlinksSeen[path] = true
	in.log.Warn("symlink not read (prospector.scanner.symlinks: false, as in Filebeat); set it to true to read it", "path", path)
}

// setInactiveFrom computes ignore_inactive's limit: the start of this
// process (since_last_start) or the first start of this input, kept in the
// registry (since_first_start).
func (in *Input) setInactiveFrom() error {
	now := time.Now()
	switch in.cfg.IgnoreInactive {
	case "since_last_start":
		in.inactiveFrom = now
	case "since_first_start":
		in.inactiveFrom = now
		if in.store == nil {
			return nil
		}
		key := "filestream-first-start::" + in.env.ID
		var first time.Time
		if ok, _ := in.store.Get(key, &first); ok && !first.IsZero() {
			in.inactiveFrom = first
			return nil
		}
		if err := in.store.Set(key, now.UTC()); err != nil {
			return fmt.Errorf("ignore_inactive: record the first start: %w", err)
		}
	}
	return nil
}
