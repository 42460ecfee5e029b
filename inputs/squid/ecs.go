package squid

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/shipper-project/shipper/processors/grok"
	"github.com/shipper-project/shipper/shipper/event"
)

// Fields every squid access event carries besides the pattern's captures,
// boxed once: converting a []string to `any` allocates.
var (
	categories any = []string{"web", "network"}
	typeAccess any = []string{"access"}
)

// MapECS finishes an event whose squid pattern captures start at
// e.Fields[from:] exactly as the squid input does (shipper test-pattern
// uses it to show the same documents).
func MapECS(e *event.Event, from int) {
	takeTimestamp(e, from)
	picks := picksOf(e.Fields[from:])
	mapECS(e, &picks, new(grok.Values))
}

// picksOf finds the values of pickNames among f (the last of a name wins).
func picksOf(f event.Fields) [len(pickNames)]any {
	var out [len(pickNames)]any
	for i := range f {
		for k, name := range pickNames {
			if f[i].Key == name {
				out[k] = f[i].Value
			}
		}
	}
	return out
}

// takeTimestamp makes the first "timestamp" capture at e.Fields[from:] the
// event's @timestamp and removes it from the fields (the squid input's
// parser sets it aside in grok instead: MatchAside).
func takeTimestamp(e *event.Event, from int) {
	f := e.Fields
	for i := from; i < len(f); i++ {
		if f[i].Key != "timestamp" {
			continue
		}
		s, _ := f[i].Value.(string)
		setTimestamp(e, s)
		e.Fields = append(f[:i], f[i+1:]...)
		return
	}
}

// setTimestamp makes the pattern's timestamp capture, squid's epoch.millis
// (or the common format's date), the event's @timestamp; the capture is
// not a field of the document.
func setTimestamp(e *event.Event, s string) {
	if ts, ok := parseTimestamp(s); ok {
		e.Timestamp = ts
	}
}

// pickNames are the captures mapECS reads, in the order of its picks: the
// squid input has grok hand their values back (grok.Picks) rather than
// look for them among the event's fields.
var pickNames = [...]string{"destination.address", "url.original", "http.response.status_code", "squid.request.duration", "source.ip", "user.name"}

const (
	pickDest = iota
	pickURL
	pickStatus
	pickDuration
	pickSource
	pickUser
)

// mapECS finishes a parsed event whose timestamp is set: destination.ip
// when the destination is an address, url.*, event.outcome, related.*.
// picks holds the values of the captures named by pickNames (nil: not
// captured); the values it adds are boxed with vals.
func mapECS(e *event.Event, picks *[len(pickNames)]any, vals *grok.Values) {
	var dest, url, src, user string
	destV := picks[pickDest] // dest as boxed by grok
	status, duration := int64(-1), int64(-1)
	// A capture of another type reads as the zero value, as it always did.
	if destV != nil {
		dest, _ = destV.(string)
	}
	if v := picks[pickURL]; v != nil {
		url, _ = v.(string)
	}
	if v := picks[pickStatus]; v != nil {
		status, _ = v.(int64)
	}
	if v := picks[pickDuration]; v != nil {
		duration, _ = v.(int64)
	}
	if v := picks[pickSource]; v != nil {
		src, _ = v.(string)
	}
	if v := picks[pickUser]; v != nil {
		user, _ = v.(string)
	}
	var destIP string
	if canonicalIPv4(dest) {
		// The common case, without netip's parse and print.
		destIP = dest
		e.Fields.Add("destination.ip", destV)
	} else if dest != "" {
		if a, err := netip.ParseAddr(dest); err == nil {
			// Usually dest is already the canonical text: keep it
			// rather than allocate the same string again.
			var b [64]byte
			if a = a.Unmap(); string(a.AppendTo(b[:0])) == dest {
				destIP = dest
				e.Fields.Add("destination.ip", destV)
			} else {
				destIP = a.String()
				e.Fields.Add("destination.ip", vals.String(destIP))
			}
		}
	}
	u := splitURL(url)
	if u.domain != "" {
		e.Fields.Add("url.domain", vals.String(u.domain))
	}
	if u.scheme != "" {
		e.Fields.Add("url.scheme", vals.String(u.scheme))
	}
	if u.port > 0 {
		e.Fields.Add("url.port", vals.Int(u.port))
	}
	if u.path != "" {
		e.Fields.Add("url.path", vals.String(u.path))
	}
	if u.query != "" {
		e.Fields.Add("url.query", vals.String(u.query))
	}
	// ECS event.duration is in nanoseconds; squid logs milliseconds.
	if duration >= 0 && duration <= math.MaxInt64/int64(time.Millisecond) {
		e.Fields.Add("event.duration", vals.Int(duration*int64(time.Millisecond)))
	}
	switch {
	case src != "" && destIP != "" && src != destIP:
		e.Fields.Add("related.ip", vals.Strings(src, destIP))
	case src != "":
		e.Fields.Add("related.ip", vals.Strings(src))
	case destIP != "":
		e.Fields.Add("related.ip", vals.Strings(destIP))
	}
	if user != "" {
		e.Fields.Add("related.user", vals.Strings(user))
	}
	e.Fields.Add("event.category", categories)
	e.Fields.Add("event.type", typeAccess)
	switch {
	case status >= 400:
		e.Fields.Add("event.outcome", "failure")
	case status >= 100:
		e.Fields.Add("event.outcome", "success")
	default:
		e.Fields.Add("event.outcome", "unknown")
	}
	// As Elastic's squid integration writes them (sample_event.json).
	e.Fields.Add("observer.vendor", "Squid")
	e.Fields.Add("observer.product", "Squid")
	e.Fields.Add("observer.type", "proxy")
}

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// parseTimestamp reads squid's "1795594303.206" (seconds.millis since the
// epoch) or the common format's "25/Nov/2026:08:12:03 +0000".
func parseTimestamp(s string) (time.Time, bool) {
	// The native format's digits.digits, without strconv.
	if i := strings.IndexByte(s, '.'); 0 < i && i <= 18 && len(s)-i-1 <= 9 {
		sec, ok1 := grok.Digits(s[:i])
		frac, ok2 := grok.Digits(s[i+1:])
		if ok1 && ok2 && i+1 < len(s) {
			return time.Unix(sec, frac*pow10[9-(len(s)-i-1)]).UTC(), true
		}
	}
	if sec, frac, ok := strings.Cut(s, "."); ok || (len(s) > 0 && s[0] >= '0' && s[0] <= '9') {
		n, err := strconv.ParseInt(sec, 10, 64)
		if err == nil {
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
	}
	if t, err := time.Parse("02/Jan/2006:15:04:05 -0700", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// canonicalIPv4 reports whether s is an IPv4 address as netip prints it:
// four decimal bytes without leading zeros. One pass over the bytes.
func canonicalIPv4(s string) bool {
	if len(s) < 7 || len(s) > 15 {
		return false
	}
	dots, v, n := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if n == 0 || dots == 3 {
				return false
			}
			dots, v, n = dots+1, 0, 0
			continue
		}
		if c -= '0'; c > 9 || n == 1 && v == 0 {
			return false // not a digit, or one after a leading 0
		}
		v, n = v*10+int(c), n+1
		if v > 255 {
			return false
		}
	}
	return dots == 3 && n > 0
}

// urlDomain returns the host of "http://host:port/path" or of a CONNECT
// target "host:443".
func urlDomain(u string) string { return splitURL(u).domain }

// urlParts are the ECS url.* parts of a logged URL.
type urlParts struct {
	scheme, domain, path, query string
	port                        int64
}

// hostSpecial marks the bytes splitURL's host scan stops at.
var hostSpecial = [256]bool{'/': true, '?': true, '#': true, '@': true, ':': true}

// splitURL splits "scheme://user@host:port/path?query#frag", a CONNECT
// target "host:port", or an origin-form "/path?query" without allocating
// (the parts are substrings of u). Anything else with a colon
// ("error:transaction-end-before-headers") has no parts.
func splitURL(u string) urlParts {
	var p urlParts
	rest := u
	i := strings.Index(rest, "://")
	if i >= 0 {
		switch s := rest[:i]; s {
		case "http", "https": // what ToLower returns for them, without its scan
			p.scheme = s
		default:
			p.scheme = strings.ToLower(s)
		}
		rest = rest[i+3:]
	}
	// The host ends at the first '/', '?' or '#'; '@' and ':' in it mark
	// the user info and the port.
	h, at, colon := 0, -1, -1
	for ; h < len(rest); h++ {
		c := rest[h]
		if !hostSpecial[c] {
			continue
		}
		if c == '@' {
			at, colon = h, -1
		} else if c == ':' {
			if colon < 0 {
				colon = h
			}
		} else {
			break // '/', '?' or '#'
		}
	}
	if i < 0 && h < len(rest) && rest[0] != '/' {
		return urlParts{} // "error:..." or another text with a '/'
	}
	host := rest[:h]
	rest = rest[h:]
	// The path is most of a URL's bytes: IndexByte scans it by words.
	if j := strings.IndexByte(rest, '#'); j >= 0 {
		rest = rest[:j]
	}
	p.path = rest
	if j := strings.IndexByte(rest, '?'); j >= 0 {
		p.path, p.query = rest[:j], rest[j+1:]
	}
	port := ""
	if at >= 0 {
		host = host[at+1:]
		if colon >= 0 {
			colon -= at + 1
		}
	}
	if len(host) > 0 && host[0] == '[' {
		i := strings.IndexByte(host, ']')
		if i < 0 {
			return urlParts{}
		}
		host, port = host[1:i], host[i+1:]
		if port != "" && port[0] != ':' {
			return urlParts{}
		}
		port = strings.TrimPrefix(port, ":")
	} else if colon >= 0 {
		host, port = host[:colon], host[colon+1:]
	}
	if port != "" {
		var n int64
		for j := 0; j < len(port); j++ {
			c := port[j] - '0'
			if c > 9 {
				return urlParts{}
			}
			if n = n*10 + int64(c); n > 65535 {
				return urlParts{}
			}
		}
		if n == 0 {
			return urlParts{}
		}
		p.port = n
	}
	p.domain = host
	return p
}
