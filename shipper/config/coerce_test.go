package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

type coerceTarget struct {
	IgnoreOlder time.Duration            `yaml:"ignore_older"`
	Timeout     time.Duration            `yaml:"timeout"`
	Period      time.Duration            `yaml:"period"`
	Backoff     *time.Duration           `yaml:"backoff"`
	Worker      int                      `yaml:"worker"`
	Ratio       float64                  `yaml:"ratio"`
	Enabled     bool                     `yaml:"enabled"`
	Paths       []string                 `yaml:"paths"`
	Size        ByteSize                 `yaml:"size"`
	Name        string                   `yaml:"name"`
	Nested      struct{ Max int }        `yaml:"nested"`
	Per         map[string]time.Duration `yaml:"per"`
	List        []struct {
		Wait time.Duration `yaml:"wait"`
	} `yaml:"list"`
}

// Beats (go-ucfg reify.go) reads a number as seconds where a duration is
// expected, a quoted number as a number and one value as a list of one; an
// unchanged filebeat.yml depends on it (issue 15).
func TestDecodeReadsValuesAsBeatsDoes(t *testing.T) {
	yml := `
ignore_older: 0
timeout: 90
period: 0.5
backoff: "30"
worker: "2"
ratio: "0.25"
enabled: "false"
paths: /var/log/x.log
size: 10MiB
name: 123
nested: {max: "7"}
per: {a: 5, b: 1m}
list: [{wait: 2}, {wait: 250ms}]
`
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(yml), &n); err != nil {
		t.Fatal(err)
	}
	got := coerceTarget{Enabled: true}
	if err := (Section{Node: n.Content[0], File: "f.yml"}).Decode(&got); err != nil {
		t.Fatal(err)
	}
	backoff := 30 * time.Second
	want := coerceTarget{
		IgnoreOlder: 0, Timeout: 90 * time.Second, Period: 500 * time.Millisecond, Backoff: &backoff,
		Worker: 2, Ratio: 0.25, Enabled: false, Paths: []string{"/var/log/x.log"}, Size: 10 * MiB, Name: "123",
	}
	want.Nested.Max = 7
	want.Per = map[string]time.Duration{"a": 5 * time.Second, "b": time.Minute}
	want.List = []struct {
		Wait time.Duration `yaml:"wait"`
	}{{2 * time.Second}, {250 * time.Millisecond}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Decode (-want +got):\n%s", d)
	}
	// The operator's text stays as written for export config.
	if v := (Section{Node: n.Content[0]}).String("timeout"); v != "90" {
		t.Errorf("node timeout = %q after Decode, want the original 90", v)
	}
}

func TestDecodeStillRefusesWhatBeatsRefuses(t *testing.T) {
	f := func(yml, want string) {
		t.Helper()
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(yml), &n); err != nil {
			t.Fatal(err)
		}
		var got coerceTarget
		err := (Section{Node: n.Content[0], File: "f.yml"}).Decode(&got)
		if err == nil || err.Error() != want {
			t.Errorf("Decode(%q) error = %v, want %s", yml, err, want)
		}
	}
	f("timeout: 5 minutes\n", `f.yml:1: timeout: invalid duration "5 minutes" (want seconds as a number, or a duration: 90s, 5m, 1h30m, 250ms)`)
	f("worker: two\n", "f.yml:1: worker: cannot unmarshal !!str `two` into int")
	f("worker: \"2.5\"\n", "f.yml:1: worker: cannot unmarshal !!str `2.5` into int")
	f("enabled: maybe\n", "f.yml:1: enabled: cannot unmarshal !!str `maybe` into bool")
}
