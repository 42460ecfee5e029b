package file

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/inputs/squid"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// squidLines returns n native-format squid lines with the mix of
// scripts/bench/gen: optional user, content type, server and URL parts, so
// that the documents alternate between a few dozen key sets as a real
// access.log's do (the Encoder's plan lookup is part of what is measured).
func squidLines(n int) []string {
	r := rand.New(rand.NewPCG(42, 1))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	hosts := []string{"media.example.org", "www.example.com", "cdn.static.example.net", "api.example.io", "login.example.com"}
	paths := []string{"/", "/index.html", "/uploads/image/%x.png", "/api/v1/items/%d", "/api/v2/search?q=term%d&page=2", "/robots.txt"}
	ip := func() string {
		return fmt.Sprintf("%d.%d.%d.%d", 11+r.IntN(150), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	}
	lines := make([]string, n)
	ms := int64(1572202844000)
	for i := range lines {
		ms += int64(r.IntN(40))
		method := pick("GET", "GET", "GET", "GET", "GET", "GET", "CONNECT", "POST", "HEAD")
		result, status := pick("TCP_MISS", "TCP_MISS", "TCP_HIT", "TCP_MEM_HIT", "TCP_DENIED"), pick("200", "200", "200", "304", "404", "302")
		ctype := pick("text/html", "image/png", "application/json", "application/javascript", "text/css", "-")
		user := "-"
		if r.IntN(100) < 15 {
			user = pick("alice", "bob", "carol@EXAMPLE.COM", "svc-backup")
		}
		host := hosts[r.IntN(len(hosts))]
		var url string
		if method == "CONNECT" {
			url, result, status, ctype = host+":"+pick("443", "443", "8443"), "TCP_TUNNEL", "200", "-"
		} else {
			p := paths[r.IntN(len(paths))]
			switch {
			case strings.Contains(p, "%x"):
				p = fmt.Sprintf(p, r.Uint32())
			case strings.Contains(p, "%d"):
				p = fmt.Sprintf(p, r.IntN(100000))
			}
			url = pick("https://", "https://", "https://", "http://") + host + p
		}
		hier, server := pick("HIER_DIRECT", "HIER_DIRECT", "ORIGINAL_DST", "FIRSTUP_PARENT", "HIER_NONE"), "-"
		if hier != "HIER_NONE" {
			server = ip()
		}
		lines[i] = fmt.Sprintf("%d.%03d %6d %s %s/%s %d %s %s %s %s/%s %s", ms/1000, ms%1000, r.IntN(900),
			"192.168."+fmt.Sprint(r.IntN(256))+"."+fmt.Sprint(1+r.IntN(254)), result, status, 200+r.IntN(60000),
			method, url, user, hier, server, ctype)
	}
	return lines
}

// squidEvents parses lines as the squid input does and adds the fields the
// pipeline adds (input.type, agent.*, host.name, ecs.version), in the same
// order: the documents `shipper run` writes with output.file.
func squidEvents(b *testing.B, lines []string) []*event.Event {
	p, err := squid.NewParser(squid.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	static := event.Fields{
		{Key: "input.type", Value: "squid"}, {Key: "agent.type", Value: "shipper"}, {Key: "agent.name", Value: "vm"},
		{Key: "agent.version", Value: "0.1.0-dev"}, {Key: "agent.id", Value: "35340207-4cbb-456c-9e8d-bb1bdeae14a1"},
		{Key: "host.name", Value: "vm"}, {Key: "ecs.version", Value: "8.11.0"},
	}
	evs := make([]*event.Event, len(lines))
	var off int64
	for i, l := range lines {
		e := event.New(time.Time{}, 48)
		e.Fields.Add("message", l)
		e.Fields.Add("log.file.path", "/var/log/squid/access.log")
		e.Fields.Add("log.offset", off)
		off += int64(len(l)) + 1
		if _, err := p.Parse([]byte(l), e); err != nil {
			b.Fatal(err)
		}
		if e.HasTag("_grokparsefailure") {
			b.Fatalf("line %q did not parse", l)
		}
		e.Fields = append(e.Fields, static...)
		evs[i] = e
	}
	return evs
}

// BenchmarkSquid is the file output's share of a squid → file run:
// Encode is the Encoder alone, Publish the whole write path (batches of
// bulk_max_size documents appended to a file in the temporary directory).
var benchN = 4096

func BenchmarkSquid(b *testing.B) {
	evs := squidEvents(b, squidLines(benchN))
	b.Run("Encode", func(b *testing.B) {
		var enc event.Encoder
		var buf []byte
		var n int64
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			buf = enc.Append(buf[:0], evs[i%len(evs)])
			n += int64(len(buf)) + 1
			i++
		}
		b.SetBytes(n / int64(i))
	})
	b.Run("Publish", func(b *testing.B) {
		cfg := DefaultConfig()
		cfg.Path, cfg.RotateEveryKB = b.TempDir(), 1<<30
		o, err := New(cfg, monitoring.NewRegistry())
		if err != nil {
			b.Fatal(err)
		}
		defer o.Close()
		const batch = 1024
		batches := make([]*pipeline.Batch, len(evs)/batch)
		for i := range batches {
			batches[i] = pipeline.NewTestBatch(evs[i*batch : (i+1)*batch]...)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := o.Publish(context.Background(), batches[i%len(batches)]); err != nil {
				b.Fatal(err)
			}
			i++
			if o.size > 64<<20 { // keep the temporary file small
				if err := o.f.Truncate(0); err != nil {
					b.Fatal(err)
				}
				o.size = 0
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i*batch), "ns/event")
	})
}
