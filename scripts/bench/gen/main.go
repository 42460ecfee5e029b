// Command gen writes N synthetic squid "native" access.log lines (the
// generator of the shared side-by-side harness, kept here so that
// scripts/bench/cpu-per-event.sh and scripts/figures.sh run from the repo).
//
// Format (squid logformat "squid"):
//
//	%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
//
// Output is deterministic for a given -seed so every peer reads the same input.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
)

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

func main() {
	n := flag.Int("n", 1000000, "number of lines")
	out := flag.String("o", "-", "output file (- for stdout)")
	seed := flag.Int64("seed", 42, "random seed")
	start := flag.Int64("start", 1572202844, "first timestamp (unix seconds)")
	flag.Parse()

	var f *os.File = os.Stdout
	if *out != "-" {
		var err error
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewSource(*seed))
	tM, tR, tS, tC, tU, tH := sum(methods), sum(results), sum(statuses), sum(ctypes), sum(users), sum(hiers)
	ms := *start * 1000
	buf := make([]byte, 0, 512)
	for i := 0; i < *n; i++ {
		ms += int64(r.Intn(40))
		method := pick(r, methods, tM)
		result := pick(r, results, tR)
		status := pick(r, statuses, tS)
		ctype := pick(r, ctypes, tC)
		user := pick(r, users, tU)
		hier := pick(r, hiers, tH)
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
		buf = buf[:0]
		buf = strconv.AppendInt(buf, ms/1000, 10)
		buf = append(buf, '.')
		frac := ms % 1000
		if frac < 100 {
			buf = append(buf, '0')
		}
		if frac < 10 {
			buf = append(buf, '0')
		}
		buf = strconv.AppendInt(buf, frac, 10)
		d := strconv.Itoa(dur)
		buf = append(buf, ' ')
		for k := len(d); k < 6; k++ {
			buf = append(buf, ' ')
		}
		buf = append(buf, d...)
		buf = append(buf, ' ')
		buf = append(buf, clientIP(r)...)
		buf = append(buf, ' ')
		buf = append(buf, result...)
		buf = append(buf, '/')
		buf = append(buf, status...)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(size), 10)
		buf = append(buf, ' ')
		buf = append(buf, method...)
		buf = append(buf, ' ')
		buf = append(buf, url...)
		buf = append(buf, ' ')
		buf = append(buf, user...)
		buf = append(buf, ' ')
		buf = append(buf, hier...)
		buf = append(buf, '/')
		buf = append(buf, server...)
		buf = append(buf, ' ')
		buf = append(buf, ctype...)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if f != os.Stdout {
		f.Close()
	}
}
