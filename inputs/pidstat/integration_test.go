//go:build integration

package pidstat

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/inputs/internal/sysstat/sysstattest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

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

// TestRealPidstat runs Debian's pidstat (-u -r -d for every task, and -h)
// through the command mode in C, en_US.UTF-8 (12-hour) and de_DE.UTF-8
// (decimal comma) and checks that PID 1 and this test process show up with
// their figures.
func TestRealPidstat(t *testing.T) {
	sysstattest.RequireProgram(t, "pidstat", "sysstat")
	for _, locale := range []string{"C", "en_US.UTF-8", "de_DE.UTF-8"} {
		for _, argv := range [][]string{
			{"pidstat", "-u", "-r", "-d", "-p", "ALL", "1", "1"},
			{"pidstat", "-h", "-u", "-r", "-p", "ALL", "1", "1"},
		} {
			t.Run(locale+" "+strings.Join(argv[1:4], ""), func(t *testing.T) {
				if locale != "C" {
					sysstattest.RequireLocale(t, locale)
				}
				cfg := DefaultConfig()
				cfg.Command.Command = argv
				cfg.Command.Env = []string{"LC_ALL=" + locale}
				cfg.Timezone = "Local"
				m := monitoring.NewRegistry()
				in, err := New(cfg, inputs.Env{ID: "ps", Name: "input.ps", Once: true, Metrics: m})
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now().Add(-2 * time.Second)
				var c collector
				if err := in.Run(context.Background(), &c); err != nil {
					t.Fatal(err)
				}
				if n := m.Counter("input.ps.run_failures").Load(); n != 0 {
					t.Fatalf("run_failures = %d", n)
				}
				if len(c.evs) < 2 {
					t.Fatalf("%d events, want one per task", len(c.evs))
				}
				sysstattest.CheckCatalog(t, c.evs, Fields, filestream.Fields)
				// Without -h, -u, -r and -d are separate tables: a task
				// gives one event per table, only the -r one has RSS.
				self := false
				for i, e := range c.evs {
					if e.HasTag(ParseFailureTag) {
						t.Fatalf("event %d: parse failure: %v", i, e.Fields)
					}
					if e.Timestamp.Before(start.Truncate(time.Second)) || e.Timestamp.After(time.Now().Add(time.Second)) {
						t.Fatalf("event %d: @timestamp %v is not the sample time", i, e.Timestamp)
					}
					if pid, _ := e.Fields.Get("process.pid"); pid == int64(os.Getpid()) {
						if rss, ok := e.Fields.Get("system.process.memory.rss.bytes"); ok {
							self = true
							if rss.(int64) < 1<<20 {
								t.Errorf("own RSS = %v, want > 1 MiB in bytes", rss)
							}
						}
					}
				}
				if !self {
					t.Errorf("this test process (pid %d) has no RSS event among %d events", os.Getpid(), len(c.evs))
				}
			})
		}
	}
}

// TestRealPidstatText checks the 12-hour marker is really in the en_US
// output, so the test above covers the AM/PM path.
func TestRealPidstatText(t *testing.T) {
	sysstattest.RequireProgram(t, "pidstat", "sysstat")
	sysstattest.RequireLocale(t, "en_US.UTF-8")
	raw, err := sysstat.CommandSource(sysstat.CommandConfig{Command: []string{"pidstat", "-p", "1", "1", "1"}, Period: 10 * time.Second, Env: []string{"LC_ALL=en_US.UTF-8"}})(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), " AM ") && !strings.Contains(string(raw), " PM ") {
		t.Fatalf("en_US.UTF-8 pidstat output has no AM/PM:\n%s", raw)
	}
}
