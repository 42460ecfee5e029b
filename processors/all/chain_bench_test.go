package all_test

import (
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/squid"
	"github.com/shipper-project/shipper/processors"
	_ "github.com/shipper-project/shipper/processors/all"
	"github.com/shipper-project/shipper/processors/internal/proctest"
	"github.com/shipper-project/shipper/shipper/event"
)

const squidLine = "1795594313.777     87 10.0.0.5 TCP_MISS/200 48213 GET http://www.wikipedia.org/wiki/Squid - HIER_DIRECT/185.15.59.224 text/html"

// chain is the typical Beats chain of issue 15: dissect a line, drop the
// health checks by condition, tag the site, rename a field.
const chain = `
- dissect:
    tokenizer: "%{timestamp->} %{squid.request.duration|long} %{source.ip} %{event.action}/%{http.response.status_code|long} %{http.response.bytes|long} %{http.request.method} %{url.original} %{user.name} %{squid.hierarchy_code}/%{destination.address} %{http.response.mime_type}"
    target_prefix: ""
- drop_event:
    when:
      and:
        - equals.url.original: "http://health.local/ping"
        - network.source.ip: loopback
- add_fields:
    target: ""
    fields: {observer.vendor: squid, observer.type: proxy}
- rename:
    fields: [{from: squid.hierarchy_code, to: squid.hierarchy}]
`

// BenchmarkChain puts the cost of the processor chain per event next to
// the squid input's own parse of the same line (same run, same machine):
//
//	go test -run '^$' -bench Chain -benchmem ./processors/all/
//
// "squid-parse" is inputs/squid's parser (the native format to ECS),
// "chain" the four processors on an event holding the line,
// "no-processors" the pipeline's loop over an empty list (what a config
// without processors pays).
func BenchmarkChain(b *testing.B) {
	ps, err := processors.Build(proctest.Sections(b, chain), processors.Env{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("squid-parse", func(b *testing.B) {
		p, err := squid.NewParser(squid.DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(squidLine)))
		b.ReportAllocs()
		for b.Loop() {
			e := event.New(time.Time{}, 32)
			e.Fields.Add("message", squidLine)
			p.Parse([]byte(squidLine), e)
		}
	})
	b.Run("chain", func(b *testing.B) {
		b.SetBytes(int64(len(squidLine)))
		b.ReportAllocs()
		for b.Loop() {
			e := event.New(time.Time{}, 32)
			e.Fields.Add("message", squidLine)
			run(b, ps, e)
		}
	})
	b.Run("no-processors", func(b *testing.B) {
		b.SetBytes(int64(len(squidLine)))
		b.ReportAllocs()
		none, _ := processors.Build(nil, processors.Env{})
		for b.Loop() {
			e := event.New(time.Time{}, 32)
			e.Fields.Add("message", squidLine)
			run(b, none, e)
		}
	})
}

// BenchmarkChainRatio interleaves the squid parse and the chain event by
// event, so that the load of a shared machine weighs on both alike, and
// reports each one's ns per event and their ratio (chain/squid). Both
// include making the event (as an input does); "alloc" is that part alone.
//
//	go test -run '^$' -bench ChainRatio -count 5 ./processors/all/
func BenchmarkChainRatio(b *testing.B) {
	ps, err := processors.Build(proctest.Sections(b, chain), processors.Env{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	p, err := squid.NewParser(squid.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	var tSquid, tChain, tAlloc time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		e := event.New(time.Time{}, 32)
		e.Fields.Add("message", squidLine)
		t1 := time.Now()
		p.Parse([]byte(squidLine), e)
		t2 := time.Now()
		e = event.New(time.Time{}, 32)
		e.Fields.Add("message", squidLine)
		run(b, ps, e)
		t3 := time.Now()
		tAlloc += t1.Sub(t0)
		tSquid += t2.Sub(t0)
		tChain += t3.Sub(t2)
		n++
	}
	b.ReportMetric(float64(tSquid.Nanoseconds())/float64(n), "ns-squid/ev")
	b.ReportMetric(float64(tChain.Nanoseconds())/float64(n), "ns-chain/ev")
	b.ReportMetric(float64(tAlloc.Nanoseconds())/float64(n), "ns-alloc/ev")
	b.ReportMetric(float64(tChain)/float64(tSquid), "chain/squid")
}

func run(b *testing.B, ps []processors.Processor, e *event.Event) {
	for _, p := range ps {
		out, err := p.Run(e)
		if err != nil {
			b.Fatal(err)
		}
		if out == nil {
			return
		}
		e = out
	}
}

// TestChain checks what the benchmark measures: the line is parsed, kept,
// enriched and renamed.
func TestChain(t *testing.T) {
	ps, err := processors.Build(proctest.Sections(t, chain), processors.Env{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	e := event.New(proctest.Time, 32)
	e.Fields.Add("message", squidLine)
	for _, p := range ps {
		if e, err = p.Run(e); err != nil || e == nil {
			t.Fatalf("%s: %v, %v", p, e, err)
		}
	}
	for k, want := range map[string]any{
		"squid.hierarchy": "HIER_DIRECT", "observer.vendor": "squid", "source.ip": "10.0.0.5",
		"http.response.status_code": int64(200),
	} {
		if got, _ := e.Fields.Get(k); got != want {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	if e.Fields.Has("squid.hierarchy_code") {
		t.Error("squid.hierarchy_code not renamed")
	}
	drop := event.New(proctest.Time, 32)
	drop.Fields.Add("message", "1795594313.777     1 127.0.0.1 TCP_MISS/200 5 GET http://health.local/ping - HIER_DIRECT/127.0.0.1 text/plain")
	for _, p := range ps {
		if drop, _ = p.Run(drop); drop == nil {
			break
		}
	}
	if drop != nil {
		t.Error("health check not dropped")
	}
}
