package dissect_test

import (
	"bufio"
	"os"
	"testing"
	"time"

	"github.com/shipper-project/shipper/processors"
	_ "github.com/shipper-project/shipper/processors/all"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
)

// BenchmarkChain is issue 15's typical chain — dissect, drop_event under a
// condition, add_fields, rename — per squid event, next to the squid parse
// alone (grok %{SQUID_NATIVE}) in the same run:
//
//	go test -run '^$' -bench Chain -benchmem ./processors/dissect/
func BenchmarkChain(b *testing.B) {
	f, err := os.Open("../../testdata/squid-access.log")
	if err != nil {
		b.Fatal(err)
	}
	var lines []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	f.Close()
	for _, c := range []struct{ name, procs string }{
		{"grok-squid-parse", `- grok: {patterns: ["%{SQUID_NATIVE}"]}`},
		{"dissect+drop_event+add_fields+rename", `- dissect:
    tokenizer: "%{timestamp->} %{squid.request.duration} %{source.ip} %{event.action}/%{http.response.status_code} %{http.response.bytes} %{http.request.method} %{url.original} %{user.name} %{squid.hierarchy_code}/%{destination.address} %{http.response.mime_type}"
    target_prefix: ""
    ignore_failure: true
- drop_event:
    when.equals.event.action: TCP_DENIED_REPLY
- add_fields: {target: "", fields: {observer.name: gw1}}
- rename:
    fields: [{from: url.original, to: url.full}]
    ignore_missing: true`},
	} {
		b.Run(c.name, func(b *testing.B) {
			procs, err := processors.Build(proctest.Sections(b, c.procs), processors.Env{Metrics: monitoring.NewRegistry(), Name: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				e := event.New(time.Unix(0, 0), 24)
				e.Fields.Add("message", lines[i%len(lines)])
				for _, p := range procs {
					if e, _ = p.Run(e); e == nil {
						break
					}
				}
			}
		})
	}
}
