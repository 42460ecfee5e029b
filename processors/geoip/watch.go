package geoip

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// reloadDelay is how long the watcher waits after the last notification for
// a database file before reloading it: an in-place copy sends many writes.
const reloadDelay = 250 * time.Millisecond

// watcher reloads the databases when their files are replaced. It watches
// the directories, not the files: geoipupdate writes a temporary file and
// renames it over the database, which a watch on the old file (inode) never
// sees. A periodic stat (check_interval) catches what notifications miss:
// symlinked paths, bind mounts, network filesystems, or no inotify at all.
type watcher struct {
	s      *dbSet
	fsw    *fsnotify.Watcher // nil when notifications are unavailable
	paths  map[string]bool   // absolute database paths
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	// Owned by the run goroutine: the identity of a file whose load failed,
	// so that a broken file is reported once, not every check_interval.
	failed map[string]fs.FileInfo
}

func startWatcher(s *dbSet) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{s: s, paths: map[string]bool{}, cancel: cancel, failed: map[string]fs.FileInfo{}}
	dirs := map[string]bool{}
	for _, path := range []string{s.cfg.Database, s.cfg.ASNDatabase} {
		if path != "" {
			a := absPath(path)
			w.paths[a] = true
			dirs[filepath.Dir(a)] = true
		}
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		s.log.Warn("geoip: file notifications unavailable, relying on check_interval to notice a new database",
			"error", err, "check_interval_seconds", s.cfg.CheckInterval.Seconds())
	} else {
		for d := range dirs {
			if err := fsw.Add(d); err != nil {
				s.log.Warn("geoip: cannot watch database directory, relying on check_interval",
					"dir", d, "error", err, "check_interval_seconds", s.cfg.CheckInterval.Seconds())
			}
		}
		w.fsw = fsw
	}
	w.wg.Go(func() { w.run(ctx) })
	return w
}

func (w *watcher) stop() {
	if w == nil {
		return
	}
	w.once.Do(func() {
		w.cancel()
		w.wg.Wait()
		if w.fsw != nil {
			w.fsw.Close()
		}
	})
}

func (w *watcher) run(ctx context.Context) {
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w.fsw != nil {
		events, errs = w.fsw.Events, w.fsw.Errors
	}
	var tick <-chan time.Time
	if iv := w.s.cfg.CheckInterval; iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		tick = t.C
	}
	delay := time.NewTimer(time.Hour)
	delay.Stop()
	defer delay.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if w.paths[filepath.Clean(ev.Name)] && ev.Op != fsnotify.Chmod {
				delay.Reset(reloadDelay)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			w.s.log.Warn("geoip: file notification error, relying on check_interval", "error", err)
		case <-delay.C:
			w.check(time.Now())
		case now := <-tick:
			w.check(now)
		}
	}
}

// check reloads every database whose file changed, and refreshes the age
// gauges.
func (w *watcher) check(now time.Time) {
	s := w.s
	s.mu.RLock()
	dbs := []*database{s.city, s.asn}
	s.mu.RUnlock()
	for _, d := range dbs {
		if d == nil {
			continue
		}
		if nd := w.reload(d); nd != nil {
			d = nd
		}
		age := int64(now.Sub(d.built) / time.Second)
		s.each(func(p *Processor) { p.ageGauge(d).Set(age) })
	}
}

// reload loads d's file again if it was replaced, and returns the new
// database, or nil when nothing changed or the new file is bad (then the
// loaded one stays in use).
func (w *watcher) reload(d *database) *database {
	s := w.s
	fi, err := os.Stat(d.path)
	if err != nil {
		// Between geoipupdate's steps, or removed: keep what we have.
		if w.failed[d.path] == nil {
			s.log.Warn("geoip database file is gone, keeping the loaded one", "path", d.path, "error", err)
			w.failed[d.path] = missing{}
		}
		return nil
	}
	if _, gone := w.failed[d.path].(missing); gone {
		delete(w.failed, d.path) // back: report a later disappearance again
	}
	if sameFile(fi, d.fi) || sameFile(fi, w.failed[d.path]) {
		return nil
	}
	nd, err := openDatabase(d.path, d.kind, s.stamps)
	if err != nil {
		w.failed[d.path] = fi
		s.each(func(p *Processor) { p.reloadErrors.Inc() })
		s.log.Error("geoip database reload failed, keeping the loaded one", "path", d.path, "error", err,
			"loaded_build_time", d.built.Format(time.RFC3339))
		return nil
	}
	delete(w.failed, d.path)
	s.mu.Lock()
	if s.city == nil { // closed meanwhile
		s.mu.Unlock()
		nd.close()
		return nil
	}
	if d.kind == kindASN {
		s.asn = nd
	} else {
		s.city = nd
	}
	for _, p := range s.users {
		p.cache.purge()
		p.records.purge()
	}
	s.mu.Unlock()
	// No lookup holds d any more: they run under s.mu.RLock.
	d.close()
	s.each(func(p *Processor) { p.reloads.Inc() })
	s.log.Info("geoip database reloaded", "path", nd.path, "type", nd.typ, "build_time", nd.built.Format(time.RFC3339))
	s.checkAge(nd, time.Now())
	return nd
}

// missing stands for "the file was absent" in watcher.failed; it matches no
// real file, so the file's return triggers a reload.
type missing struct{ fs.FileInfo }
