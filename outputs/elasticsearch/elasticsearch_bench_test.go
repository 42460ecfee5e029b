package elasticsearch_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// BenchmarkPublish measures the output's own cost per event (encode the
// bulk body, gzip or not, post it over loopback, judge every item) against
// a server that answers a canned all-201 response.
func BenchmarkPublish(b *testing.B) {
	const n = 1000
	items := strings.TrimSuffix(strings.Repeat(`{"create":{"status":201}},`, n), ",")
	resp := `{"took":1,"errors":false,"items":[` + items + `]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/" {
			io.WriteString(w, `{"version":{"number":"8.15.0"}}`)
			return
		}
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, resp)
	}))
	defer srv.Close()
	evs := make([]*event.Event, n)
	ts := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range evs {
		e := event.New(ts, 16)
		e.Fields.Add("message", fmt.Sprintf("1551271200.%03d    %d 192.168.1.%d TCP_MISS/200 %d GET http://example.com/a/b/%d - HIER_DIRECT/93.184.216.34 text/html", i, 100+i, i%250, 1000+i, i))
		e.Fields.Add("event.dataset", "squid.access")
		e.Fields.Add("event.action", "TCP_MISS")
		e.Fields.Add("http.request.method", "GET")
		e.Fields.Add("http.response.status_code", int64(200))
		e.Fields.Add("http.response.bytes", int64(1000+i))
		e.Fields.Add("source.ip", fmt.Sprintf("192.168.1.%d", i%250))
		e.Fields.Add("url.original", fmt.Sprintf("http://example.com/a/b/%d", i))
		e.Fields.Add("event.duration", int64(100+i)*1e6)
		e.Fields.Add("host.name", "router")
		e.Fields.Add("agent.type", "shipper")
		e.Meta.ID = fmt.Sprintf("sq-%08x", i)
		evs[i] = e
	}
	for _, level := range []int{0, 1} {
		b.Run(fmt.Sprintf("gzip=%d", level), func(b *testing.B) {
			cfg := elasticsearch.DefaultConfig()
			cfg.Hosts = []string{srv.URL}
			cfg.CompressionLevel = level
			out, err := elasticsearch.New(cfg, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				batch := pipeline.NewTestBatch(evs...)
				if err := out.Publish(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}
