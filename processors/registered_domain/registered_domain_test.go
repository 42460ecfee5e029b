package registereddomain

import (
	"strings"
	"testing"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

func build(t *testing.T, cfg string) processors.Processor {
	t.Helper()
	p, err := New(proctest.Section(t, "- registered_domain: "+cfg), processors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProcessorRun is Beats' test of the same name.
func TestProcessorRun(t *testing.T) {
	p := build(t, "{field: domain, target_field: registered_domain}")
	for domain, want := range map[string]string{
		"www.google.com":   "google.com",
		"www.google.co.uk": "google.co.uk",
		"google.com":       "google.com",
		"www.ak.local":     "ak.local",
		// Beats' old test expected "." for "."; x/net/publicsuffix (which
		// Beats uses too) now refuses the empty label.
		".":            "",
		"www.navy.mil": "navy.mil",
		"com":          "",
		"":             "",
		"localhost":    "",
	} {
		e := proctest.Event(t, `{"domain": "`+domain+`"}`)
		_, err := p.Run(e)
		if want == "" {
			if err == nil || !strings.HasPrefix(err.Error(), "failed to determine the registered domain: ") {
				t.Errorf("%q: err %v", domain, err)
			}
			continue
		}
		if got, _ := e.Fields.GetString("registered_domain"); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", domain, got, err, want)
		}
	}
}

func TestETLDAndSubdomain(t *testing.T) {
	p := build(t, "{field: url.domain, target_field: url.registered_domain, target_etld_field: url.top_level_domain, target_subdomain_field: url.subdomain}")
	e := proctest.Event(t, `{"url": {"domain": "www.mail.google.co.uk"}}`)
	if _, err := p.Run(e); err != nil {
		t.Fatal(err)
	}
	want := `{"url": {"domain": "www.mail.google.co.uk", "registered_domain": "google.co.uk", "top_level_domain": "co.uk", "subdomain": "www.mail"}}`
	if got := proctest.JSON(t, e); got != proctest.Canon(t, want) {
		t.Fatalf("got %s", got)
	}
	e = proctest.Event(t, `{"url": {"domain": "google.com"}}`)
	p.Run(e)
	if e.Fields.Has("url.subdomain") {
		t.Fatalf("subdomain of a registered domain: %v", e.Fields)
	}
}

func TestMissingAndFailures(t *testing.T) {
	for cfg, want := range map[string]string{
		"{field: d, target_field: t}":                         "registered_domain source field [d] not found: key not found",
		"{field: d, target_field: t, ignore_missing: true}":   "",
		"{field: d, target_field: t, ignore_failure: true}":   "",
		"{field: n, target_field: t}":                         "registered_domain source field [n] is not a string",
		"{field: n, target_field: t, ignore_missing: true}":   "registered_domain source field [n] is not a string",
		"{field: n, target_field: t, ignore_failure: true}":   "",
		"{field: bad, target_field: t, ignore_failure: true}": "",
	} {
		_, err := build(t, cfg).Run(proctest.Event(t, `{"n": 1, "bad": "com"}`))
		if want == "" && err != nil || want != "" && (err == nil || err.Error() != want) {
			t.Errorf("%s: %v, want %q", cfg, err, want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []string{"~", "{field: x}", "{target_field: x}"} {
		_, err := New(proctest.Section(t, "- registered_domain: "+cfg), processors.Env{})
		if err == nil || !strings.HasPrefix(err.Error(), "test.yml:2: processors[0].registered_domain") {
			t.Errorf("%s: %v", cfg, err)
		}
	}
}

// TestDocsExample is Beats' documented configuration.
func TestDocsExample(t *testing.T) {
	procs, err := processors.Build(proctest.Sections(t, `- registered_domain:
    field: dns.question.name
    target_field: dns.question.registered_domain
    ignore_missing: true
    ignore_failure: true
    when.has_fields: [dns.question.name]
`), processors.Env{Metrics: monitoring.NewRegistry(), Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	for doc, want := range map[string]string{
		`{"dns": {"question": {"name": "www.example.org"}}}`: `{"dns": {"question": {"name": "www.example.org", "registered_domain": "example.org"}}}`,
		`{"message": "no dns"}`:                              `{"message": "no dns"}`,
	} {
		e := proctest.Event(t, doc)
		if _, err := procs[0].Run(e); err != nil {
			t.Fatal(err)
		}
		if got := proctest.JSON(t, e); got != proctest.Canon(t, want) {
			t.Errorf("%s: %s", doc, got)
		}
	}
}
