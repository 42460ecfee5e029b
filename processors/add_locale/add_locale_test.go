package addlocale

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
)

func build(t *testing.T, cfg string) *Processor {
	t.Helper()
	p, err := New(proctest.Section(t, cfg), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return p.(*Processor)
}

// TestExportTimezone and TestTimezoneFormat follow Beats' tests.
func TestExportTimezone(t *testing.T) {
	p := build(t, "- add_locale: {format: abbreviation}")
	e := proctest.Event(t, `{}`)
	p.Run(e)
	zone, _ := time.Now().Zone()
	if got, _ := e.Fields.GetString("event.timezone"); got != zone {
		t.Fatalf("got %q, want %q", got, zone)
	}
}

func TestTimezoneFormat(t *testing.T) {
	p := build(t, "- add_locale: ~")
	for name, re := range map[string]string{"Africa/Asmara": `^\+\d{2}:\d{2}$`, "America/Curacao": `^-\d{2}:\d{2}$`} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Format(time.Now().In(loc).Zone()); !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("%s: %q", name, got)
		}
	}
	for off, want := range map[int]string{0: "+00:00", 19800: "+05:30", -16200: "-04:30", -3600: "-01:00"} {
		if got := p.Format("X", off); got != want {
			t.Errorf("%d: %q, want %q", off, got, want)
		}
	}
}

func TestDST(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for when, want := range map[time.Time]string{
		time.Date(2026, 7, 1, 12, 0, 0, 0, paris): "CEST|+02:00",
		time.Date(2026, 1, 1, 12, 0, 0, 0, paris): "CET|+01:00",
	} {
		var got []string
		for _, f := range []string{"abbreviation", "offset"} {
			p := build(t, "- add_locale: {format: "+f+"}")
			p.now = func() time.Time { return when }
			e := proctest.Event(t, `{"event": {"timezone": "old"}}`)
			p.Run(e)
			v, _ := e.Fields.GetString("event.timezone")
			got = append(got, v)
		}
		if strings.Join(got, "|") != want {
			t.Errorf("%v: %v, want %s", when, got, want)
		}
	}
}

func TestInvalidFormat(t *testing.T) {
	_, err := New(proctest.Section(t, "- add_locale:\n    format: full"), processors.Env{})
	if err == nil || err.Error() != "test.yml:3: processors[0].add_locale.format: 'full' is not a valid format option for the add_locale processor. Valid options are 'abbreviation' and 'offset'." {
		t.Fatalf("got %v", err)
	}
}
