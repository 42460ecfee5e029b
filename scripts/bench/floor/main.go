// Command floor is the CPU-per-event floor for the squid input (issue 17):
// what plain Go costs to turn a squid native access.log into the very
// documents the shipper's squid input writes with `output.file`, with a
// hand-written splitter instead of grok, 2 workers and no pipeline.
//
//	floor -in access.log -out out.ndjson [-workers 2] [-agent '{"id":…}'] [-host NAME]
//	      [-geoip GeoLite2-City.mmdb]
//
// The output is byte-for-byte the shipper's (scripts/bench/cpu-per-event.sh
// checks it) for lines the native pattern parses; other lines get a short
// failure document. -agent is the "agent" object to write (the shipper's
// comes from its path.data), -host the host.name.
//
// With -geoip, destination and source addresses outside the private,
// loopback and special ranges are looked up in a City database through
// maxminddb's Lookup with a small struct that decodes only the fields the
// document holds, without a cache: the floor of the shipper's GeoIP
// enrichment.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/oschwald/maxminddb-golang"
)

type job struct {
	data []byte // whole lines
	off  int64  // file offset of data[0]
	buf  []byte // their documents
	out  chan []byte
}

type worker struct {
	path, agent, host string
	geo               *maxminddb.Reader
}

func main() {
	in := flag.String("in", "", "squid access.log to read")
	out := flag.String("out", "", "NDJSON file to write")
	workers := flag.Int("workers", 2, "parsing goroutines")
	agent := flag.String("agent", `{"id":"00000000-0000-0000-0000-000000000000","name":"floor","type":"shipper","version":"0"}`, "the agent object, JSON")
	host := flag.String("host", "", "host.name (default: the hostname)")
	geoDB := flag.String("geoip", "", "GeoLite2/GeoIP2 City .mmdb: enrich destination and source")
	flag.Parse()
	if *in == "" || *out == "" || *workers < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if *host == "" {
		*host, _ = os.Hostname()
	}
	w := &worker{path: *in, agent: *agent, host: *host}
	if *geoDB != "" {
		r, err := maxminddb.Open(*geoDB)
		if err != nil {
			fatal(err)
		}
		defer r.Close()
		w.geo = r
	}
	f, err := os.Open(*in)
	if err != nil {
		fatal(err)
	}
	defer f.Close()
	of, err := os.Create(*out)
	if err != nil {
		fatal(err)
	}
	// Chunks of whole lines go to the workers; the writer writes their
	// documents in file order. Buffers are recycled: the floor allocates
	// nothing per line but the message string.
	const chunk = 256 << 10
	inflight := 2 * *workers
	jobs := make(chan *job, inflight)
	order := make(chan *job, inflight)
	free := make(chan *job, inflight+2)
	for range inflight + 2 {
		free <- &job{data: make([]byte, 0, chunk), out: make(chan []byte, 1)}
	}
	var wg sync.WaitGroup
	for range *workers {
		wg.Go(func() {
			for j := range jobs {
				j.out <- w.chunk(j.buf[:0], j.data, j.off)
			}
		})
	}
	done := make(chan error, 1)
	go func() { // writer: chunks in file order
		var werr error
		for j := range order {
			j.buf = <-j.out
			if werr == nil {
				_, werr = of.Write(j.buf)
			}
			free <- j
		}
		done <- werr
	}()
	var off int64
	var carry []byte
	for {
		j := <-free
		b := append(j.data[:0], carry...)
		n, rerr := io.ReadFull(f, b[len(b):cap(b)])
		b = b[:len(b)+n]
		end := bytes.LastIndexByte(b, '\n') + 1
		if rerr != nil || end == 0 { // EOF, or a line longer than a chunk (cut; the bench lines are short)
			end = len(b)
		}
		carry = append(carry[:0], b[end:]...)
		if end > 0 {
			j.data, j.off = b[:end], off
			order <- j
			jobs <- j
			off += int64(end)
		}
		if rerr != nil {
			break
		}
	}
	close(jobs)
	close(order)
	wg.Wait()
	if err := <-done; err != nil {
		fatal(err)
	}
	if err := of.Close(); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}

// chunk appends the documents of the lines in data to dst.
func (w *worker) chunk(dst, data []byte, off int64) []byte {
	for len(data) > 0 {
		n := bytes.IndexByte(data, '\n')
		line := data
		if n >= 0 {
			line = data[:n]
		}
		if len(line) > 0 {
			dst = w.doc(dst, line, off)
			dst = append(dst, '\n')
		}
		if n < 0 {
			break
		}
		data = data[n+1:]
		off += int64(n + 1)
	}
	return dst
}

// line is the split of one native-format line:
//
//	ts duration client result/status bytes method url user hier/server mime
type line struct {
	ts, client, action, method, url, user, hier, server, mime string
	duration, size, status                                    int64
}

// split cuts a native-format line by hand; false when it is not one.
func split(s string) (l line, ok bool) {
	next := func() string { // the next field, after one or more blanks
		s = strings.TrimLeft(s, " ")
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			f := s
			s = ""
			return f
		}
		f := s[:i]
		s = s[i+1:]
		return f
	}
	var err error
	l.ts = next()
	if l.duration, err = strconv.ParseInt(next(), 10, 64); err != nil {
		return l, false
	}
	l.client = dash(next())
	rs := next()
	a, st, ok1 := strings.Cut(rs, "/")
	if !ok1 || a == "" {
		return l, false
	}
	l.action = a
	if l.status, err = strconv.ParseInt(st, 10, 64); err != nil {
		return l, false
	}
	if l.size, err = strconv.ParseInt(next(), 10, 64); err != nil {
		return l, false
	}
	l.method = dash(next())
	l.url = next()
	l.user = dash(next())
	h, srv, ok2 := strings.Cut(next(), "/")
	if !ok2 || h == "" || l.url == "" {
		return l, false
	}
	l.hier, l.server = h, dash(srv)
	l.mime = dash(next())
	if s != "" {
		return l, false
	}
	if l.client != "" {
		if _, err := netip.ParseAddr(l.client); err != nil {
			return l, false
		}
	}
	return l, true
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// doc appends the document of one line, keys in the shipper's order.
func (w *worker) doc(dst, raw []byte, off int64) []byte {
	msg := string(raw)
	l, ok := split(msg)
	ts, tsOK := parseTS(l.ts)
	if !ok || !tsOK {
		dst = append(dst, `{"@timestamp":"`...)
		dst = time.Now().UTC().AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `","message":`...)
		dst = appendString(dst, msg)
		return append(dst, `,"tags":["_grokparsefailure"]}`...)
	}
	dst = append(dst, `{"@timestamp":"`...)
	dst = ts.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","agent":`...)
	dst = append(dst, w.agent...)
	var dip netip.Addr
	if l.server != "" {
		if a, err := netip.ParseAddr(l.server); err == nil {
			dip = a.Unmap()
		}
		dst = append(dst, `,"destination":{"address":`...)
		dst = appendString(dst, l.server)
		if dip.IsValid() {
			dst = w.appendGeo(dst, dip)
			dst = append(dst, `,"ip":`...)
			dst = appendString(dst, dip.String())
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"ecs":{"version":"8.11.0"},"event":{"action":`...)
	dst = appendString(dst, l.action)
	dst = append(dst, `,"category":["web","network"],"dataset":"squid.access",`...)
	if l.duration >= 0 && l.duration <= math.MaxInt64/int64(time.Millisecond) {
		dst = append(dst, `"duration":`...)
		dst = strconv.AppendInt(dst, l.duration*int64(time.Millisecond), 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"kind":"event","module":"squid","outcome":`...)
	switch {
	case l.status >= 400:
		dst = append(dst, `"failure"`...)
	case l.status >= 100:
		dst = append(dst, `"success"`...)
	default:
		dst = append(dst, `"unknown"`...)
	}
	dst = append(dst, `,"type":["access"]},"host":{"name":`...)
	dst = appendString(dst, w.host)
	dst = append(dst, `},"http":{`...)
	if l.method != "" {
		dst = append(dst, `"request":{"method":`...)
		dst = appendString(dst, l.method)
		dst = append(dst, `},`...)
	}
	dst = append(dst, `"response":{"bytes":`...)
	dst = strconv.AppendInt(dst, l.size, 10)
	if l.status > 0 {
		dst = append(dst, `,"status_code":`...)
		dst = strconv.AppendInt(dst, l.status, 10)
	}
	dst = append(dst, `}},"input":{"type":"squid"},"log":{"file":{"path":`...)
	dst = appendString(dst, w.path)
	dst = append(dst, `},"offset":`...)
	dst = strconv.AppendInt(dst, off, 10)
	dst = append(dst, `},"message":`...)
	dst = appendString(dst, msg)
	dst = append(dst, `,"observer":{"product":"Squid","type":"proxy","vendor":"Squid"}`...)
	destIP := ""
	if dip.IsValid() {
		destIP = dip.String()
	}
	if l.client != "" || destIP != "" || l.user != "" {
		dst = append(dst, `,"related":{`...)
		if l.client != "" || destIP != "" {
			dst = append(dst, `"ip":[`...)
			switch {
			case l.client != "" && destIP != "" && l.client != destIP:
				dst = appendString(dst, l.client)
				dst = append(dst, ',')
				dst = appendString(dst, destIP)
			case l.client != "":
				dst = appendString(dst, l.client)
			default:
				dst = appendString(dst, destIP)
			}
			dst = append(dst, ']')
			if l.user != "" {
				dst = append(dst, ',')
			}
		}
		if l.user != "" {
			dst = append(dst, `"user":[`...)
			dst = appendString(dst, l.user)
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
	}
	if l.client != "" {
		dst = append(dst, `,"source":{`...)
		if a, err := netip.ParseAddr(l.client); err == nil {
			if g := w.appendGeo(nil, a.Unmap()); len(g) > 0 {
				dst = append(dst, g[1:]...)
				dst = append(dst, ',')
			}
		}
		dst = append(dst, `"ip":`...)
		dst = appendString(dst, l.client)
		dst = append(dst, '}')
	}
	dst = append(dst, `,"squid":{`...)
	if l.mime != "" {
		dst = append(dst, `"content_type":`...)
		dst = appendString(dst, l.mime)
		dst = append(dst, ',')
	}
	dst = append(dst, `"hierarchy_code":`...)
	dst = appendString(dst, l.hier)
	dst = append(dst, `,"request":{"duration":`...)
	dst = strconv.AppendInt(dst, l.duration, 10)
	dst = append(dst, `}},"url":{`...)
	u := splitURL(l.url)
	if u.domain != "" {
		dst = append(dst, `"domain":`...)
		dst = appendString(dst, u.domain)
		dst = append(dst, ',')
	}
	dst = append(dst, `"original":`...)
	dst = appendString(dst, l.url)
	if u.path != "" {
		dst = append(dst, `,"path":`...)
		dst = appendString(dst, u.path)
	}
	if u.port > 0 {
		dst = append(dst, `,"port":`...)
		dst = strconv.AppendInt(dst, u.port, 10)
	}
	if u.query != "" {
		dst = append(dst, `,"query":`...)
		dst = appendString(dst, u.query)
	}
	if u.scheme != "" {
		dst = append(dst, `,"scheme":`...)
		dst = appendString(dst, u.scheme)
	}
	dst = append(dst, '}')
	if l.user != "" {
		dst = append(dst, `,"user":{"name":`...)
		dst = appendString(dst, l.user)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// cityRecord is what the document needs of a City record.
type cityRecord struct {
	Continent struct {
		Code  string `maxminddb:"code"`
		Names struct {
			En string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"continent"`
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   struct {
			En string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"country"`
	Subdivisions []struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   struct {
			En string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
	City struct {
		Names struct {
			En string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
	Location struct {
		Latitude  float64 `maxminddb:"latitude"`
		Longitude float64 `maxminddb:"longitude"`
		TimeZone  string  `maxminddb:"time_zone"`
	} `maxminddb:"location"`
}

// appendGeo appends `,"geo":{…}` for a public address found in the
// database, nothing otherwise.
func (w *worker) appendGeo(dst []byte, a netip.Addr) []byte {
	if w.geo == nil || !a.IsGlobalUnicast() || a.IsPrivate() || (a.Is6() && !a.Is4In6() && a.As16()[0]&0xe0 != 0x20) {
		return dst
	}
	var c cityRecord
	b := a.AsSlice()
	if err := w.geo.Lookup(net.IP(b), &c); err != nil {
		return dst
	}
	n := len(dst)
	dst = append(dst, `,"geo":{`...)
	comma := false
	str := func(k, v string) {
		if v == "" {
			return
		}
		if comma {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, `":`...)
		dst = appendString(dst, v)
		comma = true
	}
	var sub struct{ iso, name string }
	if len(c.Subdivisions) > 0 {
		sub.name = c.Subdivisions[0].Names.En
		if c.Subdivisions[0].ISOCode != "" && c.Country.ISOCode != "" {
			sub.iso = c.Country.ISOCode + "-" + c.Subdivisions[0].ISOCode
		}
	}
	str("city_name", c.City.Names.En)
	str("continent_code", c.Continent.Code)
	str("continent_name", c.Continent.Names.En)
	str("country_iso_code", c.Country.ISOCode)
	str("country_name", c.Country.Names.En)
	if c.Location.Latitude != 0 || c.Location.Longitude != 0 {
		if comma {
			dst = append(dst, ',')
		}
		dst = append(dst, `"location":{"lat":`...)
		dst = strconv.AppendFloat(dst, c.Location.Latitude, 'f', -1, 64)
		dst = append(dst, `,"lon":`...)
		dst = strconv.AppendFloat(dst, c.Location.Longitude, 'f', -1, 64)
		dst = append(dst, '}')
		comma = true
	}
	str("region_iso_code", sub.iso)
	str("region_name", sub.name)
	str("timezone", c.Location.TimeZone)
	if !comma {
		return dst[:n]
	}
	return append(dst, '}')
}

// parseTS reads "1572202844.025" (seconds.millis).
func parseTS(s string) (time.Time, bool) {
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		v, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		for k := len(frac); k < 9; k++ {
			v *= 10
		}
		ns = v
	}
	return time.Unix(n, ns).UTC(), true
}

// url holds the url.* parts of a logged URL.
type url struct {
	scheme, domain, path, query string
	port                        int64
}

// splitURL cuts "scheme://user@host:port/path?query#frag", a CONNECT
// target "host:port" or an origin-form "/path?query" into its parts.
func splitURL(u string) url {
	var p url
	rest := u
	if i := strings.Index(rest, "://"); i >= 0 {
		p.scheme = strings.ToLower(rest[:i])
		rest = rest[i+3:]
	} else if !strings.HasPrefix(rest, "/") && strings.ContainsAny(rest, "/?#") {
		return url{}
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host, rest = rest[:i], rest[i:]
	} else {
		rest = ""
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	p.path, p.query, _ = strings.Cut(rest, "?")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	port := ""
	if strings.HasPrefix(host, "[") {
		i := strings.IndexByte(host, ']')
		if i < 0 {
			return url{}
		}
		host, port = host[1:i], host[i+1:]
		if port != "" && port[0] != ':' {
			return url{}
		}
		port = strings.TrimPrefix(port, ":")
	} else if i := strings.IndexByte(host, ':'); i >= 0 {
		host, port = host[:i], host[i+1:]
	}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return url{}
		}
		p.port = int64(n)
	}
	p.domain = host
	return p
}

// appendString writes s as a JSON string the way the shipper does
// (invalid UTF-8 becomes U+FFFD; U+2028 and U+2029 are escaped).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			start = i + size
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			start = i + size
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const hex = "0123456789abcdef"
