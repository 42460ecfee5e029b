package snort

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// FuzzParse: no panic; a non-blank line is always an event, tagged when it
// failed.
func FuzzParse(f *testing.F) {
	text, err := os.ReadFile("testdata/alert_json.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(text, []byte("\n")) {
		f.Add(l)
	}
	f.Add([]byte(`{"timestamp":"02/29-23:59:60.9999999999"}`))
	f.Add([]byte(`{"seconds":-99999999999999,"timestamp":"99/99/99-99:99:99"}`))
	loc, _ := time.LoadLocation("Europe/Berlin")
	f.Fuzz(func(t *testing.T, line []byte) {
		p := NewParser(loc, func() time.Time { return time.Unix(1.8e9, 0) }, true)
		e := event.New(time.Time{}, 8)
		keep, err := p.Parse(line, e)
		if err != nil {
			v, _ := e.Fields.Get("tags")
			if tags, _ := v.([]string); len(tags) == 0 {
				t.Fatalf("Parse(%q): error %v without a tag", line, err)
			}
		}
		if keep && e.Timestamp.IsZero() {
			t.Fatalf("Parse(%q): event without a timestamp", line)
		}
		event.AppendJSON(nil, e)
	})
}
