package mpstat

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

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func parseFile(t testing.TB, path string, loc *time.Location) []*event.Event {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC) }
	return sysstattest.ParseLines(t, NewParser(loc, sysstat.DateAuto, now), text)
}

// TestGolden runs every capture in testdata through the parser: real
// sysstat 12.6.1 output in C, en_US.UTF-8 (12-hour), de_DE.UTF-8 (decimal
// comma, "Durchschn.:") and S_TIME_FORMAT=ISO, plus a hand-made old-style
// report (%user/%system, AM/PM across midnight, a second report).
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) < 5 {
		t.Fatalf("testdata has %d captures, want >= 5", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			evs := parseFile(t, f, mustLoc(t, "Europe/Berlin"))
			sysstattest.Golden(t, strings.TrimSuffix(f, ".txt")+".golden.ndjson", evs)
			sysstattest.CheckCatalog(t, evs, Fields, filestream.Fields)
			for _, e := range evs {
				if e.HasTag(ParseFailureTag) {
					t.Errorf("parse failure on a real capture: %v", string(event.AppendJSON(nil, e)))
				}
			}
		})
	}
}

func TestRealCaptures(t *testing.T) {
	f := func(file string, wantTimes []string, wantIdle0 float64) {
		t.Helper()
		evs := parseFile(t, "testdata/"+file, time.UTC)
		// 2 samples x (all + CPU 0 + CPU 1); the Average block is skipped.
		if len(evs) != 6 {
			t.Fatalf("%s: %d events, want 6", file, len(evs))
		}
		for i, e := range evs {
			if got := e.Timestamp.Format(time.RFC3339); got != wantTimes[i/3] {
				t.Errorf("%s event %d: @timestamp %s, want %s", file, i, got, wantTimes[i/3])
			}
		}
		if ds, _ := evs[0].Fields.GetString("event.dataset"); ds != "system.cpu" {
			t.Errorf("%s: first event dataset %q, want system.cpu", file, ds)
		}
		if ds, _ := evs[1].Fields.GetString("event.dataset"); ds != "system.core" {
			t.Errorf("%s: second event dataset %q, want system.core", file, ds)
		}
		if v, _ := evs[1].Fields.Get("system.core.idle.pct"); v != wantIdle0 {
			t.Errorf("%s: CPU 0 idle = %v, want %v", file, v, wantIdle0)
		}
		if v, _ := evs[0].Fields.Get("system.cpu.cores"); v != int64(2) {
			t.Errorf("%s: system.cpu.cores = %v, want 2", file, v)
		}
	}
	f("mpstat-P-ALL.C.txt", []string{"2026-11-25T08:27:29Z", "2026-11-25T08:27:30Z"}, 0.99)
	f("mpstat-P-ALL.en_US.UTF-8.txt", []string{"2026-11-25T08:27:31Z", "2026-11-25T08:27:32Z"}, 1.0)
	f("mpstat-P-ALL.de_DE.UTF-8.txt", []string{"2026-11-25T08:27:33Z", "2026-11-25T08:27:34Z"}, 1.0)
}

func TestTwelveHourMidnightAndRepeatedHeader(t *testing.T) {
	evs := parseFile(t, "testdata/mpstat-old-12h-midnight.txt", mustLoc(t, "America/New_York"))
	var got []string
	for _, e := range evs {
		got = append(got, e.Timestamp.UTC().Format(time.RFC3339))
	}
	want := []string{
		"2027-01-01T04:59:59Z", "2027-01-01T04:59:59Z", "2027-01-01T04:59:59Z", // 11:59:59 PM EST Dec 31
		"2027-01-01T05:00:00Z", "2027-01-01T05:00:00Z", "2027-01-01T05:00:00Z", // 12:00:00 AM: next day
		"2027-01-01T17:30:01Z", "2027-01-01T17:30:01Z", "2027-01-01T17:30:01Z", // second report, 12:30:01 PM
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("timestamps\n got %v\nwant %v", got, want)
	}
	// %user (old name) maps like %usr.
	if v, _ := evs[4].Fields.Get("system.core.user.pct"); v != 0.2 {
		t.Errorf("CPU 0 user = %v, want 0.2", v)
	}
	if v, _ := evs[3].Fields.Get("system.cpu.user.pct"); v != 0.2 { // 10 % of each of 2 CPUs
		t.Errorf("all user.pct = %v, want 0.2", v)
	}
	if v, _ := evs[3].Fields.Get("system.cpu.user.norm.pct"); v != 0.1 {
		t.Errorf("all user.norm.pct = %v, want 0.1", v)
	}
	if v, _ := evs[0].Fields.GetString("host.hostname"); v != "edge-router" {
		t.Errorf("host.hostname = %q", v)
	}
}

func TestLines(t *testing.T) {
	hdr := "Linux 6.1.0 (r1) \t2026-03-29 \t_aarch64_\t(4 CPU)"
	cols := "01:59:59     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle"
	f := func(name string, lines []string, wantKept int, wantTag bool) {
		t.Helper()
		p := NewParser(mustLoc(t, "Europe/Berlin"), sysstat.DateAuto, nil)
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
	f("blank and header", []string{"", hdr, "", cols}, 0, false)
	f("row", []string{hdr, cols, "02:00:00     all    1.00 0 0 0 0 0 0 0 0 99.00"}, 1, false)
	f("row before columns", []string{"02:00:00     all    1.00 0 0 0 0 0 0 0 0 99.00"}, 1, true)
	f("short row", []string{hdr, cols, "02:00:00     all    1.00"}, 1, true)
	f("garbage", []string{"hello world"}, 1, true)
	f("bad number", []string{hdr, cols, "02:00:00     0    x 0 0 0 0 0 0 0 0 99.00"}, 1, true)
	f("interrupt table skipped", []string{hdr, "02:00:00  CPU    intr/s", "02:00:01  all    100.00"}, 0, false)
	f("node table skipped", []string{hdr, "02:00:00  NODE    %usr %idle", "02:00:01  all    1.0 99.0"}, 0, false)
	f("localised average", []string{hdr, cols, "Moyenne :  all 1 0 0 0 0 0 0 0 0 99", "Durchschn.:  all 1 0 0 0 0 0 0 0 0 99"}, 1, true) // "Moyenne" alone is not a summary label
}

// DST: 2026-03-29 02:30 does not exist in Europe/Berlin; it is read as
// 03:30 CEST (the gap's length forward), deterministically.
func TestDSTGap(t *testing.T) {
	p := NewParser(mustLoc(t, "Europe/Berlin"), sysstat.DateAuto, nil)
	lines := []string{
		"Linux 6.1.0 (r1) \t2026-03-29 \t_aarch64_\t(1 CPU)",
		"02:29:59     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle",
		"02:30:00       0    1.00 0 0 0 0 0 0 0 0 99.00",
	}
	var e *event.Event
	for _, l := range lines {
		e = event.New(time.Time{}, 8)
		p.Parse([]byte(l), e)
	}
	if got := e.Timestamp.UTC().Format(time.RFC3339); got != "2026-03-29T01:30:00Z" {
		t.Errorf("02:30 in the gap = %s, want 2026-03-29T01:30:00Z (03:30 CEST)", got)
	}
}

// A parser that starts after the header (the tailer resuming from its
// cursor) takes host and CPU count from the file's first line, and today's
// date.
func TestResumeAfterHeader(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	p := NewParser(time.UTC, sysstat.DateAuto, func() time.Time { return now })
	p.path = "testdata/mpstat-P-ALL.C.txt"
	text, _ := os.ReadFile(p.path)
	lines := strings.Split(string(text), "\n")
	var evs []*event.Event
	for _, l := range lines[7:] { // from the second sample's column header
		e := event.New(time.Time{}, 8)
		if keep, _ := p.Parse([]byte(l), e); keep {
			evs = append(evs, e)
		}
	}
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3", len(evs))
	}
	if v, _ := evs[0].Fields.Get("system.cpu.cores"); v != int64(2) {
		t.Errorf("system.cpu.cores = %v, want 2 from the file's header", v)
	}
	if got := evs[0].Timestamp.Format(time.RFC3339); got != "2026-11-26T08:27:30Z" {
		t.Errorf("@timestamp %s, want today's date", got)
	}
}
