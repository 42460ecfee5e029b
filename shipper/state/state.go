// Package state is the registry under path.data: the cursors of the inputs
// (file offsets, …), keyed by input id and resource.
//
// Cursors change in memory on every acknowledgement; the file is written at
// most once per flush interval (registry.flush, default 1 s, because flash
// storage on routers wears out) and on Close. A write is atomic: the whole
// registry goes to a temporary file that is fsynced and renamed over the old
// one, then the directory is fsynced. A crash or power loss at any point
// leaves either the previous or the new registry, never a torn one; the
// cursors lost are at most one flush interval of acknowledged events, which
// are then read again (at-least-once).
package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shipper-project/shipper/shipper/monitoring"
)

// FileName is the registry's file under path.data.
const FileName = "registry.json"

const version = 1

type fileFormat struct {
	Version int                        `json:"version"`
	Cursors map[string]json.RawMessage `json:"cursors"`
}

// Store holds the cursors.
type Store struct {
	dir   string
	flush time.Duration
	lock  *os.File

	writeMu sync.Mutex // serialises Flush
	mu      sync.Mutex
	cursors map[string]json.RawMessage
	dirty   bool
	kick    chan struct{}

	writes *monitoring.Counter
	bytes  *monitoring.Counter
	errs   *monitoring.Counter // failed writes (retried)
	// pause waits d or until ctx is done: the pause after a failed write.
	pause func(ctx context.Context, d time.Duration)
}

// The pause after a failed registry write doubles from minRetryPause up to
// maxRetryPause: a failing disk is retried, never in a loop.
const (
	minRetryPause = 100 * time.Millisecond
	maxRetryPause = 10 * time.Second
)

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Open loads the registry under dataDir, creating the directory, and takes
// an exclusive lock so that two shippers cannot share one path.data.
func Open(dataDir string, flush time.Duration, m *monitoring.Registry) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create path.data %s: %w", dataDir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dataDir, "shipper.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("path.data %s is in use by another shipper (lock %s): %w", dataDir, lock.Name(), err)
	}
	s := &Store{
		dir:     dataDir,
		flush:   flush,
		lock:    lock,
		cursors: map[string]json.RawMessage{},
		kick:    make(chan struct{}, 1),
		writes:  m.Counter("registry.writes"),
		bytes:   m.Counter("registry.bytes_written"),
		errs:    m.Counter("registry.write_errors"),
		pause:   sleepCtx,
	}
	b, err := os.ReadFile(s.path())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		s.Close()
		return nil, fmt.Errorf("read registry: %w", err)
	default:
		var f fileFormat
		if err := json.Unmarshal(b, &f); err != nil {
			s.Close()
			return nil, fmt.Errorf("registry %s is corrupt (%v); move it away to start over (inputs then re-read from their start position)", s.path(), err)
		}
		if f.Version != version {
			s.Close()
			return nil, fmt.Errorf("registry %s has version %d, this shipper reads version %d", s.path(), f.Version, version)
		}
		if f.Cursors != nil {
			s.cursors = f.Cursors
		}
	}
	return s, nil
}

func (s *Store) path() string { return filepath.Join(s.dir, FileName) }

// Get decodes the cursor under key into v. It reports whether one exists.
func (s *Store) Get(key string, v any) (bool, error) {
	s.mu.Lock()
	raw, ok := s.cursors[key]
	s.mu.Unlock()
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("registry entry %s: %w", key, err)
	}
	return true, nil
}

// Set stores v under key; it is written with the next flush. With a flush
// interval of 0 it is written before Set returns: the acknowledgement path
// then waits for the disk, and a crash re-reads at most the batch in flight.
func (s *Store) Set(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("registry entry %s: %w", key, err)
	}
	s.mu.Lock()
	s.cursors[key] = raw
	s.dirty = true
	s.mu.Unlock()
	if s.flush == 0 {
		return s.Flush()
	}
	s.signal()
	return nil
}

// Delete removes key.
func (s *Store) Delete(key string) {
	s.mu.Lock()
	if _, ok := s.cursors[key]; ok {
		delete(s.cursors, key)
		s.dirty = true
	}
	s.mu.Unlock()
	s.signal()
}

// Keys returns the keys starting with prefix, sorted.
func (s *Store) Keys(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.cursors {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Store) signal() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run writes changes at most once per flush interval until ctx is done, then
// writes a last time.
func (s *Store) Run(ctx context.Context) error {
	var last time.Time
	retry := minRetryPause
	for {
		select {
		case <-ctx.Done():
			return s.Flush()
		case <-s.kick:
		}
		if wait := s.flush - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return s.Flush()
			case <-t.C:
			}
		}
		if err := s.Flush(); err != nil {
			// The cursors stay in memory and dirty; the next flush retries
			// after a pause that grows while the writes fail. Nothing is
			// lost but progress on disk.
			s.errs.Inc()
			s.signal()
			s.pause(ctx, retry)
			retry = min(2*retry, maxRetryPause)
		} else {
			retry = minRetryPause
		}
		last = time.Now()
	}
}

// Flush writes the registry now if it changed.
func (s *Store) Flush() error {
	s.writeMu.Lock() // one writer at a time, in order
	defer s.writeMu.Unlock()
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	b, err := json.Marshal(fileFormat{Version: version, Cursors: s.cursors})
	s.dirty = false
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := writeAtomic(s.path(), b); err != nil {
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
		return fmt.Errorf("write registry: %w", err)
	}
	s.writes.Inc()
	s.bytes.Add(int64(len(b)))
	return nil
}

// Close flushes and releases the lock.
func (s *Store) Close() error {
	err := s.Flush()
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
	return err
}

// writeAtomic replaces path with b: temp file, fsync, rename, fsync dir.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
