package main

import (
	"fmt"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

var (
	methods = [...]string{"GET", "CONNECT", "POST", "GET"}
	actions = [...]string{"TCP_MISS", "TCP_TUNNEL", "TCP_HIT", "TCP_MISS"}
	domains = [...]string{"www.example.org", "cdn.example.net", "api.example.com", "updates.example.io"}
	users   = [...]string{"alice", "-", "bob", "-"}
)

// squidEvent builds the i-th event the way the squid input and the runner
// shape it: ECS fields, a few agent/host statics, a deterministic _id. Its
// Elasticsearch document is about 500 bytes, its queue record about 600
// (both printed by the bench).
func squidEvent(i int) *event.Event {
	ts := time.Unix(1795594303, 0).Add(time.Duration(i) * 200 * time.Microsecond)
	k := i % 4
	size := 300 + (i*7919)%60000
	src := fmt.Sprintf("192.168.%d.%d", 1+i%4, 2+i%250)
	dst := fmt.Sprintf("93.184.%d.%d", i%200, 1+i%254)
	path := fmt.Sprintf("/static/%d/app.js", i%5000)
	url := "http://" + domains[k] + path
	status := int64(200)
	if i%17 == 0 {
		status = 404
	}
	e := event.New(ts, 32)
	e.Meta.ID = fmt.Sprintf("a1b2c3d4e5f60718-%d", 1_000_000+i*120)
	e.Fields.Add("host.name", "gw-1")
	e.Fields.Add("log.file.path", "/var/log/squid/access.log")
	e.Fields.Add("log.offset", int64(1_000_000+i*120))
	e.Fields.Add("event.dataset", "squid.access")
	e.Fields.Add("event.category", []string{"web", "network"})
	e.Fields.Add("event.type", []string{"access"})
	e.Fields.Add("event.action", actions[k])
	e.Fields.Add("event.outcome", "success")
	e.Fields.Add("source.ip", src)
	e.Fields.Add("destination.ip", dst)
	e.Fields.Add("http.request.method", methods[k])
	e.Fields.Add("http.response.status_code", status)
	e.Fields.Add("http.response.bytes", int64(size))
	e.Fields.Add("url.original", url)
	e.Fields.Add("url.domain", domains[k])
	e.Fields.Add("user.name", users[k])
	e.Private = int64(1_000_000 + i*120)
	return e
}
