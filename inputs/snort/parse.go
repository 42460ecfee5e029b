package snort

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/shipper-project/shipper/inputs/internal/sysstat"
	"github.com/shipper-project/shipper/shipper/event"
)

// JSONParseFailureTag marks a line that is not a JSON object (truncated,
// malformed); the line is shipped as message.
const JSONParseFailureTag = "_jsonparsefailure"

// TimestampFailureTag marks an alert whose timestamp could not be read; it
// keeps the read time.
const TimestampFailureTag = "_snort_timestamp_failure"

// FieldFailureTag marks an alert with a field of the wrong type (a port
// that is not a number); that field is left out, error.message names it.
const FieldFailureTag = "_snort_field_failure"

// futureSlack is how far ahead of our clock a year-less timestamp may be
// before it is taken as last year's: it absorbs a sensor clock slightly
// ahead of ours without dating its alerts a year back.
const futureSlack = time.Minute

// Parser maps snort3 alert_json lines to ECS, one event per line. It is
// stateful only for time: the previous alert's instant resolves the hour
// repeated when DST ends.
type Parser struct {
	loc        *time.Location
	now        func() time.Time
	includeB64 bool
	prev       time.Time
}

// NewParser returns a parser reading snort's zone-less timestamps in loc.
// now is the clock the year of a year-less timestamp is inferred against.
func NewParser(loc *time.Location, now func() time.Time, includeB64 bool) *Parser {
	if now == nil {
		now = time.Now
	}
	return &Parser{loc: loc, now: now, includeB64: includeB64}
}

// Parse implements filestream.Parser.
func (p *Parser) Parse(line []byte, e *event.Event) (bool, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return false, nil
	}
	e.Fields.Put("event.kind", "alert")
	e.Fields.Put("event.module", "snort")
	e.Fields.Put("event.dataset", "snort.alert")
	e.Fields.Put("event.category", []string{"network", "intrusion_detection"})
	e.Fields.Put("observer.vendor", "Snort")
	e.Fields.Put("observer.product", "Snort")
	e.Fields.Put("observer.type", "ids")
	var obj map[string]any
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	err := d.Decode(&obj)
	if err == nil && d.More() {
		err = errors.New("data after the JSON object")
	}
	if err == nil && obj == nil {
		err = errors.New("not a JSON object")
	}
	if err != nil {
		// Truncated or malformed: shipped with the line, never dropped.
		e.Tag(JSONParseFailureTag)
		if !e.Fields.Has("message") {
			e.Fields.Put("message", string(line))
		}
		e.Fields.Put("error.message", "decode alert_json line: "+err.Error())
		e.Timestamp = p.now()
		return true, err
	}
	return true, p.fill(obj, e)
}

func (p *Parser) fill(obj map[string]any, e *event.Event) error {
	f := &e.Fields
	var errs []error
	var srcIP, dstIP string
	var gid, sid, rev string
	for k, v := range obj {
		switch k {
		case "timestamp", "seconds":
			// below, together
		case "msg":
			if s, ok := v.(string); ok {
				f.Put("rule.description", s)
				f.Put("message", s)
			}
		case "class":
			putString(f, "rule.category", v)
		case "priority":
			errs = appendErr(errs, putLong(f, "event.severity", v))
		case "rule":
			s, _ := v.(string)
			f.Put("snort.rule", s)
			parts := strings.Split(s, ":")
			if len(parts) == 3 {
				gid, sid, rev = parts[0], parts[1], parts[2]
			}
		case "gid":
			gid = str(v)
		case "sid":
			sid = str(v)
		case "rev":
			rev = str(v)
		case "src_addr":
			srcIP = str(v)
			putAddr(f, "source", srcIP)
		case "dst_addr":
			dstIP = str(v)
			putAddr(f, "destination", dstIP)
		case "src_port":
			errs = appendErr(errs, putLong(f, "source.port", v))
		case "dst_port":
			errs = appendErr(errs, putLong(f, "destination.port", v))
		case "proto":
			if s := str(v); s != "" {
				f.Put("network.transport", strings.ToLower(s))
			}
		case "service":
			if s := str(v); s != "" && s != "unknown" {
				f.Put("network.protocol", strings.ToLower(s))
			}
		case "action":
			s := str(v)
			f.Put("event.action", s)
			f.Put("event.type", []string{actionType(s)})
		case "iface":
			putString(f, "observer.ingress.interface.name", v)
		case "eth_src":
			f.Put("source.mac", mac(str(v)))
		case "eth_dst":
			f.Put("destination.mac", mac(str(v)))
		case "vlan":
			if n, ok := long(v); ok && n != 0 {
				f.Put("network.vlan.id", strconv.FormatInt(n, 10))
			}
		case "b64_data":
			if p.includeB64 {
				putString(f, "snort.packet.b64_data", v)
			}
		case "flowstart_time":
			if n, ok := long(v); ok && n > 0 {
				f.Put("snort.flow.start", time.Unix(n, 0).UTC())
			}
		default:
			if m, ok := known[k]; ok {
				if m.long {
					errs = appendErr(errs, putLong(f, m.key, v))
				} else {
					putString(f, m.key, v)
				}
				continue
			}
			// A field this version does not know (a newer snort,
			// a plugin): kept under snort.* as it came.
			f.Put("snort."+sanitizeKey(k), plain(v))
		}
	}
	// snort3's default alert_json.fields has src_ap/dst_ap ("addr:port",
	// IPv6 without brackets) rather than src_addr/src_port.
	if srcIP == "" {
		srcIP = fromAP(f, "source", obj["src_ap"])
	}
	if dstIP == "" {
		dstIP = fromAP(f, "destination", obj["dst_ap"])
	}
	if gid != "" {
		if n, err := strconv.ParseInt(gid, 10, 64); err == nil {
			f.Put("snort.gid", n)
		}
	}
	if sid != "" {
		f.Put("rule.id", sid)
	}
	if rev != "" {
		f.Put("rule.version", rev)
	}
	// ECS network.bytes and network.packets are the totals of the flow in
	// both directions: client + server, when snort logged both. (Elastic's
	// integration puts pkt_len and pkt_num there, one packet's length and
	// its number; we keep those as snort.packet.*; README "Field names".)
	sumInto(f, "network.bytes", "snort.client.bytes", "snort.server.bytes")
	sumInto(f, "network.packets", "snort.client.packets", "snort.server.packets")
	var related []string
	for _, ip := range [2]string{srcIP, dstIP} {
		if a, err := netip.ParseAddr(ip); err == nil {
			related = append(related, a.String())
			switch {
			case a.Is4() || a.Is4In6():
				f.Put("network.type", "ipv4")
			default:
				f.Put("network.type", "ipv6")
			}
		}
	}
	if len(related) == 2 && related[0] == related[1] {
		related = related[:1]
	}
	if len(related) > 0 {
		f.Put("related.ip", related)
	}
	if len(errs) > 0 {
		e.Tag(FieldFailureTag)
	}
	ts, err := p.timestamp(obj)
	if err != nil {
		e.Tag(TimestampFailureTag)
		errs = append(errs, err)
		ts = p.now()
	}
	e.Timestamp = ts
	if err := errors.Join(errs...); err != nil {
		f.Put("error.message", err.Error())
		return err
	}
	return nil
}

// mapping is where a snort field without special handling goes.
type mapping struct {
	key  string
	long bool
}

var known = map[string]mapping{
	"pkt_num":      {"snort.packet.number", true},
	"pkt_len":      {"snort.packet.length", true},
	"pkt_gen":      {"snort.packet.generator", false},
	"dir":          {"snort.packet.direction", false},
	"eth_type":     {"snort.eth.type", false},
	"eth_len":      {"snort.eth.length", true},
	"mpls":         {"snort.mpls", true},
	"tos":          {"snort.ip.tos", true},
	"ttl":          {"snort.ip.ttl", true},
	"id":           {"snort.ip.id", true},
	"ip_id":        {"snort.ip.id", true},
	"ip_len":       {"snort.ip.length", true},
	"icmp_code":    {"snort.icmp.code", true},
	"icmp_type":    {"snort.icmp.type", true},
	"icmp_id":      {"snort.icmp.id", true},
	"icmp_seq":     {"snort.icmp.seq", true},
	"tcp_ack":      {"snort.tcp.ack", true},
	"tcp_seq":      {"snort.tcp.seq", true},
	"tcp_flags":    {"snort.tcp.flags", false},
	"tcp_len":      {"snort.tcp.length", true},
	"tcp_win":      {"snort.tcp.window", true},
	"udp_len":      {"snort.udp.length", true},
	"src_ap":       {"snort.src_ap", false},
	"dst_ap":       {"snort.dst_ap", false},
	"client_bytes": {"snort.client.bytes", true},
	"client_pkts":  {"snort.client.packets", true},
	"server_bytes": {"snort.server.bytes", true},
	"server_pkts":  {"snort.server.packets", true},
	"geneve_vni":   {"snort.geneve_vni", true},
	"sgt":          {"snort.sgt", true},
	"target":       {"snort.target", false},
}

// actionType maps snort3's action to ECS event.type: the packet went on
// (allowed), was stopped (denied), or neither is known (info). would_* are
// what an IDS in tap mode would have done: the packet was not stopped.
func actionType(a string) string {
	switch strings.ToLower(a) {
	case "allow", "pass", "alert", "log", "would_drop", "would_block", "would_reset", "would_reject":
		return "allowed"
	case "drop", "block", "reset", "reject", "blacklist", "blocklist":
		return "denied"
	}
	return "info"
}

// timestamp reads snort's "timestamp" (local time, 19/10/21-10:33:58.967749
// with -y, 10/21-10:33:58.967749 without) or "seconds" (Unix seconds). When
// both are there, seconds gives the instant and timestamp the fraction.
func (p *Parser) timestamp(obj map[string]any) (time.Time, error) {
	secs, hasSecs := long(obj["seconds"])
	raw, hasTS := obj["timestamp"].(string)
	if !hasTS {
		if hasSecs {
			return time.Unix(secs, 0).UTC(), nil
		}
		// alert_json.fields without either: the read time, which is
		// close for a live tail (README).
		return p.now(), nil
	}
	y, mo, d, h, mi, s, ns, ok := parseSnortTime(raw)
	if !ok {
		if hasSecs {
			return time.Unix(secs, 0).UTC(), nil
		}
		return time.Time{}, errors.New("timestamp: cannot read " + strconv.Quote(raw))
	}
	if hasSecs {
		t := time.Unix(secs, 0).UTC()
		if t.Second() == s {
			t = t.Add(time.Duration(ns))
		}
		p.prev = t
		return t, nil
	}
	var t time.Time
	if y == 0 {
		t, ok = sysstat.InferYear(time.Month(mo), d, h, mi, s, ns, p.loc, p.now(), futureSlack, p.prev)
		if !ok {
			return time.Time{}, errors.New("timestamp: no year fits " + strconv.Quote(raw))
		}
	} else {
		if time.Date(y, time.Month(mo), d, 12, 0, 0, 0, time.UTC).Day() != d {
			return time.Time{}, errors.New("timestamp: no such day " + strconv.Quote(raw))
		}
		t = sysstat.LocalTime(y, time.Month(mo), d, h, mi, s, ns, p.loc, p.prev)
	}
	p.prev = t
	return t, nil
}

// parseSnortTime reads [yy/]mm/dd-HH:MM:SS[.ffffff]; y is 0 without a year.
func parseSnortTime(s string) (y, mo, d, h, mi, sec, ns int, ok bool) {
	date, clock, found := strings.Cut(s, "-")
	if !found {
		return
	}
	parts := strings.Split(date, "/")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) != 2 {
			return
		}
		nums[i] = n
	}
	switch len(nums) {
	case 2:
		mo, d = nums[0], nums[1]
	case 3:
		y, mo, d = 2000+nums[0], nums[1], nums[2]
	default:
		return
	}
	frac := ""
	if i := strings.IndexByte(clock, '.'); i >= 0 {
		clock, frac = clock[:i], clock[i+1:]
	}
	hms := strings.Split(clock, ":")
	if len(hms) != 3 {
		return
	}
	var t [3]int
	for i, p := range hms {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) != 2 {
			return
		}
		t[i] = n
	}
	h, mi, sec = t[0], t[1], t[2]
	if frac != "" {
		if len(frac) > 9 {
			return
		}
		n, err := strconv.Atoi(frac)
		if err != nil || n < 0 {
			return
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		ns = n
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 {
		return
	}
	if sec == 60 {
		sec = 59
	}
	return y, mo, d, h, mi, sec, ns, true
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

func long(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
			return int64(f), true
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 0, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

// putLong sets key to v as an integer. Anything else where snort writes a
// number is reported (the event is tagged), not given to a long mapping.
func putLong(f *event.Fields, key string, v any) error {
	if n, ok := long(v); ok {
		f.Put(key, n)
		return nil
	}
	b, _ := json.Marshal(v)
	return errors.New(key + ": not an integer: " + string(b))
}

func putString(f *event.Fields, key string, v any) {
	if s := str(v); s != "" {
		f.Put(key, s)
	}
}

// putAddr sets <side>.address always and <side>.ip when it is an address.
func putAddr(f *event.Fields, side, s string) {
	if s == "" {
		return
	}
	f.Put(side+".address", s)
	if a, err := netip.ParseAddr(s); err == nil {
		f.Put(side+".ip", a.String())
	}
}

// fromAP sets <side>.ip/.port from an "addr:port" value when the side
// has no address yet, and returns the address.
func fromAP(f *event.Fields, side string, v any) string {
	s, _ := v.(string)
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return ""
	}
	host := strings.TrimSuffix(strings.TrimPrefix(s[:i], "["), "]")
	a, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	f.Put(side+".address", host)
	f.Put(side+".ip", a.String())
	if port, err := strconv.ParseUint(s[i+1:], 10, 16); err == nil {
		f.Put(side+".port", int64(port))
	}
	return host
}

// mac writes a MAC address the ECS way: upper case, dash separated.
func mac(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, ":", "-"))
}

// sanitizeKey keeps an unknown field name usable as a key: no dots (they
// would nest) and no empty name.
func sanitizeKey(k string) string {
	if k == "" {
		return "_empty"
	}
	return strings.ReplaceAll(k, ".", "_")
}

// plain converts decoded JSON to event values: numbers to int64 or float64.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = plain(v)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			out[i] = plain(v)
		}
		return out
	}
	return v
}

// sumInto sets key to a + b when both are non-negative longs whose sum
// does not overflow.
func sumInto(f *event.Fields, key, a, b string) {
	va, okA := f.Get(a)
	vb, okB := f.Get(b)
	x, okX := va.(int64)
	y, okY := vb.(int64)
	if !okA || !okB || !okX || !okY || x < 0 || y < 0 || x > math.MaxInt64-y {
		return
	}
	f.Put(key, x+y)
}
