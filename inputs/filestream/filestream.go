// Package filestream is the tail engine shared by every file-based input
// (squid, snort, sysstat text files, …) and an input of its own,
// `type: filestream`, for any line-oriented file.
//
// A prospector finds files by glob (on fsnotify events and every
// prospector.scanner.check_interval, because inotify misses events on some
// filesystems and on overflow) and runs one harvester per file. A harvester
// reads complete lines from its offset, turns each into an event through the
// plugin's Parser, and publishes it. The file's cursor (the offset after the
// last acknowledged line) is stored in shipper/state only when the pipeline
// acknowledges the events, so a crash re-reads, never skips.
package filestream

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/fsnotify/fsnotify"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
	"github.com/shipper-project/shipper/shipper/state"
)

//go:embed fields.yml
var fieldsYAML []byte

// Fields is the catalog of the fields every file-based input emits.
var Fields = fieldsYAML

func init() {
	inputs.Register(inputs.Plugin{Name: "filestream", Factory: factory, Fields: fieldsYAML})
}

// Parser turns the lines of ONE file into events; it is called sequentially
// for that file's lines.
type Parser interface {
	// Parse fills e from line (no trailing newline). e already holds
	// message (the line), log.file.path and log.offset. keep=false: the line
	// is not an event (a header, a blank line), nothing is published. An
	// error keeps the event with its message; the parser tags it.
	Parse(line []byte, e *event.Event) (keep bool, err error)
}

// NewParser returns the parser for the file at path.
type NewParser func(path string) Parser

type plainParser struct{}

func (plainParser) Parse([]byte, *event.Event) (bool, error) { return true, nil }

func factory(sec config.Section, env inputs.Env) (inputs.Input, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg, inputs.CommonKeys...); err != nil {
		return nil, err
	}
	in, err := New(cfg, env, func(string) Parser { return plainParser{} })
	if err != nil {
		return nil, err
	}
	// Filebeat's filestream drops empty messages (reader.Message.IsEmpty);
	// the plugins see every line (blank lines separate sysstat samples).
	in.dropEmpty = true
	return in, nil
}

// Input tails the files of one input.
type Input struct {
	cfg       Config
	env       inputs.Env
	newParser NewParser
	log       *slog.Logger
	store     *state.Store
	// events recycles the harvesters' events: the pipeline returns them
	// once acknowledged (harvester.publish does not touch an event after
	// Publish took it).
	events *event.Pool

	mu         sync.Mutex
	harvesters map[string]*harvester // by file identity
	inodes     map[string]*harvester // fingerprint identity: by device+inode
	readTo     map[string]readPos    // identity → where its harvester stopped
	limit      chan struct{}         // harvester_limit tokens (nil: unlimited)

	globs        []string        // paths with ** expanded
	symlinksSeen map[string]bool // symlinks already warned about
	dropEmpty    bool            // type filestream: empty messages are not events
	inactiveFrom time.Time       // ignore_inactive: files older than this are skipped

	lines, truncatedLines, filesOpened, filesTruncated *monitoring.Counter
	bytesRead, openFiles, linesFiltered                *monitoring.Counter
}

var (
	_ inputs.Input    = (*Input)(nil)
	_ inputs.Cursorer = (*Input)(nil)
)

// New builds a tailing input; the plugin supplies the line parser.
func New(cfg Config, env inputs.Env, newParser NewParser) (*Input, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if env.ID == "" {
		return nil, errors.New("id: a file input needs an id (it keys the registry)")
	}
	if env.Log == nil {
		env.Log = slog.New(slog.DiscardHandler)
	}
	in := &Input{
		cfg: cfg, env: env, newParser: newParser, log: env.Log, store: env.Store,
		// 48: a squid event enriched by GeoIP holds up to 45 fields with
		// the static ones (agent.*, host.name, …); from 40 its field slice
		// was grown (copied into a new 2.7 KB one) by the pipeline for
		// every event the pool had to make, a fifth of the bytes allocated
		// with GeoIP on (issue 17).
		events:         event.NewPool(48),
		harvesters:     map[string]*harvester{},
		inodes:         map[string]*harvester{},
		readTo:         map[string]readPos{},
		lines:          env.Metrics.Counter(env.Name + ".lines"),
		truncatedLines: env.Metrics.Counter(env.Name + ".lines_truncated"),
		filesOpened:    env.Metrics.Counter(env.Name + ".files.opened"),
		filesTruncated: env.Metrics.Counter(env.Name + ".files.truncated"),
		bytesRead:      env.Metrics.Counter(env.Name + ".bytes"),
		openFiles:      env.Metrics.Counter(env.Name + ".files.open"),
		linesFiltered:  env.Metrics.Counter(env.Name + ".lines_filtered"),
	}
	in.globs, _ = cfg.globs() // checked by Validate
	if err := in.setInactiveFrom(); err != nil {
		return nil, err
	}
	if cfg.HarvesterLim > 0 {
		in.limit = make(chan struct{}, cfg.HarvesterLim)
	}
	return in, nil
}

// cursor is what the registry keeps per file.
type cursor struct {
	Offset  int64     `json:"offset"`
	Path    string    `json:"path"`
	Updated time.Time `json:"updated"`
	// Head is, for a provisional identity, the hash of the file's bytes
	// before Offset: an inode reused by another file does not match it.
	Head string `json:"head,omitempty"`
}

// readPos is where a harvester stopped; head as in cursor.
type readPos struct {
	off  int64
	head string
}

// ackPoint is the Private value of each event (a pointer into the
// harvester's acks): the offset just after its line in one file.
type ackPoint struct {
	h   *harvester
	end int64
	id  lazyID // the event's _id, when it is rendered on demand
}

// ACKed advances the cursors of acknowledged lines (called in publish order).
func (in *Input) ACKed(privs []any) {
	// One harvester's run of lines moves its cursor to the run's last one.
	var last *harvester
	var end int64
	for _, p := range privs {
		ap, ok := p.(*ackPoint)
		if !ok {
			continue
		}
		if last != nil && last != ap.h {
			in.ackTo(last, end)
		}
		last, end = ap.h, ap.end
	}
	if last != nil {
		in.ackTo(last, end)
	}
}

// ackTo records that h's lines up to end are acknowledged and commits it.
func (in *Input) ackTo(h *harvester, end int64) {
	h.mu.Lock()
	h.acked = end
	h.mu.Unlock()
	in.commit(h)
}

func (in *Input) commit(h *harvester) {
	if in.store == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c := cursor{Offset: h.acked, Path: h.path, Updated: time.Now().UTC()}
	if h.provisional {
		c.Head = headSum(h.head, h.acked)
	}
	_ = in.store.Set(h.key, c)
}

func (in *Input) stateKey(ident string) string {
	return "filestream::" + in.env.ID + "::" + ident
}

// identity returns the file's identity string for the configured mode; ok
// is false when it cannot be known (an unreadable file).
func (in *Input) identity(path string, fi os.FileInfo) (string, bool) {
	switch in.cfg.FileIdentity {
	case "path":
		return "path::" + path, true
	case "fingerprint":
		if fi.Size() < in.fpEnd() {
			// Too short for a fingerprint (a rotated log starts small, or
			// empty): read it under its inode until it grows, then adopt
			// the fingerprint (issue 18). The cursor's Head tells a reused
			// inode apart.
			ino, ok := inode(fi)
			if !ok {
				return "", false
			}
			return provisional + ino, true
		}
		f, err := os.Open(path)
		if err != nil {
			return "", false
		}
		defer f.Close()
		return in.fingerprint(f, fi.Size())
	}
	if ino, ok := inode(fi); ok {
		return "native::" + ino, true
	}
	return "path::" + path, true
}

// provisional prefixes the identity of a file too short for a fingerprint.
const provisional = "provisional::"

// inode returns "device-inode" of a file.
func inode(fi os.FileInfo) (string, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return strconv.FormatUint(uint64(st.Dev), 10) + "-" + strconv.FormatUint(st.Ino, 10), true
	}
	return "", false
}

// fpEnd is the size from which a file has a fingerprint.
func (in *Input) fpEnd() int64 {
	fp := in.cfg.Prospector.Scanner.Fingerprint
	return fp.Offset + fp.Length
}

// headSum hashes the first n bytes of head ("" when it holds fewer).
func headSum(head []byte, n int64) string {
	if n < 0 || n > int64(len(head)) {
		return ""
	}
	b := head[:n]
	return strconv.FormatUint(uint64(crc32.Checksum(b, castagnoli))<<32|uint64(crc32.ChecksumIEEE(b)), 36)
}

// sameHead reports whether the first n bytes of f hash to want. Such a
// cursor lies in the first bytes of a file (it was saved while the file was
// shorter than its fingerprint, give or take one read).
func sameHead(f io.ReaderAt, n int64, want string) bool {
	if want == "" || n < 0 {
		return false
	}
	c, ieee := crc32.New(castagnoli), crc32.NewIEEE()
	if m, err := io.Copy(io.MultiWriter(c, ieee), io.NewSectionReader(f, 0, n)); err != nil || m != n {
		return false
	}
	return strconv.FormatUint(uint64(c.Sum32())<<32|uint64(ieee.Sum32()), 36) == want
}

// fingerprint hashes the configured byte range of f.
func (in *Input) fingerprint(f io.ReaderAt, size int64) (string, bool) {
	fp := in.cfg.Prospector.Scanner.Fingerprint
	if size < fp.Offset+fp.Length {
		return "", false
	}
	buf := make([]byte, fp.Length)
	if _, err := f.ReadAt(buf, fp.Offset); err != nil {
		return "", false
	}
	sum := sha256.Sum256(buf)
	return "fingerprint::" + hex.EncodeToString(sum[:]), true
}

// Run tails until ctx is done (or, with Once, until every file is read).
func (in *Input) Run(ctx context.Context, out pipeline.Client) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	if in.env.Once {
		in.scan(ctx, out, &wg)
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		in.log.Warn("fsnotify unavailable, polling only", "error", err)
	} else {
		defer watcher.Close()
		dirs := map[string]bool{}
		for _, p := range in.globs {
			if d := filepath.Dir(p); !strings.ContainsAny(d, "*?[") {
				dirs[d] = true // globbed directories are polled
			}
		}
		for d := range dirs {
			if err := watcher.Add(d); err != nil {
				in.log.Warn("cannot watch directory, polling it", "dir", d, "error", err)
			}
		}
	}
	var events <-chan fsnotify.Event
	var errs <-chan error
	if watcher != nil {
		events, errs = watcher.Events, watcher.Errors
	}
	tick := time.NewTicker(in.cfg.Prospector.Scanner.CheckInterval)
	defer tick.Stop()
	in.scan(ctx, out, &wg)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			in.scan(ctx, out, &wg)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Has(fsnotify.Write) {
				in.wake(ev.Name)
			}
			if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Remove) {
				in.scan(ctx, out, &wg)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// Overflow or similar: the periodic scan catches up.
			in.log.Warn("file watcher error; rescanning", "error", err)
			in.scan(ctx, out, &wg)
		}
	}
}

// wake tells the harvester of path that it grew.
func (in *Input) wake(path string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, h := range in.harvesters {
		if h.path == path {
			select {
			case h.wake <- struct{}{}:
			default:
			}
		}
	}
}

// scan starts a harvester for every file that has unread data.
func (in *Input) scan(ctx context.Context, out pipeline.Client, wg *sync.WaitGroup) {
	live := map[string]bool{} // identities present under the globs
	for _, path := range in.matches() {
		if ctx.Err() != nil {
			return
		}
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		ident, ok := in.identity(path, fi)
		if !ok {
			continue // unreadable
		}
		live[ident] = true
		if in.cfg.IgnoreOlder > 0 && time.Since(fi.ModTime()) > in.cfg.IgnoreOlder {
			continue
		}
		if !in.inactiveFrom.IsZero() && fi.ModTime().Before(in.inactiveFrom) {
			continue
		}
		if fi.Size() == 0 && strings.HasPrefix(ident, provisional) {
			// Nothing to read yet. Above all, not a harvester for a
			// copy that logrotate's copytruncate has just created:
			// it would read the copy's first lines under the copy's
			// inode before the copy shows the fingerprint its
			// original already has (lines stored twice).
			continue
		}
		var ino string
		if in.cfg.FileIdentity == "fingerprint" {
			ino, _ = inode(fi)
		}
		in.mu.Lock()
		if _, running := in.harvesters[ident]; running || in.inodes[ino] != nil {
			// Already read (perhaps under its old name after a rename:
			// the identity, not the name, keys the state; or under its
			// provisional identity while it grows past the fingerprint,
			// or by a harvester that has yet to see it was rewritten).
			in.mu.Unlock()
			continue
		}
		if rp, ok := in.readTo[ident]; ok && rp.off == fi.Size() && (!strings.HasPrefix(ident, provisional) || in.fileHeadIs(path, rp)) {
			in.mu.Unlock()
			continue // nothing new since its harvester stopped
		}
		h := &harvester{in: in, path: path, ident: ident, key: in.stateKey(ident), wake: make(chan struct{}, 1),
			inode: ino, provisional: strings.HasPrefix(ident, provisional)}
		in.harvesters[ident] = h
		if ino != "" {
			in.inodes[ino] = h
		}
		in.mu.Unlock()
		if in.limit != nil {
			if in.env.Once {
				select {
				case in.limit <- struct{}{}:
				case <-ctx.Done():
					in.forget(h, 0)
					return
				}
			} else {
				select {
				case in.limit <- struct{}{}:
				default:
					in.forget(h, -1) // at the limit: a later scan retries
					continue
				}
			}
		}
		wg.Go(func() {
			defer func() {
				if in.limit != nil {
					<-in.limit
				}
			}()
			read, err := h.run(ctx, out, fi, in.resumeHint(ident))
			if err != nil && ctx.Err() == nil {
				in.log.Warn("harvester stopped", "path", h.path, "error", err)
			}
			in.forget(h, read)
		})
		if in.env.Once && in.limit != nil {
			continue
		}
	}
	if in.env.Once {
		return
	}
	in.cleanRemoved(live)
}

// fileHeadIs reports whether the file at path still starts with the bytes
// a provisional harvester read.
func (in *Input) fileHeadIs(path string, rp readPos) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return sameHead(f, rp.off, rp.head)
}

// resumeHint is how far an earlier harvester of this process read the file
// (its events may still be in flight: re-reading them would duplicate).
func (in *Input) resumeHint(ident string) readPos {
	in.mu.Lock()
	defer in.mu.Unlock()
	if rp, ok := in.readTo[ident]; ok {
		return rp
	}
	return readPos{off: -1}
}

// forget removes a stopped harvester, remembering how far it read (-1:
// never ran).
func (in *Input) forget(h *harvester, read int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	delete(in.harvesters, h.ident)
	if in.inodes[h.inode] == h {
		delete(in.inodes, h.inode)
	}
	if read >= 0 {
		rp := readPos{off: read}
		h.mu.Lock()
		if h.provisional {
			rp.head = headSum(h.head, read)
		}
		h.mu.Unlock()
		in.readTo[h.ident] = rp
	}
}

// cleanRemoved drops the registry entries of this input's files that are
// no longer under any of its globs (clean_removed) or were not updated for
// clean_inactive, and forgets how far this process read files that are gone
// (the map would otherwise grow with every rotation on a long-running
// router). live holds the identities the scan just found.
func (in *Input) cleanRemoved(live map[string]bool) {
	in.mu.Lock()
	running := map[string]bool{}
	for ident := range in.harvesters {
		running[ident] = true
	}
	for ident := range in.readTo {
		if !live[ident] && !running[ident] {
			delete(in.readTo, ident)
		}
	}
	in.mu.Unlock()
	if in.store == nil || !in.cfg.CleanRemoved && in.cfg.CleanInactive == 0 {
		return
	}
	prefix := in.stateKey("")
	for _, k := range in.store.Keys(prefix) {
		ident := k[len(prefix):]
		if running[ident] {
			continue
		}
		if !live[ident] && in.cfg.CleanRemoved {
			in.store.Delete(k)
			continue
		}
		var c cursor
		if in.cfg.CleanInactive > 0 {
			if ok, _ := in.store.Get(k, &c); ok && time.Since(c.Updated) > in.cfg.CleanInactive {
				in.store.Delete(k)
			}
		}
	}
}

// harvester reads one file.
type harvester struct {
	in      *Input
	path    string // the name it was opened under
	ident   string // changes once, from provisional to fingerprint (under in.mu)
	inode   string // fingerprint identity: device-inode ("" otherwise)
	wake    chan struct{}
	idPfx   string   // _id prefix from the identity
	headIDs bool     // fingerprint identity: lines before fpEnd get an _id from the bytes before them
	file    *os.File // the open file (for headIDPrefix)
	pathVal any      // path as a field value, boxed once
	// acks holds the events' ackPoints, a chunk at a time: a pointer in
	// Private instead of an ackPoint boxed per event. A chunk is freed
	// once no event in flight points into it. Its ackPoints hold their
	// lines' messages, which the chunk keeps alive with it: a chunk ends
	// once it holds maxChunkMessages bytes of them, so that a harvester
	// keeps at most that much of lines already final (with 100 KiB lines,
	// 256 of them were 25 MiB that queue.mem.bytes does not count).
	acks      []ackPoint
	acksBytes int // message bytes held by the current chunk

	mu          sync.Mutex // the acker's commit against the harvester's adoption
	key         string
	acked       int64  // offset after the last acknowledged line
	provisional bool   // read under its inode until it reaches fpEnd
	head        []byte // provisional: the file's first bytes, as last checked
}

// run reads the file until ctx is done, the file is inactive or removed, or
// (Once) its end. It returns the offset it read to, which never passes a
// line that was not queued: the next harvester of the file starts there.
func (h *harvester) run(ctx context.Context, out pipeline.Client, fi os.FileInfo, hint readPos) (int64, error) {
	in := h.in
	f, err := os.Open(h.path)
	if err != nil {
		return -1, err
	}
	defer f.Close()
	in.filesOpened.Inc()
	in.openFiles.Add(1)
	defer in.openFiles.Add(-1)

	var offset int64
	var c cursor
	found := false
	if in.store != nil {
		found, err = in.store.Get(h.key, &c)
		if err != nil {
			in.log.Warn("ignoring unreadable registry entry", "key", h.key, "error", err)
		}
	}
	if found && h.provisional && !(c.Offset <= fi.Size() && sameHead(f, c.Offset, c.Head)) {
		// The inode was reused, or the file rewritten in place (copytruncate):
		// its cursor belongs to other bytes.
		in.log.Info("file rewritten since its cursor was saved, reading from the start", "path", h.path, "cursor", c.Offset, "size", fi.Size())
		found = false
	}
	if !found && !h.provisional && h.inode != "" && in.store != nil {
		// It may have been read while it was too short for a fingerprint:
		// carry that cursor over, so nothing is read twice.
		pk := in.stateKey(provisional + h.inode)
		var pc cursor
		if ok, _ := in.store.Get(pk, &pc); ok && pc.Offset <= fi.Size() && sameHead(f, pc.Offset, pc.Head) {
			c, found = pc, true
			_ = in.store.Set(h.key, cursor{Offset: c.Offset, Path: h.path, Updated: time.Now().UTC()})
			in.store.Delete(pk)
		}
	}
	switch {
	case found && c.Offset <= fi.Size():
		offset = c.Offset
	case found:
		in.log.Info("file is shorter than its cursor: truncated, reading from the start", "path", h.path, "cursor", c.Offset, "size", fi.Size())
		in.filesTruncated.Inc()
	case in.cfg.StartPos == "end":
		offset = fi.Size()
	}
	if hint.off > offset && hint.off <= fi.Size() && (!h.provisional || sameHead(f, hint.off, hint.head)) {
		offset = hint.off
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			return -1, err
		}
	}
	h.mu.Lock()
	h.acked = offset
	h.mu.Unlock()
	h.idPfx = docIDPrefix(in.env.ID, h.ident)
	h.file = f
	h.pathVal = h.path
	// Lines in the first bytes are read under a provisional identity or
	// the fingerprint, depending on the file's size at the time, and
	// again from a copytruncate copy (another inode): their _id must not
	// depend on any of these (see headIDPrefix).
	h.headIDs = h.inode != ""
	if h.provisional {
		in.log.Debug("file shorter than its fingerprint, reading it under its inode until it grows", "path", h.path, "size", fi.Size())
		if err := h.verify(f); errors.Is(err, errSameFingerprint) {
			return -1, nil // grew meanwhile: another harvester reads it
		} else if err != nil {
			return -1, err
		}
	}
	in.log.Debug("harvester started", "path", h.path, "offset", offset)

	parser := in.newParser(h.path)
	var pubErrAt int64 = -1 // start of a message the pipeline did not take
	ch := newChain(&in.cfg, int(in.cfg.MaxBytes), func(m message) error {
		if err := h.publish(ctx, out, parser, m); err != nil {
			pubErrAt = m.start
			return err
		}
		return nil
	}, time.Now)
	// stopAt is where the next reader of this file starts when this one
	// stops now: before a line the pipeline did not take, and before the
	// lines a multiline event holds (they are read again, not lost).
	stopAt := func(off int64) int64 {
		if pubErrAt >= 0 && pubErrAt < off {
			off = pubErrAt
		}
		return ch.resume(off)
	}
	var src io.Reader = f
	if in.cfg.FileIdentity == "fingerprint" {
		src = &checkedReader{f: f, h: h}
	}
	lr := newLineReader(src, offset, int(in.cfg.BufferSize), int(in.cfg.MaxBytes))
	backoff := in.cfg.Backoff.Init
	started := time.Now()
	lastRead := started
	// Lines come in bursts read from one buffer: the time of the last one
	// is taken at the end of the burst (the next EOF), not per line
	// (time.Now was 2% of squid → file's CPU, issue 17).
	readSince := false
	for {
		if ai := in.cfg.Close.Reader.AfterInterval; ai > 0 && time.Since(started) >= ai {
			// close.reader.after_interval: the next scan opens it again.
			in.log.Debug("reader open for close.reader.after_interval, closing", "path", h.path)
			return stopAt(lr.offset), nil
		}
		line, start, end, truncated, err := lr.next()
		if err == nil {
			backoff = in.cfg.Backoff.Init
			readSince = true
			in.lines.Inc()
			in.bytesRead.Add(end - start)
			if err := ch.line(line, start, end, truncated); err != nil {
				// Not queued: report the offset before it, so the next
				// harvester of this file offers it again (issue 18).
				return stopAt(start), err
			}
			continue
		}
		if errors.Is(err, errSameFingerprint) {
			in.log.Debug("file grew to the fingerprint of a file already being read, closing", "path", h.path)
			return stopAt(lr.offset), nil
		}
		if errors.Is(err, errReplaced) {
			// Truncated (copytruncate) or rewritten under us: what the
			// last read returned may be the new content, so it was
			// dropped. Stop at the last line of the old content; the
			// rotated copy (same fingerprint) is read on from there and
			// the new content as a new file.
			in.log.Info("file truncated or replaced, closing", "path", h.path, "offset", lr.offset)
			in.filesTruncated.Inc()
			return stopAt(lr.offset), nil
		}
		if err != io.EOF {
			return stopAt(lr.offset), fmt.Errorf("read %s: %w", h.path, err)
		}
		if readSince {
			lastRead, readSince = time.Now(), false
		}
		if in.env.Once || in.cfg.Close.Reader.OnEOF {
			if deleted(f) {
				return h.finish(lr, ch, stopAt)
			}
			// At the end: a multiline event is complete (Filebeat flushes
			// it when its reader ends); a last line without its newline
			// waits for the next run.
			if err := ch.flush(); err != nil {
				return stopAt(lr.offset), err
			}
			return lr.offset, nil
		}
		if dl, ok := ch.deadline(); ok && !time.Now().Before(dl) {
			// multiline timeout: ship the event as it is.
			if err := ch.flush(); err != nil {
				return stopAt(lr.offset), err
			}
		}
		// At the end: has it been truncated, removed or left alone?
		cur, statErr := f.Stat()
		if statErr == nil && in.cfg.FileIdentity == "fingerprint" {
			// copytruncate or an in-place rewrite changes the first bytes:
			// this is no longer the file we were reading. Stop; the
			// prospector reads the new content as a new file, and a
			// rotated copy (same fingerprint) from where we stopped.
			// (A provisional file that grew adopts its fingerprint here.)
			if err := h.verify(f); errors.Is(err, errSameFingerprint) {
				in.log.Debug("file grew to the fingerprint of a file already being read, closing", "path", h.path)
				return stopAt(lr.offset), nil
			} else if err != nil {
				in.log.Info("file truncated or replaced, closing", "path", h.path, "offset", lr.offset)
				in.filesTruncated.Inc()
				return stopAt(lr.offset), nil
			}
		}
		if statErr == nil && cur.Size() < lr.offset+lr.pending() {
			in.log.Info("file truncated, reading from the start", "path", h.path, "offset", lr.offset, "size", cur.Size())
			in.filesTruncated.Inc()
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return -1, err
			}
			lr.reset(0)
			ch = newChain(&in.cfg, int(in.cfg.MaxBytes), ch.sink, time.Now) // held lines were cut away
			continue
		}
		if cs := in.cfg.Close.OnStateChange; cs.Removed || cs.Renamed {
			now, err := os.Stat(h.path)
			gone := errors.Is(err, os.ErrNotExist)
			moved := err == nil && statErr == nil && !os.SameFile(now, cur)
			if gone && cs.Removed && deleted(f) {
				// Nobody can find it again: its last line is complete.
				in.log.Debug("file removed, closing", "path", h.path)
				return h.finish(lr, ch, stopAt)
			}
			if gone && cs.Removed || (gone || moved) && cs.Renamed {
				// Renamed: a writer may still finish its last line; the
				// harvester that finds it under its new name (the same
				// identity) resumes before that line, and before the
				// lines of a multiline event not finished yet.
				in.log.Debug("file renamed, closing", "path", h.path)
				return stopAt(lr.offset), nil
			}
		}
		if time.Since(lastRead) >= in.cfg.Close.OnStateChange.Inactive {
			in.log.Debug("file inactive, closing", "path", h.path)
			return h.finish(lr, ch, stopAt)
		}
		wait := backoff
		if dl, ok := ch.deadline(); ok {
			wait = max(min(wait, time.Until(dl)), time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return stopAt(lr.offset), nil
		case <-h.wake:
			t.Stop()
		case <-t.C:
			if wait == backoff {
				backoff = min(backoff*2, in.cfg.Backoff.Max)
			}
		}
	}
}

// finish ships a last line without its newline (the writer is done with
// the file: inactive or deleted, so the line is complete as it is; shipping
// it beats losing it) and returns the offset after it.
func (h *harvester) finish(lr *lineReader, ch *chain, stopAt func(int64) int64) (int64, error) {
	if line, start, end, truncated := lr.rest(); line != nil {
		h.in.lines.Inc()
		h.in.bytesRead.Add(end - start)
		if err := ch.line(line, start, end, truncated); err != nil {
			return stopAt(start), err
		}
	}
	if err := ch.flush(); err != nil {
		return stopAt(lr.offset), err
	}
	return lr.offset, nil
}

// deleted reports whether f has no name left (its last link was removed).
// A renamed file still has one.
func deleted(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return true
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Nlink == 0
	}
	return true
}

// headIDPrefix is the _id prefix of a line that starts at offset start,
// before the fingerprint's end: a hash of the input and of the file's bytes
// before the line. With the offset and the line's own hash (docID) the _id
// stands for the file's exact first bytes up to the line's end, which a
// re-read under another identity or from a copy keeps, and which other
// content does not have (two files with the same first bytes are one file
// under fingerprint identity anyway).
func (h *harvester) headIDPrefix(start int64) string {
	var buf [512]byte
	b := buf[:0]
	if int(start) > len(buf) {
		b = make([]byte, 0, start)
	}
	b = b[:start]
	n, _ := h.file.ReadAt(b, 0) // short only if the file was cut: the line is then dropped
	return docIDPrefix(h.in.env.ID, "head::"+string(b[:n]))
}

// publish turns one message of the reader chain into an event, after
// include_lines / exclude_lines (Filebeat applies them after the parsers,
// to the message text), and hands it to the pipeline.
func (h *harvester) publish(ctx context.Context, out pipeline.Client, p Parser, m message) error {
	in := h.in
	if len(m.content) == 0 && len(m.fields) == 0 && in.dropEmpty ||
		len(in.cfg.IncludeLines) > 0 && !in.cfg.IncludeLines.match(m.content) ||
		len(in.cfg.ExcludeLines) > 0 && in.cfg.ExcludeLines.match(m.content) {
		// Not an event; its bytes are covered by the next event's cursor.
		in.linesFiltered.Add(int64(m.lines))
		return nil
	}
	// The event's ackPoint, also where its message and offset are boxed
	// from and what its _id is rendered from.
	if len(h.acks) == cap(h.acks) || h.acksBytes >= maxChunkMessages {
		// Sized for lines like this one: 256 short ones, fewer long ones.
		h.acks = make([]ackPoint, 0, min(256, max(1, maxChunkMessages/max(len(m.content), 1))))
		h.acksBytes = 0
	}
	h.acks = append(h.acks, ackPoint{h: h, end: m.end})
	ap := &h.acks[len(h.acks)-1]
	e := in.events.Get(m.ts)
	if m.fields == nil {
		h.acksBytes += len(m.content)
		ap.id.msg, ap.id.start = string(m.content), m.start
		e.Fields.Add("message", boxString(&ap.id.msg))
		e.Fields.Add("log.file.path", h.pathVal)
		e.Fields.Add("log.offset", boxInt64(&ap.id.start))
	} else {
		// ndjson: the decoded keys win over log.*, as Filebeat's
		// DeepUpdate of the message fields; `message` is the text left.
		e.Fields.Add("log.file.path", h.pathVal)
		e.Fields.Add("log.offset", m.start)
		for _, f := range m.fields {
			e.Fields.Put(f.Key, f.Value)
		}
		if len(m.content) > 0 {
			e.Fields.Put("message", string(m.content))
		}
	}
	var flags []string
	if m.truncated {
		in.truncatedLines.Inc()
		flags = append(flags, "truncated")
	}
	if m.lines > 1 {
		flags = append(flags, "multiline")
	}
	if flags != nil {
		e.Fields.Put("log.flags", flags)
	}
	if m.truncated {
		e.Tag("truncated")
	}
	pfx := h.idPfx
	if h.headIDs && m.start < in.fpEnd() {
		pfx = h.headIDPrefix(m.start)
	}
	id := m.id
	lazy := id == "" && m.fields == nil && msgIsLine(m.content, m.raw)
	if id == "" && !lazy {
		id = docID(pfx, m.start, m.raw) // before Parse, which may reuse the line
	}
	keep, err := p.Parse(m.content, e)
	if !keep && err == nil {
		// Not an event; its bytes are covered by the next line's cursor.
		// (Its ackPoint is left unused: its message may be referred to.)
		event.Release(e)
		return nil
	}
	if lazy {
		ap.id.pfx, ap.id.cr = pfx, len(m.raw) > len(m.content)
		e.Meta.IDFrom = &ap.id
	} else {
		e.Meta.ID = id
	}
	e.Private = ap
	return out.Publish(ctx, e)
}

// maxChunkMessages bounds the message bytes one chunk of ackPoints holds
// (see harvester.acks): squid's lines (~300 bytes) still fill chunks of 256.
const maxChunkMessages = 128 << 10

// msgIsLine reports whether the bytes of line are those of content, or
// those and a '\r' (cut off by line_terminator: auto): then the message
// string is all the lazy _id needs. It is not with another encoding, or
// with ndjson, whose message is what is left of the line.
func msgIsLine(content, line []byte) bool {
	switch len(line) - len(content) {
	case 0:
	case 1:
		if line[len(line)-1] != '\r' {
			return false
		}
	default:
		return false
	}
	// content is line itself, or a copy (a decoded line).
	return len(content) == 0 || unsafe.SliceData(content) == unsafe.SliceData(line)
}

var (
	errReplaced        = errors.New("file truncated or replaced")
	errSameFingerprint = errors.New("another harvester reads a file with this fingerprint")
)

// checkedReader reads a fingerprinted file and checks, after every read,
// that the file still starts with the bytes it started with (h.verify). If
// it does not, the file was truncated and rewritten (copytruncate) between
// two reads, and the bytes just read may belong to the new content: they
// are dropped and errReplaced is returned.
type checkedReader struct {
	f *os.File
	h *harvester
}

func (r *checkedReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if n == 0 {
		return n, err
	}
	if verr := r.h.verify(r.f); verr != nil {
		return 0, verr
	}
	return n, err
}

// verify checks that a fingerprinted file still starts with the bytes it
// started with: its fingerprint, or for a provisional identity the bytes
// seen so far (kept in h.head). A provisional file that reached its
// fingerprint's size adopts the fingerprint.
func (h *harvester) verify(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	if !h.provisional {
		if id, ok := h.in.fingerprint(f, fi.Size()); !ok || id != h.ident {
			return errReplaced
		}
		return nil
	}
	n := min(fi.Size(), h.in.fpEnd())
	if n < int64(len(h.head)) {
		return errReplaced
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, 0); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return errReplaced
	}
	if !bytes.Equal(buf[:len(h.head)], h.head) {
		return errReplaced
	}
	h.mu.Lock()
	h.head = buf
	h.mu.Unlock()
	if fi.Size() >= h.in.fpEnd() {
		return h.adopt(f, fi.Size())
	}
	return nil
}

// adopt moves a provisional harvester to the file's fingerprint identity,
// and its cursor with it: the offset goes on, nothing is read twice or
// skipped. If another harvester already reads that fingerprint (the same
// first bytes: the same file, as fingerprints go), this one stops.
func (h *harvester) adopt(f *os.File, size int64) error {
	in := h.in
	id, ok := in.fingerprint(f, size)
	if !ok {
		return errReplaced
	}
	in.mu.Lock()
	if other, running := in.harvesters[id]; running && other != h {
		in.mu.Unlock()
		return errSameFingerprint
	}
	delete(in.harvesters, h.ident)
	in.harvesters[id] = h
	h.ident = id
	in.mu.Unlock()

	h.mu.Lock()
	old := h.key
	h.key = in.stateKey(id)
	h.provisional, h.head = false, nil
	if in.store != nil {
		_ = in.store.Set(h.key, cursor{Offset: h.acked, Path: h.path, Updated: time.Now().UTC()})
		in.store.Delete(old)
	}
	h.mu.Unlock()
	h.idPfx = docIDPrefix(in.env.ID, id)
	in.log.Debug("file reached its fingerprint's size, identity adopted", "path", h.path)
	return nil
}
