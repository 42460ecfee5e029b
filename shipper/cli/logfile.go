package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/shipper-project/shipper/shipper/config"
)

// logFiles is logging.to_files: the log goes to <path>/<name>, rotated to
// <name>.1 … <name>.<keepfiles-1> when it reaches rotateeverybytes (Filebeat
// 7's scheme; Filebeat 8 adds a date to the name). Off by default, unlike
// Filebeat: a router's flash wears out, and the journal already keeps the
// log (stderr).
type logFiles struct {
	mu    sync.Mutex
	dir   string
	name  string
	max   int64
	keep  int
	perm  os.FileMode
	f     *os.File
	size  int64
	erred bool
}

// openLogFiles opens the current log file under logging.files.path, by
// default path.logs (path.home/logs, as in Beats).
func openLogFiles(cfg *config.Config) (*logFiles, error) {
	fc := cfg.Logging.Files
	dir := fc.Path
	if dir == "" {
		dir = cfg.Path.Logs
	}
	if dir == "" {
		dir = "logs"
	}
	if !filepath.IsAbs(dir) && cfg.Path.Home != "" {
		dir = filepath.Join(cfg.Path.Home, dir)
	}
	perm, _ := strconv.ParseUint(fc.Permissions, 8, 32) // checked by the loader
	l := &logFiles{dir: dir, name: fc.Name, max: int64(fc.RotateEveryBytes), keep: fc.KeepFiles, perm: os.FileMode(perm)}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("logging.to_files: create %s: %w", dir, err)
	}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *logFiles) path(i int) string {
	p := filepath.Join(l.dir, l.name)
	if i > 0 {
		p += "." + strconv.Itoa(i)
	}
	return p
}

func (l *logFiles) open() error {
	f, err := os.OpenFile(l.path(0), os.O_CREATE|os.O_WRONLY|os.O_APPEND, l.perm)
	if err != nil {
		return fmt.Errorf("logging.to_files: open %s: %w", l.path(0), err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("logging.to_files: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Write writes one log record; a record never straddles two files.
func (l *logFiles) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil && l.size > 0 && l.size+int64(len(p)) > l.max {
		l.rotate()
	}
	if l.f == nil {
		if err := l.open(); err != nil {
			if !l.erred { // once, on stderr: the log itself is what failed
				l.erred = true
				fmt.Fprintln(os.Stderr, "error:", err)
			}
			return len(p), nil
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// rotate shifts name.N-1 → name.N … name → name.1, dropping the oldest.
func (l *logFiles) rotate() {
	l.f.Close()
	l.f = nil
	os.Remove(l.path(l.keep - 1))
	for i := l.keep - 2; i >= 0; i-- {
		os.Rename(l.path(i), l.path(i+1))
	}
}

// Close closes the current file.
func (l *logFiles) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
