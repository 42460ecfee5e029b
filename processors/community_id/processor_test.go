package communityid

import (
	"net"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
)

// tcpEvent is Beats' communityid_test.go event:
// 1:LQU9qZlK+B5F3KDmev6m5PMibrg= | 128.232.110.120 66.35.250.204 6 34855 80
func tcpEvent() *event.Event {
	e := event.New(time.Unix(0, 0), 8)
	e.Fields.Put("source.ip", "128.232.110.120")
	e.Fields.Put("source.port", 34855)
	e.Fields.Put("destination.ip", "66.35.250.204")
	e.Fields.Put("destination.port", 80)
	e.Fields.Put("network.transport", "TCP")
	return e
}

// TestRunBeatsCases follows Beats' TestRun case by case.
func TestRunBeatsCases(t *testing.T) {
	for _, c := range []struct {
		name   string
		seed   uint16
		change func(e *event.Event)
		want   any // nil: no ID
	}{
		{"valid", 0, func(*event.Event) {}, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{"seed", 123, func(*event.Event) {}, "1:hTSGlFQnR58UCk+NfKRZzA32dPg="},
		{"invalid source IP", 0, func(e *event.Event) { e.Fields.Put("source.ip", int64(2162716280)) }, nil},
		{"invalid destination IP", 0, func(e *event.Event) { e.Fields.Put("destination.ip", "308.111.1.2.3") }, nil},
		{"invalid destination port", 0, func(e *event.Event) { e.Fields.Put("source.port", nil) }, nil},
		{"port out of range", 0, func(e *event.Event) { e.Fields.Put("source.port", 70000) }, nil},
		{"unknown protocol", 0, func(e *event.Event) { e.Fields.Put("network.transport", "xyz") }, nil},
		{"icmp", 0, func(e *event.Event) {
			e.Fields.Put("network.transport", "icmp")
			e.Fields.Put("icmp.type", 3)
			e.Fields.Put("icmp.code", 3)
		}, "1:KF3iG9XD24nhlSy4r1TcYIr5mfE="},
		{"icmp without typecode", 0, func(e *event.Event) { e.Fields.Put("network.transport", "icmp") }, "1:PAE85ZfR4SbNXl5URZwWYyDehwU="},
		{"igmp", 0, func(e *event.Event) {
			e.Fields.Delete("source.port")
			e.Fields.Delete("destination.port")
			e.Fields.Put("network.transport", "igmp")
		}, "1:D3t8Q1aFA6Ev0A/AO4i9PnU3AeI="},
		{"protocol number as string", 0, func(e *event.Event) {
			e.Fields.Delete("source.port")
			e.Fields.Delete("destination.port")
			e.Fields.Put("network.transport", "2")
		}, "1:D3t8Q1aFA6Ev0A/AO4i9PnU3AeI="},
		{"protocol number", 0, func(e *event.Event) {
			e.Fields.Delete("source.port")
			e.Fields.Delete("destination.port")
			e.Fields.Put("network.transport", 2)
		}, "1:D3t8Q1aFA6Ev0A/AO4i9PnU3AeI="},
		{"iana number", 0, func(e *event.Event) {
			e.Fields.Delete("network.transport")
			e.Fields.Put("network.iana_number", 6)
		}, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{"ports as strings, net.IP", 0, func(e *event.Event) {
			e.Fields.Put("source.ip", net.ParseIP("128.232.110.120"))
			e.Fields.Put("source.port", "34855")
			e.Fields.Put("destination.port", float64(80))
		}, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{"target already set", 0, func(e *event.Event) { e.Fields.Put("network.community_id", "x") }, "x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Seed = c.seed
			e := tcpEvent()
			c.change(e)
			out, err := NewProcessor(cfg).Run(e)
			if err != nil || out != e {
				t.Fatalf("Run: %v, %v", out, err)
			}
			got, ok := e.Fields.Get("network.community_id")
			if c.want == nil {
				if ok {
					t.Fatalf("got %v, want no ID", got)
				}
				return
			}
			if got != c.want {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func section(t *testing.T, src string) config.Section {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return config.Section{Node: n.Content[0], File: "shipper.yml", Path: "processors[0].community_id"}
}

func TestConfig(t *testing.T) {
	p, err := New(section(t, "fields: {source_ip: client.ip, source_port: client.port}\ntarget: flow.id\nseed: 123\n"), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	e := event.New(time.Unix(0, 0), 8)
	e.Fields.Put("client.ip", "128.232.110.120")
	e.Fields.Put("client.port", 34855)
	e.Fields.Put("destination.ip", "66.35.250.204")
	e.Fields.Put("destination.port", 80)
	e.Fields.Put("network.transport", "tcp")
	p.Run(e)
	if got, _ := e.Fields.GetString("flow.id"); got != "1:hTSGlFQnR58UCk+NfKRZzA32dPg=" {
		t.Fatalf("got %q", got)
	}

	for _, bad := range []string{"seed: 70000\n", "sed: 1\n", "target: ''\n"} {
		if _, err := New(section(t, bad), processors.Env{}); err == nil {
			t.Errorf("%q: no error", bad)
		} else if t.Logf("%q: %v", bad, err); !containsLine(err.Error()) {
			t.Errorf("%q: error without file:line: %v", bad, err)
		}
	}
}

func containsLine(s string) bool { return strings.HasPrefix(s, "shipper.yml:") }

func TestFieldsCatalog(t *testing.T) {
	e := tcpEvent()
	NewProcessor(DefaultConfig()).Run(e)
	if err := fields.Check(e, fieldsYAML); err != nil {
		// source/destination fields come from inputs' catalogs; only ours matters.
		if strings.Contains(err.Error(), "network.community_id") {
			t.Fatal(err)
		}
	}
}
