package squid

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// Fields every squid access event carries besides the pattern's captures.
var (
	categories = []string{"web", "network"}
	typeAccess = []string{"access"}
)

// MapECS finishes an event whose squid pattern captures start at
// e.Fields[from:] exactly as the squid input does (shipper test-pattern
// uses it to show the same documents).
func MapECS(e *event.Event, from int) { mapECS(e, from) }

// mapECS finishes a parsed event: @timestamp from squid's epoch.millis (or
// the common format's date), destination.ip when the destination is an
// address, url.domain, event.outcome. Captures start at fields[from:].
func mapECS(e *event.Event, from int) {
	f := e.Fields
	for i := from; i < len(f); i++ {
		if f[i].Key != "timestamp" {
			continue
		}
		if s, ok := f[i].Value.(string); ok {
			if ts, ok := parseTimestamp(s); ok {
				e.Timestamp = ts
			}
		}
		e.Fields = append(f[:i], f[i+1:]...)
		break
	}
	f = e.Fields
	var dest, url string
	status := int64(-1)
	for i := from; i < len(f); i++ {
		switch f[i].Key {
		case "destination.address":
			dest, _ = f[i].Value.(string)
		case "url.original":
			url, _ = f[i].Value.(string)
		case "http.response.status_code":
			status, _ = f[i].Value.(int64)
		}
	}
	if dest != "" {
		if a, err := netip.ParseAddr(dest); err == nil {
			e.Fields.Add("destination.ip", a.Unmap().String())
		}
	}
	if d := urlDomain(url); d != "" {
		e.Fields.Add("url.domain", d)
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
}

// parseTimestamp reads squid's "1795594303.206" (seconds.millis since the
// epoch) or the common format's "25/Nov/2026:08:12:03 +0000".
func parseTimestamp(s string) (time.Time, bool) {
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

// urlDomain returns the host of "http://host:port/path" or of a CONNECT
// target "host:443", without allocating.
func urlDomain(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	} else if strings.HasPrefix(u, "/") {
		return ""
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	if strings.HasPrefix(u, "[") {
		if i := strings.IndexByte(u, ']'); i > 0 {
			return u[1:i]
		}
		return ""
	}
	if i := strings.IndexByte(u, ':'); i >= 0 {
		// host:port; anything else with a colon ("error:transaction-end…")
		// is not a URL.
		for _, c := range u[i+1:] {
			if c < '0' || c > '9' {
				return ""
			}
		}
		u = u[:i]
	}
	return u
}
