package pidstat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
	"github.com/shipper-project/shipper/shipper/event"
)

func parseFile(t testing.TB, path string, loc *time.Location) []*event.Event {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sysstattest.ParseLines(t, NewParser(loc, sysstat.DateAuto, nil), text)
}

// TestGolden runs every capture in testdata (real sysstat 12.6.1 output of
// pidstat -r, -d, -u, -u -r -d, -h and -t -l in C, en_US.UTF-8 and
// de_DE.UTF-8) through the parser.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) < 10 {
		t.Fatalf("testdata has %d captures, want >= 10", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			evs := parseFile(t, f, time.UTC)
			if len(evs) == 0 {
				t.Fatal("no events")
			}
			sysstattest.Golden(t, strings.TrimSuffix(f, ".txt")+".golden.ndjson", evs)
			sysstattest.CheckCatalog(t, evs, Fields, filestream.Fields)
			for _, e := range evs {
				if e.HasTag(ParseFailureTag) {
					t.Errorf("parse failure on a real capture: %s", event.AppendJSON(nil, e))
				}
				if _, ok := e.Fields.Get("process.pid"); !ok {
					t.Errorf("no process.pid: %s", event.AppendJSON(nil, e))
				}
			}
		})
	}
}

func get(t *testing.T, e *event.Event, key string) any {
	t.Helper()
	v, ok := e.Fields.Get(key)
	if !ok {
		t.Errorf("%s missing in %s", key, event.AppendJSON(nil, e))
	}
	return v
}

func TestValues(t *testing.T) {
	// pidstat -r, C: "08:27:42        0     10735     21.78      0.00    3184    2500   0.01  pidstat"
	evs := parseFile(t, "testdata/pidstat-r.C.txt", time.UTC)
	e := evs[1]
	for k, want := range map[string]any{
		"process.pid": int64(10735), "process.name": "pidstat", "user.id": "0",
		"system.process.memory.minflt_per_sec": 21.78,
		"system.process.memory.size":           int64(3184 * 1024),
		"system.process.memory.rss.bytes":      int64(2500 * 1024),
		"system.process.memory.rss.pct":        0.0001,
		"event.dataset":                        "system.process",
	} {
		if got := get(t, e, k); got != want {
			t.Errorf("%s = %v (%T), want %v", k, got, got, want)
		}
	}
	if got := e.Timestamp.Format(time.RFC3339); got != "2026-11-25T08:27:42Z" {
		t.Errorf("@timestamp %s", got)
	}
	// pidstat -d, de_DE: "08:27:42        0     10734     91,09 202792,08      0,00       0  timeout"
	evs = parseFile(t, "testdata/pidstat-d.de_DE.UTF-8.txt", time.UTC)
	if got := get(t, evs[0], "system.process.io.write_bytes_per_sec"); got != 202792.08*1024 {
		t.Errorf("write_bytes_per_sec = %v, want %v", got, 202792.08*1024)
	}
	// pidstat -u, en_US (12-hour): "08:27:43 AM     0     10743  100.00 … 100.00     0  sh"
	evs = parseFile(t, "testdata/pidstat-u.en_US.UTF-8.txt", time.UTC)
	last := evs[len(evs)-1]
	if got := get(t, last, "system.process.cpu.total.pct"); got != 1.0 {
		t.Errorf("cpu.total.pct = %v, want 1", got)
	}
	if got := last.Timestamp.Format(time.RFC3339); got != "2026-11-25T08:27:43Z" {
		t.Errorf("12-hour @timestamp %s", got)
	}
	// -t -l: a task row with a command line, then a thread row.
	evs = parseFile(t, "testdata/pidstat-tlu.en_US.UTF-8.txt", time.UTC)
	if got := get(t, evs[0], "process.command_line"); got != "/sbin/init splash" {
		t.Errorf("command_line = %v", got)
	}
	if got := get(t, evs[0], "process.name"); got != "init" {
		t.Errorf("name = %v", got)
	}
	if got := get(t, evs[1], "process.thread.name"); got != "tokio-rt-worker" {
		t.Errorf("thread.name = %v", got)
	}
	if got := get(t, evs[1], "process.pid"); got != int64(1) {
		t.Errorf("thread row pid = %v, want the task's 1", got)
	}
	if got := get(t, evs[1], "process.thread.id"); got != int64(75) {
		t.Errorf("thread.id = %v", got)
	}
}

func TestLines(t *testing.T) {
	hdr := "Linux 6.1.0 (r1) \t11/25/26 \t_aarch64_\t(4 CPU)"
	cols := "08:27:41      UID       PID  minflt/s  majflt/s     VSZ     RSS   %MEM  Command"
	f := func(name string, lines []string, wantKept int, wantTag bool) {
		t.Helper()
		p := NewParser(time.UTC, sysstat.DateAuto, nil)
		kept, tagged := 0, false
		for _, l := range lines {
			e := event.New(time.Time{}, 8)
			keep, err := p.Parse([]byte(l), e)
			if keep || err != nil {
				kept++
			}
			tagged = tagged || e.HasTag(ParseFailureTag)
		}
		if kept != wantKept || tagged != wantTag {
			t.Errorf("%s: kept %d tagged %v, want %d %v", name, kept, tagged, wantKept, wantTag)
		}
	}
	f("headers", []string{hdr, "", cols, "Average:      UID       PID  minflt/s"}, 0, false)
	f("row", []string{hdr, cols, "08:27:42        0     10735     21.78      0.00    3184    2500   0.01  pidstat"}, 1, false)
	f("row without header", []string{"08:27:42        0     10735     21.78      0.00    3184    2500   0.01  pidstat"}, 1, true)
	f("short row", []string{hdr, cols, "08:27:42        0     10735     21.78"}, 1, true)
	f("bad number", []string{hdr, cols, "08:27:42        0     10735     x      0.00    3184    2500   0.01  pidstat"}, 1, true)
	f("huge VSZ", []string{hdr, cols, "08:27:42        0     10735     1      0.00    99999999999999999    2500   0.01  pidstat"}, 1, true)
	f("garbage", []string{"hello"}, 1, true)
	f("old -h with Unix seconds", []string{hdr, "#      Time   UID       PID    %usr %system  %guest    %CPU   CPU  Command",
		" 1795591820     0         1    0.00    1.00    0.00    1.00     1  init"}, 1, false)
	f("-U user names", []string{hdr, "08:27:41     USER       PID  minflt/s  majflt/s     VSZ     RSS   %MEM  Command",
		"08:27:42     root     10735     21.78      0.00    3184    2500   0.01  pidstat"}, 1, false)
}
