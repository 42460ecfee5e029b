package pipeline

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipper-project/shipper/shipper/event"
)

// Issue 18, defect 1: a clean stop leaves the queue fully acknowledged; the
// next start must deliver what is appended then (it once re-created the
// acknowledged segment's number at offset 0 while the reader resumed at the
// old acknowledged offset, skipping the new events).
func TestDiskQueueCleanRestartDeliversNewEvents(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for run, lines := range [][]string{msgs(0, 40), msgs(40, 45), msgs(45, 46), msgs(46, 80)} {
		r := newDiskRig(t, dir, 1<<20, false)
		if _, err := r.publish(ctx, lines); err != nil {
			t.Fatal(err)
		}
		if err := r.p.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		r.p.Close()
		if d := cmp.Diff(lines, r.out.messages()); d != "" {
			t.Fatalf("run %d delivered (-want +got):\n%s", run+1, d)
		}
	}
}

// Every record written is read exactly once and in order while segments
// rotate every few events, are fully acknowledged and deleted behind the
// reader, and the reader keeps catching up with a writer that has not synced
// its newest segment yet (defect 2: the reader once took an unsynced
// segment for a finished one, read past it and exited for good).
func TestDiskQueueReaderFollowsRotationsAndDeletions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		segSize  int64
		sync     time.Duration
		perBurst int
	}{
		{"tiny segments, fast sync", 256, time.Millisecond, 1},
		{"tiny segments, slow sync", 300, 20 * time.Millisecond, 3},
		{"one event per segment", 64, 2 * time.Millisecond, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r := newDiskRigWith(t, dir, DiskQueueSettings{Path: dir, MaxSize: 1 << 20, SegmentSize: tc.segSize, SyncInterval: tc.sync}, false)
			defer r.p.Close()
			ctx := context.Background()
			want := msgs(0, 800)
			for i := 0; i < len(want); i += tc.perBurst {
				if _, err := r.publish(ctx, want[i:min(i+tc.perBurst, len(want))]); err != nil {
					t.Fatal(err)
				}
				if i%50 == 0 { // let the reader catch up with the writer now and then
					n := i
					waitProgress(t, "delivery", func() int { return len(r.out.messages()) }, func(got int) bool { return got >= n })
				}
			}
			if err := r.p.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, r.out.messages()); d != "" {
				t.Errorf("delivered (-want +got):\n%s", d)
			}
			waitProgress(t, "acknowledged segments deleted", func() int { return -segmentCount(dir) }, func(int) bool { return segmentCount(dir) <= 1 })
		})
	}
}

// Defect 5: an event larger than what is left of max_size was never queued
// (the queue waited for a size it could never reach). It is accepted once
// everything before it is delivered.
func TestDiskQueueEventLargerThanMaxSize(t *testing.T) {
	dir := t.TempDir()
	r := newDiskRigWith(t, dir, DiskQueueSettings{Path: dir, MaxSize: 4096, SegmentSize: 1024, SyncInterval: time.Millisecond}, false)
	defer r.p.Close()
	ctx := context.Background()
	big := fmt.Sprintf("%05d %0*d", 1, 6000, 0)
	want := []string{"event 00000", big, "event 00002", big, "event 00003"}
	if _, err := r.publish(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := r.p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, r.out.messages()); d != "" {
		t.Errorf("delivered (-want +got):\n%s", d)
	}
}

// Defect 11: timestamps far outside 1678–2262 (UnixNano's range) came back
// wrong from the disk queue.
func TestEventRecordRoundTripAnyTime(t *testing.T) {
	times := []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1677, 9, 21, 0, 12, 43, 145224191, time.UTC),
		time.Date(2262, 4, 11, 23, 47, 16, 854775808, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(12345, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(-50, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(math.MaxInt32*4, 7).UTC(),
		time.Date(2026, 12, 3, 16, 0, 0, 5, time.FixedZone("CET", 3600)),
		{},
	}
	for _, ts := range times {
		e := event.New(ts, 2)
		e.Fields.Add("t", ts)
		got, err := DecodeEventRecord(AppendEventRecord(nil, e))
		if err != nil {
			t.Errorf("%v: %v", ts, err)
			continue
		}
		if !got.Timestamp.Equal(ts) {
			t.Errorf("timestamp %v came back as %v", ts, got.Timestamp)
		}
		v, _ := got.Fields.Get("t")
		if tv, ok := v.(time.Time); !ok || !tv.Equal(ts) {
			t.Errorf("time field %v came back as %v", ts, v)
		} else if _, off := tv.Zone(); off != func() int { _, o := ts.Zone(); return o }() {
			t.Errorf("time field %v lost its offset: %v", ts, tv)
		}
	}
	// Records written by an earlier version (Unix nanoseconds, RFC 3339
	// time fields) are still read.
	old := []byte(`[1795594303206000001,"i","id","",` + `"t","t","2026-01-02T03:04:05.000000006Z","message","s","x"]`)
	e, err := DecodeEventRecord(old)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1795594303, 206000001); !e.Timestamp.Equal(want) || e.Meta.ID != "id" {
		t.Errorf("old record: %v %+v", e.Timestamp, e.Meta)
	}
}

// waitProgress waits until done(value()) holds. It fails only when value()
// stops changing for a long time: a busy machine slows progress down, it
// does not stop it.
func waitProgress(t *testing.T, what string, value func() int, done func(int) bool) {
	t.Helper()
	const stall = 30 * time.Second
	last, since := value(), time.Now()
	for !done(last) {
		time.Sleep(2 * time.Millisecond)
		if v := value(); v != last {
			last, since = v, time.Now()
		} else if time.Since(since) > stall {
			t.Fatalf("no progress towards %s for %v (at %d)", what, stall, last)
		}
	}
}

func segmentCount(dir string) int {
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	return len(segs)
}

// fullDisk wraps segment files: while full, a write stores half its bytes
// and fails with ENOSPC, and fsync fails too, as on a full file system.
type fullDisk struct {
	full     atomic.Bool
	noCreate atomic.Bool  // creating a file fails (no inode, no space for a directory entry)
	writes   atomic.Int64 // failed writes
	creates  atomic.Int64 // failed creates
}

type fullDiskFile struct {
	*os.File
	d *fullDisk
}

func (f fullDiskFile) WriteAt(b []byte, off int64) (int, error) {
	if f.d.full.Load() {
		f.d.writes.Add(1)
		n, _ := f.File.WriteAt(b[:len(b)/2], off)
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.WriteAt(b, off)
}

func (f fullDiskFile) Sync() error {
	if f.d.full.Load() {
		return &os.PathError{Op: "sync", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.Sync()
}

func (d *fullDisk) open(path string) (segmentFile, error) {
	if d.noCreate.Load() {
		d.creates.Add(1)
		return nil, &os.PathError{Op: "open", Path: path, Err: syscall.ENOSPC}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	return fullDiskFile{f, d}, nil
}

// Defect 4: a write error (ENOSPC) broke the disk queue until a restart.
// While the disk is full, inputs pause (nothing is dropped) and the pause is
// visible; when space frees up, writing and delivery resume by themselves.
func TestDiskQueueFullDiskPausesAndResumes(t *testing.T) {
	dir := t.TempDir()
	disk := &fullDisk{}
	r := newDiskRigWith(t, dir, DiskQueueSettings{Path: dir, MaxSize: 1 << 20, SegmentSize: 2048, SyncInterval: 2 * time.Millisecond, openFile: disk.open}, false)
	defer r.p.Close()
	ctx := context.Background()
	want := msgs(0, 600)
	if _, err := r.publish(ctx, want[:100]); err != nil {
		t.Fatal(err)
	}
	waitProgress(t, "first delivery", func() int { return len(r.out.messages()) }, func(n int) bool { return n == 100 })

	disk.full.Store(true)
	done := make(chan error, 1)
	go func() { _, err := r.publish(ctx, want[100:]); done <- err }()
	paused := r.m.Counter("queue.disk.paused.write_error")
	waitProgress(t, "inputs paused by the full disk", func() int { return int(disk.writes.Load()) }, func(int) bool { return paused.Load() == 1 })
	// Paused: the publisher neither finishes nor fails, and nothing
	// new is acknowledged to it while the disk is full.
	acked := r.ackedCount()
	for range 20 {
		select {
		case err := <-done:
			t.Fatalf("publish returned (%v) while the disk was full", err)
		default:
		}
		r.p.dq.mu.Lock()
		r.p.dq.recoverLocked() // a retry that fails again
		r.p.dq.mu.Unlock()
	}
	if r.ackedCount() != acked {
		t.Fatalf("inputs were acknowledged for events that could not be written")
	}
	if n := r.m.Counter("queue.disk.write_errors").Load(); n == 0 {
		t.Errorf("queue.disk.write_errors = 0")
	}

	disk.full.Store(false)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := r.p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, r.out.messages()); d != "" {
		t.Errorf("delivered (-want +got):\n%s", d)
	}
	if paused.Load() != 0 {
		t.Errorf("queue.disk.paused.write_error still 1 after recovery")
	}
	if r.m.Counter("queue.disk.corrupt_records").Load() != 0 {
		t.Errorf("a half-written record was left in a segment")
	}
}

// The same with a real full file system: a 64 KiB tmpfs holding a queue
// whose max_size is larger than the disk.
func TestDiskQueueRealFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root (TestDiskQueueFullDiskPausesAndResumes injects the same errors)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	r := newDiskRigWith(t, dir, DiskQueueSettings{Path: dir, MaxSize: 1 << 20, SegmentSize: 16 << 10, SyncInterval: 2 * time.Millisecond}, true)
	defer r.p.Close()
	ctx := context.Background()
	want := msgs(0, 3000) // ~180 KiB of records: three times the disk
	done := make(chan error, 1)
	go func() { _, err := r.publish(ctx, want); done <- err }()
	waitProgress(t, "inputs paused by the full tmpfs", func() int { return r.ackedCount() }, func(int) bool {
		return r.m.Counter("queue.disk.paused.write_error").Load() == 1
	})
	select {
	case err := <-done:
		t.Fatalf("publish returned (%v) on a full disk", err)
	default:
	}
	r.out.down.Store(false) // delivery frees the disk
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := r.p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, r.out.messages()); d != "" {
		t.Errorf("delivered (-want +got):\n%s", d)
	}
}

// The reader's choice in every state a segment can be in when the reader
// reaches it (see the state diagram in diskqueue.go).
func TestDiskQueueReaderStates(t *testing.T) {
	seg := func(seq uint64, size, synced int64, final bool) *segment {
		return &segment{seq: seq, size: size, synced: synced, final: final}
	}
	for _, tc := range []struct {
		name string
		segs []*segment
		pos  position
		want readStep // seg compared by seq
	}{
		{"written, not synced: wait",
			[]*segment{seg(3, 100, 0, false)}, position{3, 0}, readStep{pos: position{3, 0}, wait: true}},
		{"synced part: read up to it, not beyond",
			[]*segment{seg(3, 100, 60, false)}, position{3, 0}, readStep{seg: seg(3, 0, 0, false), pos: position{3, 0}, limit: 60}},
		{"caught up with the writer: wait",
			[]*segment{seg(3, 100, 60, false)}, position{3, 60}, readStep{pos: position{3, 60}, wait: true}},
		{"final, read to its end: next segment",
			[]*segment{seg(3, 100, 100, true), seg(4, 50, 50, false)}, position{3, 100}, readStep{seg: seg(4, 0, 0, false), pos: position{4, 0}, limit: 50}},
		{"final, read, next one not synced yet: wait there",
			[]*segment{seg(3, 100, 100, true), seg(4, 50, 0, false)}, position{3, 100}, readStep{pos: position{4, 0}, wait: true}},
		{"read segment acked and deleted after a rotation, new one unsynced: wait (defect 2)",
			[]*segment{seg(4, 50, 0, false)}, position{3, 100}, readStep{pos: position{4, 0}, wait: true}},
		{"deleted segment, new one synced: read it",
			[]*segment{seg(4, 50, 20, false)}, position{3, 100}, readStep{seg: seg(4, 0, 0, false), pos: position{4, 0}, limit: 20}},
		{"after a restart: acknowledged segment gone, next numbers remain",
			[]*segment{seg(7, 80, 80, true), seg(9, 0, 0, false)}, position{5, 40}, readStep{seg: seg(7, 0, 0, false), pos: position{7, 0}, limit: 80}},
		{"after a restart: inside a half-acknowledged segment",
			[]*segment{seg(5, 80, 80, true), seg(6, 0, 0, false)}, position{5, 40}, readStep{seg: seg(5, 0, 0, false), pos: position{5, 40}, limit: 80}},
		{"several empty final segments skipped",
			[]*segment{seg(5, 0, 0, true), seg(6, 0, 0, true), seg(7, 9, 9, false)}, position{5, 0}, readStep{seg: seg(7, 0, 0, false), pos: position{7, 0}, limit: 9}},
		{"position past every segment: wait, never end",
			[]*segment{seg(5, 10, 10, false)}, position{6, 0}, readStep{pos: position{6, 0}, wait: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &diskQueue{segs: tc.segs}
			got := q.nextReadLocked(tc.pos)
			gotSeq, wantSeq := -1, -1
			if got.seg != nil {
				gotSeq = int(got.seg.seq)
			}
			if tc.want.seg != nil {
				wantSeq = int(tc.want.seg.seq)
			}
			if gotSeq != wantSeq || got.pos != tc.want.pos || got.limit != tc.want.limit || got.wait != tc.want.wait {
				t.Errorf("got seg %d %+v limit %d wait %v; want seg %d %+v limit %d wait %v",
					gotSeq, got.pos, got.limit, got.wait, wantSeq, tc.want.pos, tc.want.limit, tc.want.wait)
			}
		})
	}
}

// copyDir snapshots a queue directory: what a crash at this moment leaves.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	names, _ := filepath.Glob(filepath.Join(src, "*"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(n)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// deliverAfterCrash starts a queue on a crash snapshot and returns what it
// delivers, plus new events appended after the restart.
func deliverAfterCrash(t *testing.T, dir string) []string {
	t.Helper()
	r := newDiskRig(t, dir, 1<<20, false)
	defer r.p.Close()
	ctx := context.Background()
	if _, err := r.publish(ctx, []string{"after restart"}); err != nil {
		t.Fatal(err)
	}
	if err := r.p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	return r.out.messages()
}

// A crash interrupting each transition: before the sync nothing was
// acknowledged to the inputs (they read the events again), after it the
// events are on disk and delivered after the restart, and after delivery
// with a stale ack.json they are delivered again (at-least-once; the _id
// makes Elasticsearch refuse the copies).
func TestDiskQueueCrashAtEachTransition(t *testing.T) {
	dir := t.TempDir()
	r := newDiskRigWith(t, dir, DiskQueueSettings{Path: dir, MaxSize: 1 << 20, SegmentSize: 1 << 20, SyncInterval: time.Hour}, true)
	defer r.p.Close()
	ctx := context.Background()
	want := msgs(0, 10)
	if _, err := r.publish(ctx, want); err != nil {
		t.Fatal(err)
	}
	if r.ackedCount() != 0 {
		t.Fatalf("%d events acknowledged to the input before any fsync", r.ackedCount())
	}
	written := copyDir(t, dir)

	r.p.dq.mu.Lock()
	if err := r.p.dq.syncLocked(); err != nil {
		t.Fatal(err)
	}
	r.p.dq.mu.Unlock()
	if r.ackedCount() != 10 {
		t.Fatalf("%d of 10 events acknowledged to the input after the fsync", r.ackedCount())
	}
	synced := copyDir(t, dir)

	r.out.down.Store(false)
	waitProgress(t, "delivery", func() int { return len(r.out.messages()) }, func(n int) bool { return n == 10 })
	delivered := copyDir(t, dir) // ack.json not written yet (sync interval: 1h)

	if got := deliverAfterCrash(t, written); !cmp.Equal(got, []string{"after restart"}) {
		t.Errorf("crash before the fsync: delivered %q; want only the new event (the input reads the rest again)", got)
	}
	if d := cmp.Diff(append(msgs(0, 10), "after restart"), deliverAfterCrash(t, synced)); d != "" {
		t.Errorf("crash after the fsync (-want +got):\n%s", d)
	}
	if d := cmp.Diff(append(msgs(0, 10), "after restart"), deliverAfterCrash(t, delivered)); d != "" {
		t.Errorf("crash after delivery, before ack.json (-want +got):\n%s", d)
	}
	// A clean stop writes ack.json: nothing is delivered twice.
	r.p.Close()
	if got := deliverAfterCrash(t, dir); !cmp.Equal(got, []string{"after restart"}) {
		t.Errorf("after a clean stop: delivered %q; want only the new event", got)
	}
}

// A seeded random schedule of full disks, output outages and restarts with
// varying segment and queue sizes. An input re-offers what it was not
// acknowledged for when it is restarted (as a tailer resumes from its
// cursor). In the end every event is delivered at least once, in order of
// first delivery, and nothing waits forever.
func TestDiskQueueRandomFaults(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("SHIPPER_DQ_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	t.Logf("seed %d (SHIPPER_DQ_SEED replays it)", seed)
	dir := t.TempDir()
	disk := &fullDisk{}
	const total = 1200
	committed := 0 // events acknowledged to the input (its cursor)
	var delivered []string
	for round := 0; committed < total; round++ {
		if round > 60 {
			t.Fatalf("no end after %d rounds: committed %d of %d", round, committed, total)
		}
		set := DiskQueueSettings{Path: dir, MaxSize: int64(2048 + rng.IntN(32<<10)), SegmentSize: int64(128 + rng.IntN(4096)),
			SyncInterval: time.Duration(1+rng.IntN(5)) * time.Millisecond, openFile: disk.open}
		r := newDiskRigWith(t, dir, set, rng.IntN(2) == 0)
		disk.full.Store(false)
		// The input resumes at its cursor.
		from := committed
		n := min(total-from, 50+rng.IntN(300))
		lines := msgs(from, from+n)
		done := make(chan error, 1)
		go func() { _, err := r.publish(context.Background(), lines); done <- err }()
		for f := rng.IntN(4); f > 0; f-- {
			switch rng.IntN(3) {
			case 0:
				disk.full.Store(!disk.full.Load())
			case 1:
				r.out.down.Store(!r.out.down.Load())
			}
			// Let the fault last a while. Not a synchronisation: with
			// the output down and the queue full nothing may move, and
			// the checks below wait for completion after healing.
			time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
		}
		disk.full.Store(false)
		r.out.down.Store(false)
		if err := <-done; err != nil {
			t.Fatalf("round %d: publish: %v", round, err)
		}
		if rng.IntN(3) == 0 {
			if err := r.p.Drain(context.Background()); err != nil {
				t.Fatal(err)
			}
		} else { // stop at once: what is on disk comes first next time
			short, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(3))*time.Millisecond)
			r.p.Drain(short)
			cancel()
		}
		r.p.Close()
		committed = from + r.ackedCount()
		delivered = append(delivered, r.out.messages()...)
	}
	r := newDiskRig(t, dir, 1<<20, false)
	if err := r.p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.p.Close()
	delivered = append(delivered, r.out.messages()...)
	seen := map[string]bool{}
	var firsts []string
	for _, m := range delivered {
		if !seen[m] {
			seen[m] = true
			firsts = append(firsts, m)
		}
	}
	if d := cmp.Diff(msgs(0, total), firsts); d != "" {
		t.Fatalf("seed %d: first deliveries (-want +got):\n%s", seed, d)
	}
	t.Logf("seed %d: %d events, %d deliveries (%d again after a restart)", seed, total, len(delivered), len(delivered)-total)
}

// Found by the fault harness: an append that waited for space (the lock
// released) had encoded its event into the queue's shared buffer; another
// input's append encoded over it, and the first then wrote the other's bytes.
// Several inputs publish into a full queue; every event arrives intact.
func TestDiskQueueConcurrentAppendsWhileFull(t *testing.T) {
	dir := t.TempDir()
	r := newDiskRigWith(t, dir, DiskQueueSettings{Path: dir, MaxSize: 2048, SegmentSize: 1024, SyncInterval: time.Millisecond}, false)
	defer r.p.Close()
	const inputs, each = 4, 300
	errs := make(chan error, inputs)
	for in := range inputs {
		c := r.p.Connect(ClientConfig{Name: fmt.Sprintf("input.%d", in)}, r.m)
		go func() {
			for i := range each {
				e := event.New(time.Unix(1795594303, 0), 1)
				// Sizes differ per input so that a mixed-up record
				// shows as a wrong message, not only a wrong count.
				e.Fields.Add("message", fmt.Sprintf("in%d %04d %s", in, i, strings.Repeat("x", 10+40*in)))
				if err := c.Publish(context.Background(), e); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range inputs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := r.p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range r.out.messages() {
		got[m]++
	}
	for in := range inputs {
		for i := range each {
			m := fmt.Sprintf("in%d %04d %s", in, i, strings.Repeat("x", 10+40*in))
			if got[m] != 1 {
				t.Fatalf("%q delivered %d times (of %d deliveries, %d distinct)", m[:12], got[m], len(r.out.messages()), len(got))
			}
		}
	}
}

// A rotation whose new segment cannot be created (the sync before it
// succeeded) pauses the inputs too, and the next append after recovery
// creates it: nothing is lost, nothing written twice.
func TestDiskQueueRotationCreateFails(t *testing.T) {
	dir := t.TempDir()
	disk := &fullDisk{}
	r := newDiskRigWith(t, dir, DiskQueueSettings{Path: dir, MaxSize: 1 << 20, SegmentSize: 512, SyncInterval: 2 * time.Millisecond, openFile: disk.open}, false)
	defer r.p.Close()
	ctx := context.Background()
	want := msgs(0, 200)
	disk.noCreate.Store(true)
	done := make(chan error, 1)
	go func() { _, err := r.publish(ctx, want); done <- err }()
	paused := r.m.Counter("queue.disk.paused.write_error")
	waitProgress(t, "a failed rotation", func() int { return int(disk.creates.Load()) }, func(int) bool { return paused.Load() == 1 && disk.creates.Load() > 0 })
	select {
	case err := <-done:
		t.Fatalf("publish returned (%v) while no segment could be created", err)
	default:
	}
	disk.noCreate.Store(false)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := r.p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, r.out.messages()); d != "" {
		t.Errorf("delivered (-want +got):\n%s", d)
	}
}
