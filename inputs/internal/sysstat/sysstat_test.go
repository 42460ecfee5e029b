package sysstat

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func TestParseFloat(t *testing.T) {
	f := func(in string, want float64, wantOK bool) {
		t.Helper()
		got, ok := ParseFloat([]byte(in))
		if got != want || ok != wantOK {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v, %v", in, got, ok, want, wantOK)
		}
	}
	f("12.50", 12.5, true)
	f("12,50", 12.5, true)
	f("100,00", 100, true)
	f("0", 0, true)
	f("-", 0, false)
	f("", 0, false)
	f("NaN", 0, false)
	f("Inf", 0, false)
	f("1.2.3", 0, false)
	f(strings.Repeat("1", 41), 0, false)
}

func TestParseClock(t *testing.T) {
	f := func(in string, wantSec, wantUsed int) {
		t.Helper()
		line := []byte(in)
		sec, used := ParseClock(line, Split(line, nil))
		if sec != wantSec || used != wantUsed {
			t.Errorf("ParseClock(%q) = %d, %d; want %d, %d", in, sec, used, wantSec, wantUsed)
		}
	}
	f("08:27:22 all", 8*3600+27*60+22, 1)
	f("08:27:22 AM all", 8*3600+27*60+22, 2)
	f("08:27:22 PM all", 20*3600+27*60+22, 2)
	f("12:00:01 AM all", 1, 2)
	f("12:00:01 PM all", 12*3600+1, 2)
	f("8:05:00 p.m. all", 20*3600+5*60, 2)
	f("13:00:00 PM", 0, 0)
	f("24:00:00", 0, 0)
	f("Average: all", 0, 0)
	f("", 0, 0)
	f("23:59:60", 23*3600+59*60+59, 1)
}

func TestParseDate(t *testing.T) {
	f := func(in string, order DateOrder, want string) {
		t.Helper()
		d, ok := ParseDate([]byte(in), order)
		got := "invalid"
		if ok {
			got = time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		}
		if got != want {
			t.Errorf("ParseDate(%q, %s) = %s, want %s", in, order, got, want)
		}
	}
	f("11/25/26", DateAuto, "2026-11-25")   // C
	f("11/25/2026", DateAuto, "2026-11-25") // en_US
	f("25.11.2026", DateAuto, "2026-11-25") // de_DE
	f("2026-11-25", DateAuto, "2026-11-25") // S_TIME_FORMAT=ISO
	f("25/11/2026", DateAuto, "2026-11-25") // en_GB: first > 12
	f("03/04/2026", DateAuto, "2026-03-04") // ambiguous: mdy unless told
	f("03/04/2026", DateDMY, "2026-04-03")
	f("2026/11/25", DateAuto, "2026-11-25")
	f("02/30/2026", DateAuto, "invalid")
	f("11-25/2026", DateAuto, "invalid")
	f("11/25", DateAuto, "invalid")
	f("1/2/3/4", DateAuto, "invalid")
}

func TestParseHeader(t *testing.T) {
	h, ok := ParseHeader([]byte("Linux 6.18.44-fc-v769 (vm) \t11/25/26 \t_x86_64_\t(2 CPU)"), DateAuto)
	if !ok || h.Host != "vm" || h.Kernel != "6.18.44-fc-v769" || h.Arch != "x86_64" || h.CPUs != 2 || h.Date != (Date{2026, 11, 25}) {
		t.Errorf("ParseHeader = %+v, %v", h, ok)
	}
	for _, bad := range []string{"", "Linux", "FreeBSD 14 (h) 11/25/26", "Linux 6.1 vm 11/25/26", "Linux 6.1 (vm) yesterday"} {
		if _, ok := ParseHeader([]byte(bad), DateAuto); ok {
			t.Errorf("ParseHeader(%q) accepted", bad)
		}
	}
}

func TestLocalTime(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	f := func(name string, h, m int, prev time.Time, want string) {
		t.Helper()
		day := 8 // 2026-03-08: 02:00 EST → 03:00 EDT
		if h >= 100 {
			day, h = 1, h-100 // 2026-11-01: 02:00 EDT → 01:00 EST
		}
		mo := time.March
		if day == 1 {
			mo = time.November
		}
		got := LocalTime(2026, mo, day, h, m, 0, 0, ny, prev).UTC().Format(time.RFC3339)
		if got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	f("before the gap", 1, 59, time.Time{}, "2026-03-08T06:59:00Z")
	f("in the gap: forward by an hour", 2, 30, time.Time{}, "2026-03-08T07:30:00Z")
	f("after the gap", 3, 0, time.Time{}, "2026-03-08T07:00:00Z")
	f("repeated hour: first", 101, 30, time.Time{}, "2026-11-01T05:30:00Z")
	f("repeated hour: second when prev is past the first", 101, 30, time.Date(2026, 11, 1, 5, 45, 0, 0, time.UTC), "2026-11-01T06:30:00Z")
	f("utc", 12, 0, time.Time{}, "2026-03-08T16:00:00Z")
	if got := LocalTime(2026, 3, 8, 2, 30, 0, 0, time.UTC, time.Time{}); got.Hour() != 2 {
		t.Errorf("UTC has no gap: %v", got)
	}
}

func TestClockMidnight(t *testing.T) {
	c := Clock{Loc: time.UTC}
	c.SetDate(Date{2026, 12, 31})
	var got []string
	for _, s := range []int{86398, 86399, 0, 1, 3600} {
		got = append(got, c.At(s).Format(time.RFC3339))
	}
	want := "2026-12-31T23:59:58Z 2026-12-31T23:59:59Z 2027-01-01T00:00:00Z 2027-01-01T00:00:01Z 2027-01-01T01:00:00Z"
	if strings.Join(got, " ") != want {
		t.Errorf("got %v\nwant %s", got, want)
	}
}

func TestClockWithoutHeader(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 30, 0, time.UTC)
	c := Clock{Loc: time.UTC, Now: func() time.Time { return now }}
	// 23:59:59 read at 00:00:30 is yesterday's.
	if got := c.At(86399).Format(time.RFC3339); got != "2026-11-24T23:59:59Z" {
		t.Errorf("no header: %s", got)
	}
}

func TestLoadLocation(t *testing.T) {
	if l, err := LoadLocation(""); err != nil || l != time.Local {
		t.Errorf("LoadLocation(\"\") = %v, %v", l, err)
	}
	if _, err := LoadLocation("Mars/Olympus"); err == nil {
		t.Error("unknown zone accepted")
	}
}

type lineCounter struct{ n int }

func (c *lineCounter) Parse(line []byte, e *event.Event) (bool, error) {
	c.n++
	e.Fields.Add("n", int64(c.n))
	return len(line) > 0, nil
}

type collector struct {
	mu  sync.Mutex
	evs []*event.Event
}

func (c *collector) Publish(_ context.Context, e *event.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evs = append(c.evs, e)
	return nil
}

func TestCommandSourceErrors(t *testing.T) {
	f := func(name string, cmd []string, timeout time.Duration, want string) {
		t.Helper()
		_, err := CommandSource(CommandConfig{Command: cmd, Period: time.Second, Timeout: timeout})(context.Background())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", name, err, want)
		}
	}
	f("not found", []string{"shipper-no-such-program"}, 0, "shipper-no-such-program not found in $PATH")
	f("exit status", []string{"sh", "-c", "echo 'mpstat: bad option' >&2; echo second >&2; exit 3"}, 0, `exit status 3, stderr: "mpstat: bad option"`)
	f("timeout", []string{"sleep", "10"}, 50*time.Millisecond, "killed after the 50ms timeout")
	out, err := CommandSource(CommandConfig{Command: []string{"sh", "-c", "echo $SHIPPER_T"}, Period: time.Second, Env: []string{"SHIPPER_T=x"}})(context.Background())
	if err != nil || string(out) != "x\n" {
		t.Errorf("env: %q, %v", out, err)
	}
}

// A failing run is counted, and the next period runs again.
func TestPollerRetries(t *testing.T) {
	calls := 0
	src := func(context.Context) ([]byte, error) {
		calls++
		if calls == 1 {
			return nil, context.DeadlineExceeded
		}
		return []byte("a\n\nb"), nil
	}
	m := monitoring.NewRegistry()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var c collector
	p := &Poller{Source: src, Period: 5 * time.Millisecond, NewParser: func() LineParser { return &lineCounter{} },
		Log: discard(), Metrics: m, Name: "input.x"}
	done := make(chan struct{})
	go func() { p.Run(ctx, &c); close(done) }()
	deadline := time.Now().Add(2 * time.Minute) // hang detector; the loop ends when the condition holds
	for {
		c.mu.Lock()
		n := len(c.evs)
		c.mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if m.Counter("input.x.run_failures").Load() != 1 {
		t.Errorf("run_failures = %d, want 1", m.Counter("input.x.run_failures").Load())
	}
	if len(c.evs) < 2 {
		t.Fatalf("%d events after a failed run, want the next run's 2", len(c.evs))
	}
	if v, _ := c.evs[1].Fields.Get("n"); v != int64(3) {
		t.Errorf("second event from line %v, want 3 (a fresh parser per run, blank line skipped)", v)
	}
}

func TestThrottle(t *testing.T) {
	th := Throttle{Interval: time.Hour}
	var calls, suppressed int
	for i := 0; i < 5; i++ {
		th.Do(func(n int) { calls++; suppressed = n })
	}
	if calls != 1 || th.n != 4 {
		t.Errorf("calls %d, pending %d; want 1, 4", calls, th.n)
	}
	th.last = time.Now().Add(-2 * time.Hour)
	th.Do(func(n int) { calls++; suppressed = n })
	if calls != 2 || suppressed != 4 {
		t.Errorf("after the interval: calls %d, suppressed %d; want 2, 4", calls, suppressed)
	}
}
