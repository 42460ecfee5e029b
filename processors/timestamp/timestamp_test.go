package timestamp

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

var expected = time.Date(2015, 3, 7, 11, 6, 39, 0, time.UTC)

func withTS(v any) *event.Event {
	e := event.New(time.Time{}, 2)
	e.Fields.Put("ts", v)
	return e
}

func mustNew(t *testing.T, cfg Config) *Processor {
	t.Helper()
	p, err := NewProcessor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestParsePatterns follows Beats' test of the same name.
func TestParsePatterns(t *testing.T) {
	c := DefaultConfig()
	c.Field = "ts"
	c.Layouts = []string{time.ANSIC, time.RFC3339Nano, time.RFC3339}
	p := mustNew(t, c)
	for name, layout := range map[string]string{"ANSIC": time.ANSIC, "RFC3339Nano": time.RFC3339Nano, "RFC3339": time.RFC3339} {
		e, err := p.Run(withTS(expected.Format(layout)))
		if err != nil || !e.Timestamp.Equal(expected) || e.Timestamp.Location() != time.UTC {
			t.Errorf("%s: %v %v", name, e.Timestamp, err)
		}
	}
	for layout, unit := range map[string]int64{"UNIX": expected.Unix(), "UNIX_MS": expected.UnixMilli()} {
		c.Layouts = []string{layout}
		p := mustNew(t, c)
		for _, v := range []any{unit, float64(unit), strconv.FormatInt(unit, 10), strconv.FormatInt(unit, 10) + ".0"} {
			e, err := p.Run(withTS(v))
			if err != nil || !e.Timestamp.Equal(expected) {
				t.Errorf("%s %T %v: %v %v", layout, v, v, e.Timestamp, err)
			}
		}
	}
}

func TestParseNoYear(t *testing.T) {
	c := DefaultConfig()
	c.Field = "ts"
	c.Layouts = []string{time.StampMilli}
	var err error
	if c.Timezone, err = ParseTimezone("EST"); err != nil {
		t.Fatal(err)
	}
	p := mustNew(t, c)
	p.now = func() time.Time { return time.Date(2031, 1, 1, 12, 0, 0, 0, time.UTC) }
	e, err := p.Run(withTS("Mar  7 11:06:39.002"))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2031, 3, 7, 11, 6, 39, int(2*time.Millisecond), p.tz).UTC()
	if !e.Timestamp.Equal(want) {
		t.Fatalf("got %v, want %v", e.Timestamp, want)
	}
}

func TestIgnoreMissing(t *testing.T) {
	c := DefaultConfig()
	c.Field, c.Layouts = "ts", []string{time.RFC3339}
	_, err := mustNew(t, c).Run(event.New(time.Time{}, 0))
	if err == nil || err.Error() != "failed to get time field ts: key not found" {
		t.Fatalf("got %v", err)
	}
	c.IgnoreMissing = true
	if _, err := mustNew(t, c).Run(event.New(time.Time{}, 0)); err != nil {
		t.Fatal(err)
	}
}

func TestIgnoreFailure(t *testing.T) {
	c := DefaultConfig()
	c.Field, c.Layouts = "ts", []string{time.RFC3339}
	e := withTS(expected.Format(time.Kitchen))
	_, err := mustNew(t, c).Run(e)
	if err == nil || err.Error() != "failed parsing time field ts='11:06AM'" {
		t.Fatalf("got %v", err)
	}
	c.IgnoreFailure = true
	if _, err := mustNew(t, c).Run(e); err != nil || !e.Timestamp.IsZero() {
		t.Fatalf("%v %v", err, e.Timestamp)
	}
	if _, err := mustNew(t, c).Run(event.New(time.Time{}, 0)); err != nil {
		t.Fatalf("ignore_failure should cover a missing field: %v", err)
	}
}

func TestBuiltInTest(t *testing.T) {
	_, err := New(proctest.Section(t, `- timestamp:
    field: ts
    layouts: ["2006-01-89T15:04:05Z07:00"]
    test: ["2015-03-07T11:06:39Z"]`), processors.Env{})
	if err == nil || !strings.HasPrefix(err.Error(), "test.yml:5: processors[0].timestamp.test: failed to parse test timestamp: failed parsing time field ts='2015-03-07T11:06:39Z'") {
		t.Fatalf("got %v", err)
	}
}

func TestTimezone(t *testing.T) {
	for tz, want := range map[string]any{
		"":                 expected,
		"America/Panama":   expected.Add(5 * time.Hour),
		"Etc/UTC":          expected,
		"Etc/GMT+2":        expected.Add(2 * time.Hour),
		"+0000":            expected,
		"+0430":            expected.Add(-4*time.Hour - 30*time.Minute),
		"+03:00":           expected.Add(-3 * time.Hour),
		"+00:30":           expected.Add(-30 * time.Minute),
		"+04":              expected.Add(-4 * time.Hour),
		"-03:30":           expected.Add(3*time.Hour + 30*time.Minute),
		"-00:30":           expected.Add(30 * time.Minute),
		"-04":              expected.Add(4 * time.Hour),
		"Z":                nil,
		"Equatorial/Kundu": nil,
		"-400":             nil,
	} {
		p, err := New(proctest.Section(t, "- timestamp:\n    field: ts\n    layouts: ['"+time.ANSIC+"']\n    timezone: '"+tz+"'"), processors.Env{})
		if want == nil {
			if err == nil || !strings.HasPrefix(err.Error(), "test.yml:5: processors[0].timestamp.timezone: unknown time zone") {
				t.Errorf("%q: got %v", tz, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tz, err)
			continue
		}
		e, err := p.Run(withTS(expected.Format(time.ANSIC)))
		if err != nil || !e.Timestamp.Equal(want.(time.Time)) {
			t.Errorf("%q: got %v %v, want %v", tz, e.Timestamp, err, want)
		}
	}
}

// TestDocsExample is Beats' documented example, with drop_fields replaced
// by a check of the parsed time.
func TestDocsExample(t *testing.T) {
	p, err := New(proctest.Section(t, `- timestamp:
    field: start_time
    layouts:
      - '2006-01-02T15:04:05Z'
      - '2006-01-02T15:04:05.999Z'
    test:
      - '2019-06-22T16:33:51Z'
      - '2019-11-18T04:59:51.123Z'`), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	e := proctest.Event(t, `{"start_time": "2019-11-18T04:59:51.123Z"}`)
	if _, err := p.Run(e); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2019, 11, 18, 4, 59, 51, 123e6, time.UTC); !e.Timestamp.Equal(want) {
		t.Fatalf("got %v", e.Timestamp)
	}
}

func TestTargetField(t *testing.T) {
	c := DefaultConfig()
	c.Field, c.TargetField, c.Layouts = "ts", "event.created", []string{time.RFC3339}
	e, err := mustNew(t, c).Run(withTS("2015-03-07T12:06:39+01:00"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := e.Fields.Get("event.created"); v != expected {
		t.Fatalf("event.created = %#v", v)
	}
	if !e.Timestamp.IsZero() {
		t.Fatal("@timestamp changed")
	}
}

func TestConfigErrors(t *testing.T) {
	_, err := New(proctest.Section(t, "- timestamp: {target_field: x}"), processors.Env{})
	if err == nil || !strings.Contains(err.Error(), "field: required") || !strings.Contains(err.Error(), "layouts: required") {
		t.Fatalf("got %v", err)
	}
}

func TestUnderWhen(t *testing.T) {
	procs, err := processors.Build(proctest.Sections(t, `- timestamp:
    field: ts
    layouts: [UNIX]
    when.has_fields: [ts]
`), processors.Env{Metrics: monitoring.NewRegistry(), Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e := proctest.Event(t, `{"ts": 1425726399}`)
	if _, err := procs[0].Run(e); err != nil || !e.Timestamp.Equal(expected) {
		t.Fatalf("%v %v", e.Timestamp, err)
	}
	e = proctest.Event(t, `{"other": 1}`)
	if _, err := procs[0].Run(e); err != nil || !e.Timestamp.Equal(proctest.Time) {
		t.Fatalf("%v %v", e.Timestamp, err)
	}
}
