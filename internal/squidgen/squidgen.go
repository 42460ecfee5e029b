// Package squidgen generates synthetic squid "native" access.log lines: the
// generator of the shared side-by-side harness, used by scripts/bench/gen and
// by tests and benchmarks that need varied, realistic lines. The same seed
// and start give the same lines, byte for byte, so every peer and every run
// reads the same input.
//
// Format (squid logformat "squid"):
//
//	%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
package squidgen

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
)

// DefaultStart is the first timestamp (Unix seconds) scripts/bench/gen uses
// unless told otherwise.
const DefaultStart = 1572202844

// Generator produces one line after another from a seeded source. It is not
// safe for concurrent use.
type Generator struct {
	r                      *rand.Rand
	ms                     int64 // the previous line's time, Unix milliseconds
	tM, tR, tS, tC, tU, tH int   // total weights of the weighted tables
}

// New returns a Generator whose first line is stamped at start (Unix seconds)
// plus a few milliseconds.
func New(seed, start int64) *Generator {
	return &Generator{
		r:  rand.New(rand.NewSource(seed)),
		ms: start * 1000,
		tM: sum(methods), tR: sum(results), tS: sum(statuses), tC: sum(ctypes), tU: sum(users), tH: sum(hiers),
	}
}

// Lines returns the first n lines of New(seed, DefaultStart).
func Lines(n int, seed int64) []string {
	g := New(seed, DefaultStart)
	out := make([]string, 0, n)
	buf := make([]byte, 0, 512)
	for range n {
		buf = g.Append(buf[:0])
		out = append(out, string(buf))
	}
	return out
}

// Append appends the next line, without a newline, to dst and returns the
// extended slice.
func (g *Generator) Append(dst []byte) []byte {
	r := g.r
	g.ms += int64(r.Intn(40))
	method := pick(r, methods, g.tM)
	result := pick(r, results, g.tR)
	status := pick(r, statuses, g.tS)
	ctype := pick(r, ctypes, g.tC)
	user := pick(r, users, g.tU)
	hier := pick(r, hiers, g.tH)
	host := hosts[r.Intn(len(hosts))]
	var url string
	if method == "CONNECT" {
		url = host + ":" + ports[r.Intn(len(ports))]
		result, status, ctype = "TCP_TUNNEL", "200", "-"
		if r.Intn(20) == 0 {
			result, status = "TCP_DENIED", "403"
		}
	} else {
		scheme := "https://"
		if r.Intn(4) == 0 {
			scheme = "http://"
		}
		p := paths[r.Intn(len(paths))]
		switch {
		case strings.Contains(p, "%x"):
			p = fmt.Sprintf(p, r.Uint32())
		case strings.Contains(p, "%d"):
			p = fmt.Sprintf(p, r.Intn(100000))
		case strings.Contains(p, "%%"):
			p = strings.ReplaceAll(p, "%%", "%")
		}
		url = scheme + host + p
	}
	if result == "TCP_DENIED" {
		hier, ctype = "HIER_NONE", "text/html"
		if status == "200" {
			status = "403"
		}
	}
	if result == "NONE" {
		status, hier = "000", "HIER_NONE"
	}
	if result == "TCP_HIT" || result == "TCP_MEM_HIT" || result == "TCP_IMS_HIT" {
		hier = "HIER_NONE"
	}
	server := "-"
	if hier != "HIER_NONE" {
		server = publicIP(r)
	}
	dur := r.Intn(900)
	if r.Intn(10) == 0 {
		dur = r.Intn(120000)
	}
	if r.Intn(2000) == 0 {
		dur = 1000000 + r.Intn(9000000) // very long tunnel: wider than %6tr
	}
	size := 200 + r.Intn(60000)
	if r.Intn(50) == 0 {
		size = r.Intn(50000000)
	}
	dst = strconv.AppendInt(dst, g.ms/1000, 10)
	dst = append(dst, '.')
	frac := g.ms % 1000
	if frac < 100 {
		dst = append(dst, '0')
	}
	if frac < 10 {
		dst = append(dst, '0')
	}
	dst = strconv.AppendInt(dst, frac, 10)
	d := strconv.Itoa(dur)
	dst = append(dst, ' ')
	for k := len(d); k < 6; k++ {
		dst = append(dst, ' ')
	}
	dst = append(dst, d...)
	dst = append(dst, ' ')
	dst = append(dst, clientIP(r)...)
	dst = append(dst, ' ')
	dst = append(dst, result...)
	dst = append(dst, '/')
	dst = append(dst, status...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(size), 10)
	dst = append(dst, ' ')
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, url...)
	dst = append(dst, ' ')
	dst = append(dst, user...)
	dst = append(dst, ' ')
	dst = append(dst, hier...)
	dst = append(dst, '/')
	dst = append(dst, server...)
	dst = append(dst, ' ')
	dst = append(dst, ctype...)
	return dst
}

type weighted struct {
	v string
	w int
}

func pick(r *rand.Rand, xs []weighted, total int) string {
	n := r.Intn(total)
	for _, x := range xs {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return xs[len(xs)-1].v
}

func sum(xs []weighted) int {
	t := 0
	for _, x := range xs {
		t += x.w
	}
	return t
}

var (
	methods = []weighted{{"GET", 70}, {"CONNECT", 15}, {"POST", 9}, {"HEAD", 3}, {"PUT", 1}, {"OPTIONS", 1}, {"DELETE", 1}}
	results = []weighted{{"TCP_MISS", 45}, {"TCP_HIT", 12}, {"TCP_MEM_HIT", 6}, {"TCP_REFRESH_UNMODIFIED", 5}, {"TCP_REFRESH_MODIFIED", 2},
		{"TCP_IMS_HIT", 3}, {"TCP_DENIED", 4}, {"TCP_MISS_ABORTED", 2}, {"TCP_SWAPFAIL_MISS", 1}, {"NONE", 1}}
	statuses = []weighted{{"200", 70}, {"304", 8}, {"206", 3}, {"301", 3}, {"302", 4}, {"403", 3}, {"404", 4}, {"407", 2},
		{"500", 1}, {"502", 1}, {"503", 1}}
	hosts = []string{"media.example.org", "www.example.com", "cdn.static.example.net", "api.example.io", "login.example.com",
		"updates.example-os.org", "img.news.example.co.uk", "tracker.ads.example", "mail.example.com", "files.example-storage.net",
		"video.example.tv", "search.example.org", "repo.example-linux.org", "fonts.example-cdn.com", "telemetry.example.app"}
	paths = []string{"/", "/index.html", "/uploads/image/%x.png", "/static/js/app.%x.js", "/static/css/site.%x.css",
		"/api/v1/items/%d", "/api/v2/search?q=term%d&page=2", "/download/pkg-%d.tar.gz", "/favicon.ico",
		"/video/seg-%d.ts", "/img/thumb/%d.jpg", "/login?next=%%2Fhome", "/feed.xml", "/robots.txt", "/track?id=%x&ev=view"}
	ctypes = []weighted{{"text/html", 22}, {"image/png", 12}, {"image/jpeg", 10}, {"application/javascript", 10},
		{"text/css", 6}, {"application/json", 12}, {"application/octet-stream", 5}, {"video/mp2t", 3},
		{"text/xml", 2}, {"font/woff2", 3}, {"-", 15}}
	users = []weighted{{"-", 85}, {"alice", 4}, {"bob", 3}, {"carol@EXAMPLE.COM", 3}, {"svc-backup", 2}, {"dave", 3}}
	hiers = []weighted{{"HIER_DIRECT", 55}, {"ORIGINAL_DST", 20}, {"FIRSTUP_PARENT", 5}, {"DEFAULT_PARENT", 3}, {"HIER_NONE", 17}}
	ports = []string{"443", "443", "443", "443", "8443", "5228", "993"}
)

// publicIP returns a random address outside private/reserved ranges (text only; nothing connects to it).
func publicIP(r *rand.Rand) string {
	for {
		a := 1 + r.Intn(223)
		switch {
		case a == 10, a == 127, a == 100, a == 169, a == 172, a == 192, a == 198, a == 203, a == 0:
			continue
		}
		return fmt.Sprintf("%d.%d.%d.%d", a, r.Intn(256), r.Intn(256), 1+r.Intn(254))
	}
}

func clientIP(r *rand.Rand) string {
	switch r.Intn(100) {
	case 0:
		return "-"
	case 1, 2, 3, 4, 5:
		return fmt.Sprintf("10.%d.%d.%d", r.Intn(256), r.Intn(256), 1+r.Intn(254))
	case 6:
		return "::1"
	case 7:
		return fmt.Sprintf("fd00:10:20::%x", 1+r.Intn(65535))
	default:
		return fmt.Sprintf("192.168.%d.%d", r.Intn(256), 1+r.Intn(254))
	}
}
