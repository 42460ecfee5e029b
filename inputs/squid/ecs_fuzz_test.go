package squid

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The helpers of mapECS were rewritten without strconv, netip and
// strings.IndexAny (issue 17); these are the previous versions, the
// reference the new ones must agree with on every input.

func splitURLRef(u string) urlParts {
	var p urlParts
	rest := u
	if i := strings.Index(rest, "://"); i >= 0 {
		p.scheme = strings.ToLower(rest[:i])
		rest = rest[i+3:]
	} else if !strings.HasPrefix(rest, "/") && strings.ContainsAny(rest, "/?#") {
		return urlParts{}
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
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		p.path, p.query = rest[:i], rest[i+1:]
	} else {
		p.path = rest
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	port := ""
	if strings.HasPrefix(host, "[") {
		i := strings.IndexByte(host, ']')
		if i < 0 {
			return urlParts{}
		}
		host, port = host[1:i], host[i+1:]
		if port != "" && port[0] != ':' {
			return urlParts{}
		}
		port = strings.TrimPrefix(port, ":")
	} else if i := strings.IndexByte(host, ':'); i >= 0 {
		host, port = host[:i], host[i+1:]
	}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return urlParts{}
		}
		p.port = int64(n)
	}
	p.domain = host
	return p
}

func parseTimestampRef(s string) (time.Time, bool) {
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

// canonicalIPv4Ref: what mapECS did to decide that dest is its own
// canonical IPv4 text.
func canonicalIPv4Ref(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4() && a.String() == s
}

var ecsSeeds = []string{
	"", "/", "?", "#", "@", ":", "[", "]", "-", "a", "0", "1.", ".5", "1.5", "+1.5", "1.+5", "-1.-5", "1.5.6",
	"1795594303.206", "1795594303.2061234567", "1795594303.", "1795594303", "0001795594303.000000001",
	"999999999999999999.999999999", "9999999999999999999.1", "25/Nov/2026:08:12:03 +0000",
	"1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.", "1.2.3.04", "1234.1.1.1",
	"::1", "::ffff:1.2.3.4", "fe80::1%eth0",
	"http://Example.com:8080/path/a.html?x=1#frag", "HTTPS://user:pw@host:443/", "www.example.org:443",
	"host:0", "host:65535", "host:65536", "host:+80", "host:00080", "host:", "[::1]:443", "[::1]x", "[::1",
	"[::1]", "a@b@c:1/x", "a:1@b/x", "/path?q#f", "?q", "#f", "error:transaction-end-before-headers",
	"http://h?q/p#x?y", "http://h#f?q", "ftp://a:b:c/", "://x", "http:///p", "a://b://c", "http://[::1]:0/",
	"http://h:99999999999999999999/", "http://h:1_0/",
}

func checkECSHelpers(t *testing.T, s string) {
	if got, want := splitURL(s), splitURLRef(s); got != want {
		t.Errorf("splitURL(%q) = %+v, want %+v", s, got, want)
	}
	gt, gok := parseTimestamp(s)
	wt, wok := parseTimestampRef(s)
	if gok != wok || !gt.Equal(wt) || gt.String() != wt.String() {
		t.Errorf("parseTimestamp(%q) = %v, %v; want %v, %v", s, gt, gok, wt, wok)
	}
	if got, want := canonicalIPv4(s), canonicalIPv4Ref(s); got != want {
		t.Errorf("canonicalIPv4(%q) = %v, want %v", s, got, want)
	}
}

func TestECSHelpersAgree(t *testing.T) {
	for _, s := range ecsSeeds {
		checkECSHelpers(t, s)
	}
}

func FuzzECSHelpers(f *testing.F) {
	for _, s := range ecsSeeds {
		f.Add(s)
	}
	f.Fuzz(checkECSHelpers)
}
