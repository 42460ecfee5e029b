package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLoadErrorsNameFileLineAndKey(t *testing.T) {
	f := func(name, yml string, want ...string) {
		t.Helper()
		_, err := LoadBytes([]byte(yml), "shipper.yml", nil)
		if err == nil {
			t.Errorf("%s: no error, want %q", name, want)
			return
		}
		got := err.Error()
		if got != strings.Join(want, "\n") {
			t.Errorf("%s: error =\n%s\nwant\n%s", name, got, strings.Join(want, "\n"))
		}
	}
	base := "shipper.inputs:\n  - {type: squid, id: a, paths: [x]}\n"
	f("unknown key with hint", base+"output.console: {}\nqueue.mem.event: 10\n",
		`shipper.yml:4: queue.mem.event: unknown key "event" (did you mean "events"?)`)
	f("bad type", base+"output.console: {}\nqueue.mem.events: lots\n",
		"shipper.yml:4: queue.mem.events: cannot unmarshal !!str `lots` into int")
	f("missing output", base,
		"shipper.yml: no enabled output: set exactly one of output.elasticsearch, output.file, output.console")
	f("two outputs", base+"output.console: {}\noutput.file: {path: /tmp}\n",
		"shipper.yml:3: output: exactly one enabled output is allowed, found 2: output.console, output.file (disable the others with enabled: false)")
	f("set twice", base+"output.console: {}\nlogging.level: info\nlogging:\n  level: debug\n",
		"shipper.yml:6: logging.level: set twice (also on line 4)")
	f("duplicate id", "shipper.inputs:\n  - {type: squid, id: a, paths: [x]}\n  - {type: squid, id: a, paths: [y]}\noutput.console: {}\n",
		`shipper.yml:3: shipper.inputs[1].id: id "a" is also used by shipper.inputs[0]; ids must be unique (they key the registry)`)
	f("unset env", base+"output.console: {}\npath.data: ${SHIPPER_TEST_UNSET_VAR}\n",
		"shipper.yml:4: path.data: environment variable SHIPPER_TEST_UNSET_VAR is not set (use ${SHIPPER_TEST_UNSET_VAR:default} for a default)")
	f("bad level", base+"output.console: {}\nlogging.level: loud\n",
		`shipper.yml:4: logging.level: unknown level "loud" (want debug, info, warning or error)`)
	f("memory limit too small", base+"output.console: {}\nmemory_limit: 1MiB\n",
		"shipper.yml:4: memory_limit: must be 0 (no limit) or at least 8MiB, got 1048576 bytes")
	f("size that is not a size", base+"output.console: {}\nlogging.to_files: true\nlogging.files.rotateeverybytes: big\nqueue.mem.events: lots\n",
		`shipper.yml:5: logging.files.rotateeverybytes: invalid size "big" (want a number with an optional unit: 512KiB, 10MiB, 1GiB)`,
		"shipper.yml:6: queue.mem.events: cannot unmarshal !!str `lots` into int")
	f("memory limit not a size", base+"output.console: {}\nmemory_limit: lots\n",
		`shipper.yml:4: memory_limit: invalid size "lots" (want a number with an optional unit: 512KiB, 10MiB, 1GiB)`)
	f("gc_percent and queue.mem.bytes out of range, both reported", base+"output.console: {}\ngc_percent: -1\nqueue:\n  mem:\n    bytes: 1KiB\n",
		"shipper.yml:7: queue.mem.bytes: must be 0 (no byte bound) or at least 32KiB (as in Beats), got 1024 bytes",
		"shipper.yml:4: gc_percent: must be > 0 (0: the default, 200; GOGC=off in the environment turns the collector off), got -1")
	f("gc_percent and queue.mem.bytes of the wrong type", base+"output.console: {}\ngc_percent: lots\nqueue.mem.bytes: big\n",
		"shipper.yml:4: gc_percent: cannot unmarshal !!str `lots` into int",
		`shipper.yml:5: queue.mem.bytes: invalid size "big" (want a number with an optional unit: 512KiB, 10MiB, 1GiB)`)
}

func TestLoadExpandsEnvDottedKeysAndOverrides(t *testing.T) {
	t.Setenv("SHIPPER_TEST_EVENTS", "512")
	yml := "shipper.inputs:\n  - {type: squid, id: a, paths: [x]}\noutput.console: {}\nqueue.mem.events: ${SHIPPER_TEST_EVENTS}\npath:\n  data: ${SHIPPER_TEST_NOPE:/var/lib/shipper}\nshipper.registry.flush: 5s\n"
	c, err := LoadBytes([]byte(yml), "shipper.yml", []string{"logging.level=debug", "path.data=/tmp/d"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Queue.Mem.Events != 512 || c.Path.Data != "/tmp/d" || c.Logging.Level != "debug" || c.Shipper.Registry.Flush != 5*time.Second {
		t.Errorf("events=%d data=%q level=%q flush=%s", c.Queue.Mem.Events, c.Path.Data, c.Logging.Level, c.Shipper.Registry.Flush)
	}
	if s := c.Shipper.Inputs[0]; s.String("type") != "squid" || s.Path != "shipper.inputs[0]" {
		t.Errorf("input section = %q at %q", s.String("type"), s.Path)
	}
}

// TestMemoryLimit: memory_limit defaults to DefaultMemoryLimit, takes a
// size with a unit, and 0 turns the limit off (issue 17).
func TestMemoryLimit(t *testing.T) {
	f := func(line string, want ByteSize) {
		t.Helper()
		yml := "shipper.inputs:\n  - {type: squid, id: a, paths: [x]}\noutput.console: {}\n" + line
		c, err := LoadBytes([]byte(yml), "shipper.yml", nil)
		if err != nil {
			t.Fatalf("LoadBytes(%q): %v", line, err)
		}
		if c.MemoryLimit != want {
			t.Errorf("LoadBytes(%q).MemoryLimit = %d, want %d", line, c.MemoryLimit, want)
		}
	}
	f("", DefaultMemoryLimit)
	f("memory_limit: 48MiB\n", 48*MiB)
	f("memory_limit: 0\n", 0)
	f("memory_limit: 8MiB\n", MinMemoryLimit)
}

// TestGCPercentAndQueueBytes: gc_percent defaults to DefaultGCPercent
// (0 in the file means the default, as in Beats); queue.mem.bytes defaults
// to DefaultQueueBytes, takes a size, and 0 turns the byte bound off
// (issue 17).
func TestGCPercentAndQueueBytes(t *testing.T) {
	f := func(line string, pct int, bytes ByteSize) {
		t.Helper()
		yml := "shipper.inputs:\n  - {type: squid, id: a, paths: [x]}\noutput.console: {}\n" + line
		c, err := LoadBytes([]byte(yml), "shipper.yml", nil)
		if err != nil {
			t.Fatalf("LoadBytes(%q): %v", line, err)
		}
		if c.GCPercent != pct || c.Queue.Mem.Bytes != bytes {
			t.Errorf("LoadBytes(%q): gc_percent %d, queue.mem.bytes %d; want %d, %d", line, c.GCPercent, c.Queue.Mem.Bytes, pct, bytes)
		}
	}
	f("", DefaultGCPercent, DefaultQueueBytes)
	f("gc_percent: 50\nqueue.mem.bytes: 64MiB\n", 50, 64*MiB)
	f("gc_percent: 0\nqueue.mem.bytes: 0\n", 0, 0)
	f("queue.mem.bytes: 32768\n", DefaultGCPercent, MinQueueBytes)
}

func TestSecretIsRedacted(t *testing.T) {
	s := Secret("hunter2")
	for _, got := range []string{s.String(), s.GoString(), s.LogValue().String()} {
		if got != "[redacted]" {
			t.Errorf("secret printed as %q", got)
		}
	}
}

// TestFlowMappingErrorsNameTheirKey: in a flow mapping every key is on the
// same line; an error names the key it is about, not the line's first key
// (was "x.a" for all three).
func TestFlowMappingErrorsNameTheirKey(t *testing.T) {
	root, err := Parse([]byte("x: {a: 1, timeout: abc, n: lots, re: {p: q}}\n"), "f.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := Section{Node: root.Content[1], File: "f.yml", Path: "x"}
	var v struct {
		A       int           `yaml:"a"`
		Timeout time.Duration `yaml:"timeout"`
		N       int           `yaml:"n"`
		Re      struct {
			P string `yaml:"p"`
		} `yaml:"re"`
		Extra int `yaml:"extra"`
	}
	want := "f.yml:1: x.timeout: invalid duration \"abc\" (want seconds as a number, or a duration: 90s, 5m, 1h30m, 250ms)\n" +
		"f.yml:1: x.n: cannot unmarshal !!str `lots` into int"
	if err := s.Decode(&v); err == nil || err.Error() != want {
		t.Errorf("Decode error =\n%v\nwant\n%s", err, want)
	}
}

// TestOverrideListItem: -E reaches into a list by index as Beats' go-ucfg
// does (filebeat.inputs.0.enabled=false); it was "cannot unmarshal !!map
// into []config.Section". An index past the end adds an item.
func TestOverrideListItem(t *testing.T) {
	yml := "filebeat.inputs:\n  - {type: squid, id: a, paths: [x]}\n  - {type: squid, id: b, paths: [y]}\noutput.console: {}\n"
	c, err := LoadBytes([]byte(yml), "shipper.yml", []string{"filebeat.inputs.1.paths=[z]", "filebeat.inputs.0.id=first", "filebeat.inputs.2={type: squid, id: c, paths: [w]}"})
	if err != nil {
		t.Fatal(err)
	}
	in := c.Shipper.Inputs
	if len(in) != 3 || in[0].String("id") != "first" || in[1].String("id") != "b" || in[2].String("id") != "c" {
		t.Fatalf("inputs = %d, ids %q %q", len(in), in[0].String("id"), in[1].String("id"))
	}
	if p := in[1].Lookup("paths"); p == nil || len(p.Content) != 1 || p.Content[0].Value != "z" {
		t.Errorf("inputs[1].paths = %v", p)
	}
	_, err = LoadBytes([]byte(yml), "shipper.yml", []string{"filebeat.inputs.5.id=x"})
	if err == nil || !strings.Contains(err.Error(), "-E filebeat.inputs.5.id=x") {
		t.Errorf("index far past the end: error %v, want one naming the -E", err)
	}
}

type twoKeys struct {
	Timeout time.Duration `yaml:"timeout"`
	Worker  int           `yaml:"worker"`
	Backoff struct {
		Init time.Duration `yaml:"init"`
	} `yaml:"backoff"`
}

func (c *twoKeys) Validate() error {
	var errs []error
	if c.Worker <= 0 {
		errs = append(errs, fmt.Errorf("worker: must be > 0, got %d", c.Worker))
	}
	if c.Backoff.Init <= 0 {
		errs = append(errs, fmt.Errorf("backoff.init: must be > 0, got %s", c.Backoff.Init))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout: must be > 0, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// TestDecodeReportsValidationBesideTypeErrors: a type error in one key no
// longer hides Validate's errors about the others ("all of them at once");
// Validate's errors about a key that failed to decode (judging a default)
// are still left out.
func TestDecodeReportsValidationBesideTypeErrors(t *testing.T) {
	root, err := Parse([]byte("x:\n  timeout: abc\n  worker: 0\n  backoff.init: 0s\n"), "f.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	v := twoKeys{Timeout: time.Second, Worker: 1}
	v.Backoff.Init = time.Second
	err = Section{Node: root.Content[1], File: "f.yml", Path: "x"}.Decode(&v)
	want := "f.yml:2: x.timeout: invalid duration \"abc\" (want seconds as a number, or a duration: 90s, 5m, 1h30m, 250ms)\n" +
		"f.yml:3: x.worker: must be > 0, got 0\n" +
		"f.yml:4: x.backoff.init: must be > 0, got 0s"
	if err == nil || err.Error() != want {
		t.Errorf("Decode error =\n%v\nwant\n%s", err, want)
	}
}
