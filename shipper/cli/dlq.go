package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

const dlqUsage = `Usage:
  shipper dlq list   [-c FILE]                 what the dead-letter file holds
  shipper dlq replay [-c FILE] [--dry-run] [--timeout 2m]
                     re-send the dead-lettered events (same _id, index
                     and ingest pipeline);
                     those accepted are removed, the rejected stay with
                     their new reason

The dead-letter file is path.data/dead_letter/dead_letter.ndjson (and .1,
its older half). Replay takes path.data's lock: stop the shipper first.
Lines that are not entries (a torn write) are never deleted: replay moves
them to dead_letter.unreadable.ndjson, next to it, for a look by hand.
`

// DLQ is `shipper dlq list|replay`.
func DLQ(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, dlqUsage)
		return ExitUsage
	}
	sub := args[0]
	fs, c := newFlags("dlq "+sub, stderr)
	dryRun := fs.Bool("dry-run", false, "show what would be sent, send nothing")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up on events not delivered after this long (they stay in the file)")
	if pos, err := parseInterleaved(fs, args[1:]); err != nil || len(pos) > 0 {
		fmt.Fprint(stderr, dlqUsage)
		return ExitUsage
	}
	switch sub {
	case "list":
		return dlqList(c, stdout, stderr)
	case "replay":
		return dlqReplay(c, *dryRun, *timeout, stdout, stderr)
	}
	fmt.Fprintf(stderr, "shipper dlq: unknown command %q\n\n%s", sub, dlqUsage)
	return ExitUsage
}

// dlqEntry is one line of the dead-letter file (see pipeline.DeadLetterFile).
type dlqEntry struct {
	Time     string          `json:"@timestamp"`
	Status   int             `json:"status"`
	Reason   string          `json:"reason"`
	Index    string          `json:"index"`
	ID       string          `json:"id"`
	Pipeline string          `json:"pipeline"`
	Event    json.RawMessage `json:"event"`
	line     []byte
}

// dlqFiles returns the dead-letter files, oldest first.
func dlqFiles(dataDir string) []string {
	p := filepath.Join(dataDir, "dead_letter", pipeline.DeadLetterName)
	return []string{p + ".1", p}
}

// dlqUnreadableName is where replay moves the lines it cannot read.
const dlqUnreadableName = "dead_letter.unreadable.ndjson"

// readDLQ reads every entry, oldest first, and returns the lines that are
// not entries (a torn write) as they are. An older shipper did not cut a
// failed write back, so the entry written next was glued behind the torn
// part on the same line: it is recovered, and only the torn part is bad.
func readDLQ(dataDir string) (entries []dlqEntry, bad [][]byte, err error) {
	for _, p := range dlqFiles(dataDir) {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 256<<20)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			e, at := parseDLQLine(line)
			if at > 0 {
				bad = append(bad, append([]byte(nil), line[:at]...))
			}
			if at < 0 {
				bad = append(bad, append([]byte(nil), line...))
				continue
			}
			e.line = append([]byte(nil), line[at:]...)
			entries = append(entries, e)
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", p, err)
		}
	}
	return entries, bad, nil
}

// parseDLQLine parses an entry that starts at line[at:] (at > 0: behind a
// torn one); at is -1 when the line holds no entry.
func parseDLQLine(line []byte) (e dlqEntry, at int) {
	start := []byte(`{"@timestamp":"`)
	for at = 0; at >= 0; {
		if json.Unmarshal(line[at:], &e) == nil && len(e.Event) > 0 {
			return e, at
		}
		e = dlqEntry{}
		i := bytes.Index(line[at+1:], start)
		if i < 0 {
			break
		}
		at += 1 + i
	}
	return dlqEntry{}, -1
}

// setAside appends the unreadable lines to dead_letter.unreadable.ndjson
// (fsynced) and returns its path.
func setAside(dataDir string, bad [][]byte) (string, error) {
	p := filepath.Join(filepath.Dir(dlqFiles(dataDir)[1]), dlqUnreadableName)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return p, err
	}
	var b []byte
	for _, l := range bad {
		b = append(append(b, l...), '\n')
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return p, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return p, err
	}
	return p, f.Close()
}

func (c *common) loadForDLQ(stderr io.Writer) (*config.Config, string, bool) {
	cfg, err := c.load()
	if err != nil {
		printErr(stderr, "", err)
		return nil, "", false
	}
	dir := cfg.Path.Data
	if !filepath.IsAbs(dir) && cfg.Path.Home != "" {
		dir = filepath.Join(cfg.Path.Home, dir)
	}
	return cfg, dir, true
}

func dlqList(c *common, stdout, stderr io.Writer) int {
	_, dir, ok := c.loadForDLQ(stderr)
	if !ok {
		return ExitUsage
	}
	entries, bad, err := readDLQ(dir)
	if err != nil {
		fmt.Fprintf(stderr, "shipper dlq list: %v\n", err)
		return ExitRuntime
	}
	fmt.Fprintf(stdout, "dead-letter file: %s\n", dlqFiles(dir)[1])
	fmt.Fprintf(stdout, "events: %d\n", len(entries))
	if len(bad) > 0 {
		fmt.Fprintf(stdout, "unreadable lines: %d (replay moves them to %s)\n", len(bad), dlqUnreadableName)
	}
	if len(entries) == 0 {
		return ExitOK
	}
	oldest, newest := entries[0].Time, entries[0].Time
	byStatus, byReason, byIndex := map[string]int{}, map[string]int{}, map[string]int{}
	for _, e := range entries {
		if e.Time < oldest {
			oldest = e.Time
		}
		if e.Time > newest {
			newest = e.Time
		}
		byStatus[fmt.Sprint(e.Status)]++
		byReason[shorten(e.Reason, 120)]++
		byIndex[e.Index]++
	}
	fmt.Fprintf(stdout, "oldest: %s\nnewest: %s\n", oldest, newest)
	printCounts(stdout, "by status", byStatus, 0)
	printCounts(stdout, "by reason", byReason, 10)
	printCounts(stdout, "by index", byIndex, 10)
	return ExitOK
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// printCounts prints a count table, largest first (at most limit rows; 0:
// all).
func printCounts(w io.Writer, title string, m map[string]int, limit int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	fmt.Fprintf(w, "%s:\n", title)
	for i, k := range keys {
		if limit > 0 && i == limit {
			fmt.Fprintf(w, "  … %d more\n", len(keys)-limit)
			break
		}
		if k == "" {
			k = "(none)"
		}
		fmt.Fprintf(w, "  %7d  %s\n", m[k], k)
	}
}

// toEvent rebuilds the event from its dead-lettered document: the same
// JSON, the same _id, index and ingest pipeline.
func (e *dlqEntry) toEvent(i int) (*event.Event, error) {
	dec := json.NewDecoder(bytes.NewReader(e.Event))
	dec.UseNumber() // numbers go back exactly as they were
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	ev := event.New(time.Time{}, len(doc))
	if ts, ok := doc["@timestamp"].(string); ok {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return nil, fmt.Errorf("@timestamp %q: %v", ts, err)
		}
		ev.Timestamp = t
	}
	delete(doc, "@timestamp")
	for k, v := range doc {
		ev.Fields.Add(k, v)
	}
	ev.Meta.ID, ev.Meta.Index, ev.Meta.Pipeline = e.ID, e.Index, e.Pipeline
	ev.Private = i
	return ev, nil
}

// rejections collects the events rejected again during a replay.
type rejections struct {
	mu  sync.Mutex
	got map[int]dlqEntry
}

func (r *rejections) Write(e *event.Event, status int, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got[e.Private.(int)] = dlqEntry{Status: status, Reason: reason}
	return nil
}

func dlqReplay(c *common, dryRun bool, timeout time.Duration, stdout, stderr io.Writer) int {
	cfg, dir, ok := c.loadForDLQ(stderr)
	if !ok {
		return ExitUsage
	}
	sec, ok := cfg.Output["elasticsearch"]
	if !ok {
		fmt.Fprintln(stderr, "shipper dlq replay: only output.elasticsearch can replay dead letters")
		return ExitUsage
	}
	ec := elasticsearch.DefaultConfig()
	if err := sec.Decode(&ec); err != nil {
		printErr(stderr, "", err)
		return ExitUsage
	}
	// Hold path.data's lock: a running shipper appends to the file this
	// command rewrites.
	unlock, err := lockDataDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "shipper dlq replay: %v\n", err)
		return ExitRuntime
	}
	defer unlock()
	entries, bad, err := readDLQ(dir)
	if err != nil {
		fmt.Fprintf(stderr, "shipper dlq replay: %v\n", err)
		return ExitRuntime
	}
	// Lines that are not entries are moved aside before anything is sent:
	// the rewrite below keeps only entries, and nothing it cannot read may
	// be lost.
	aside := ""
	if len(bad) > 0 && !dryRun {
		if aside, err = setAside(dir, bad); err != nil {
			fmt.Fprintf(stderr, "shipper dlq replay: cannot set %d unreadable lines aside in %s: %v; nothing was replayed\n", len(bad), aside, err)
			return ExitRuntime
		}
	}
	if len(entries) == 0 {
		if aside != "" {
			if err := rewriteDLQ(dir, nil); err != nil {
				fmt.Fprintf(stderr, "shipper dlq replay: %v\n", err)
				return ExitRuntime
			}
			fmt.Fprintf(stdout, "unreadable lines: %d (moved to %s)\n", len(bad), aside)
			return ExitRuntime
		}
		fmt.Fprintln(stdout, "the dead-letter file is empty: nothing to replay")
		return ExitOK
	}
	evs := make([]*event.Event, 0, len(entries))
	byIndex := map[string]int{}
	for i := range entries {
		ev, err := entries[i].toEvent(i)
		if err != nil {
			fmt.Fprintf(stderr, "shipper dlq replay: entry %d (_id %q): %v; kept\n", i+1, entries[i].ID, err)
			continue
		}
		evs = append(evs, ev)
		byIndex[entries[i].Index]++
	}
	if dryRun {
		fmt.Fprintf(stdout, "would replay %d events to %s\n", len(evs), strings.Join(ec.Hosts, ", "))
		printCounts(stdout, "by index", byIndex, 0)
		if len(bad) > 0 {
			fmt.Fprintf(stdout, "would move %d unreadable lines to %s\n", len(bad), dlqUnreadableName)
		}
		return ExitOK
	}
	log := c.logger(cfg, stderr).With("output", "elasticsearch")
	m := monitoring.NewRegistry()
	out, err := elasticsearch.New(ec, log, m)
	if err != nil {
		printErr(stderr, "", sec.Errorf("", "%v", err))
		return ExitUsage
	}
	rej := &rejections{got: map[int]dlqEntry{}}
	p := pipeline.New(pipeline.Settings{
		BatchSize: ec.BulkMaxSize, Workers: ec.Worker,
		BackoffInit: ec.Backoff.Init, BackoffMax: ec.Backoff.Max,
		DeadLetter: rej,
	}, out, log, m)
	var mu sync.Mutex
	final := map[int]bool{}
	client := p.Connect(pipeline.ClientConfig{Name: "dlq", ACK: func(privs []any) {
		mu.Lock()
		defer mu.Unlock()
		for _, x := range privs {
			final[x.(int)] = true
		}
	}}, m)
	p.Start()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, ev := range evs {
		if err := client.Publish(ctx, ev); err != nil {
			break
		}
	}
	drainErr := p.Drain(ctx)
	p.Close()

	mu.Lock()
	defer mu.Unlock()
	var keep [][]byte
	undelivered := 0
	now := time.Now().UTC().Format(event.TimestampLayout)
	for i, e := range entries {
		r, rejected := rej.got[i]
		switch {
		case rejected:
			keep = append(keep, reEntry(e, now, r.Status, r.Reason))
		case !final[i]:
			undelivered++
			keep = append(keep, e.line)
		}
	}
	if err := rewriteDLQ(dir, keep); err != nil {
		fmt.Fprintf(stderr, "shipper dlq replay: %v (the dead-letter file was left as it was; events accepted now will be duplicates next time, which the _id makes harmless)\n", err)
		return ExitRuntime
	}
	s := m.Snapshot()
	fmt.Fprintf(stdout, "replayed %d events to %s\n", len(evs), strings.Join(out.Hosts(), ", "))
	fmt.Fprintf(stdout, "  indexed:          %d\n", s["output.events.acked"])
	fmt.Fprintf(stdout, "  already indexed:  %d (409, same _id)\n", s["output.events.duplicates"])
	fmt.Fprintf(stdout, "  rejected again:   %d (kept, with the new reason)\n", len(rej.got))
	if undelivered > 0 {
		fmt.Fprintf(stdout, "  not delivered:    %d (kept: %v)\n", undelivered, drainErr)
	}
	if len(bad) > 0 {
		fmt.Fprintf(stdout, "  unreadable lines: %d (not replayed; moved to %s)\n", len(bad), aside)
	}
	fmt.Fprintf(stdout, "dead-letter file now holds %d events\n", len(keep))
	if len(keep) > 0 || len(bad) > 0 {
		return ExitRuntime
	}
	return ExitOK
}

// reEntry rewrites an entry's line with the new rejection.
func reEntry(e dlqEntry, now string, status int, reason string) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(e.line, &m) != nil {
		return e.line
	}
	m["@timestamp"], _ = json.Marshal(now)
	m["status"], _ = json.Marshal(status)
	m["reason"], _ = json.Marshal(reason)
	b, err := json.Marshal(m)
	if err != nil {
		return e.line
	}
	return b
}

// rewriteDLQ replaces the dead-letter files by one holding keep.
func rewriteDLQ(dataDir string, keep [][]byte) error {
	files := dlqFiles(dataDir)
	tmp, err := os.CreateTemp(filepath.Dir(files[1]), pipeline.DeadLetterName+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	for _, l := range keep {
		w.Write(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
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
	if err := os.Rename(tmp.Name(), files[1]); err != nil {
		return err
	}
	if err := os.Remove(files[0]); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// lockDataDir takes path.data's lock (the one `shipper run` holds).
func lockDataDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "shipper.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("path.data %s is in use by a running shipper (lock %s): stop it first", dir, f.Name())
	}
	return func() { f.Close() }, nil
}
