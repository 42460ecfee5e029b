package conditions

import (
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/processors/internal/numeric"
	"github.com/shipper-project/shipper/shipper/event"
)

// yamlType names a YAML value the way Beats' messages name Go types.
func yamlType(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.SequenceNode:
		return "[]interface {}"
	case n.Kind == yaml.MappingNode:
		return "map[string]interface {}"
	case n.Tag == "!!null":
		return "<nil>"
	case n.Tag == "!!float":
		return "float64"
	case n.Tag == "!!int":
		return "uint64"
	case n.Tag == "!!bool":
		return "bool"
	}
	return "string"
}

// ---- equals ----

type equalsValue struct {
	kind byte // 'i' int, 's' string, 'b' bool
	i    uint64
	s    string
	b    bool
}

type equals struct {
	fields []string
	vals   []equalsValue
	raw    []string
}

func newEquals(file string, n *yaml.Node, path string) (Condition, error) {
	leaves, err := flatten(file, n, path)
	if err != nil {
		return nil, err
	}
	c := &equals{}
	for _, l := range leaves {
		var v equalsValue
		switch {
		case l.node.Kind == yaml.ScalarNode && l.node.Tag == "!!int":
			i, err := parseInt(l.node.Value)
			if err != nil {
				return nil, errAt(file, l.node, l.path, "%v", err)
			}
			v = equalsValue{kind: 'i', i: i}
		case l.node.Kind == yaml.ScalarNode && l.node.Tag == "!!str":
			v = equalsValue{kind: 's', s: l.node.Value}
		case l.node.Kind == yaml.ScalarNode && l.node.Tag == "!!bool":
			b, _ := strconv.ParseBool(l.node.Value)
			v = equalsValue{kind: 'b', b: b}
		default:
			return nil, errAt(file, l.node, l.path,
				"condition attempted to set '%v' -> '%v' and encountered unexpected type '%s', only strings, ints, and booleans are allowed",
				l.field, l.node.Value, yamlType(l.node))
		}
		c.fields = append(c.fields, l.field)
		c.vals = append(c.vals, v)
		c.raw = append(c.raw, l.node.Value)
	}
	return c, nil
}

// parseInt reads a YAML integer as Beats' ExtractInt keeps it: as uint64
// (a negative number wraps, on both sides of the comparison).
func parseInt(s string) (uint64, error) {
	s = strings.ReplaceAll(s, "_", "")
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return uint64(i), nil
	}
	return strconv.ParseUint(s, 0, 64)
}

// extractInt is Beats' ExtractInt: integer types only (not floats, not
// strings), as the uint64 of their bits.
func extractInt(v any) (uint64, bool) {
	n, ok := numeric.Int64(v)
	return uint64(n), ok
}

func (c *equals) Check(e *event.Event) bool {
	for i, f := range c.fields {
		v, ok := eventpath.Get(e, f)
		if !ok {
			return false
		}
		want := &c.vals[i]
		switch want.kind {
		case 'i':
			got, ok := extractInt(v)
			if !ok || got != want.i {
				return false
			}
		case 's':
			got, ok := v.(string)
			if !ok || got != want.s {
				return false
			}
		case 'b':
			got, ok := v.(bool)
			if !ok || got != want.b {
				return false
			}
		}
	}
	return true
}

func (c *equals) String() string { return fieldsString("equals", c.fields, c.raw) }

// ---- contains, regexp ----

type matcher struct {
	name   string
	fields []string
	match  []func(string) bool
	raw    []string
}

func newMatcher(file string, n *yaml.Node, path, name string) (Condition, error) {
	leaves, err := flatten(file, n, path)
	if err != nil {
		return nil, err
	}
	c := &matcher{name: name}
	for _, l := range leaves {
		if l.node.Kind != yaml.ScalarNode || l.node.Tag != "!!str" {
			return nil, errAt(file, l.node, l.path, "unexpected type %s of %v", yamlType(l.node), l.node.Value)
		}
		s := l.node.Value
		var m func(string) bool
		if name == "contains" {
			m = func(v string) bool { return strings.Contains(v, s) }
		} else {
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, errAt(file, l.node, l.path, "%v", err)
			}
			m = re.MatchString
		}
		c.fields = append(c.fields, l.field)
		c.match = append(c.match, m)
		c.raw = append(c.raw, s)
	}
	return c, nil
}

func (c *matcher) Check(e *event.Event) bool {
	for i, f := range c.fields {
		v, ok := eventpath.Get(e, f)
		if !ok {
			return false
		}
		switch v := v.(type) {
		case string:
			if !c.match[i](v) {
				return false
			}
		case []string:
			if !anyString(v, c.match[i]) {
				return false
			}
		case []any:
			found := false
			for _, x := range v {
				if s, ok := x.(string); ok && c.match[i](s) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func anyString(l []string, m func(string) bool) bool {
	for _, s := range l {
		if m(s) {
			return true
		}
	}
	return false
}

func (c *matcher) String() string { return fieldsString(c.name, c.fields, c.raw) }

// ---- range ----

type bounds struct {
	gte, gt, lte, lt     float64
	hgte, hgt, hlte, hlt bool
}

type rangeCond struct {
	fields []string
	b      []bounds
	raw    []string
}

func newRange(file string, n *yaml.Node, path string) (Condition, error) {
	leaves, err := flatten(file, n, path)
	if err != nil {
		return nil, err
	}
	c := &rangeCond{}
	for _, l := range leaves {
		if l.node.Kind != yaml.ScalarNode || (l.node.Tag != "!!int" && l.node.Tag != "!!float" && l.node.Tag != "!!str") {
			return nil, errAt(file, l.node, l.path, "unknown type %s passed to ExtractFloat", yamlType(l.node))
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(l.node.Value, "_", ""), 64)
		if err != nil {
			if i, ierr := parseInt(l.node.Value); ierr == nil && l.node.Tag == "!!int" {
				f, err = float64(int64(i)), nil
			}
		}
		if err != nil {
			return nil, errAt(file, l.node, l.path, "%v", err)
		}
		dot := strings.LastIndexByte(l.field, '.')
		if dot < 0 {
			return nil, errAt(file, l.node, l.path, "unexpected range operator %s", l.field)
		}
		field, op := l.field[:dot], l.field[dot+1:]
		j := -1
		for k, x := range c.fields {
			if x == field {
				j = k
			}
		}
		if j < 0 {
			c.fields = append(c.fields, field)
			c.b = append(c.b, bounds{})
			c.raw = append(c.raw, "")
			j = len(c.fields) - 1
		}
		b := &c.b[j]
		switch op {
		case "gte":
			b.gte, b.hgte = f, true
		case "gt":
			b.gt, b.hgt = f, true
		case "lte":
			b.lte, b.hlte = f, true
		case "lt":
			b.lt, b.hlt = f, true
		default:
			return nil, errAt(file, l.node, l.path, "unexpected range operator %s", op)
		}
		if c.raw[j] != "" {
			c.raw[j] += ","
		}
		c.raw[j] += op + "=" + l.node.Value
	}
	return c, nil
}

func (b *bounds) contains(v float64) bool {
	return (!b.hgte || v >= b.gte) && (!b.hgt || v > b.gt) && (!b.hlte || v <= b.lte) && (!b.hlt || v < b.lt)
}

// number is the numeric value Beats' range condition accepts: integer and
// float types, never strings.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int16:
		return float64(x), true
	case int8:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint8:
		return float64(x), true
	}
	return 0, false
}

func (c *rangeCond) Check(e *event.Event) bool {
	for i, f := range c.fields {
		v, ok := eventpath.Get(e, f)
		if !ok {
			return false
		}
		x, ok := number(v)
		if !ok || !c.b[i].contains(x) {
			return false
		}
	}
	return true
}

func (c *rangeCond) String() string { return fieldsString("range", c.fields, c.raw) }

// ---- network ----

var (
	privateIPv4 = []*net.IPNet{
		{IP: net.IPv4(10, 0, 0, 0), Mask: net.IPv4Mask(255, 0, 0, 0)},
		{IP: net.IPv4(172, 16, 0, 0), Mask: net.IPv4Mask(255, 240, 0, 0)},
		{IP: net.IPv4(192, 168, 0, 0), Mask: net.IPv4Mask(255, 255, 0, 0)},
	}
	privateIPv6 = &net.IPNet{IP: net.IP{0xfd, 15: 0}, Mask: net.IPMask{0xff, 15: 0}}
)

// namedNetworks is Beats' list (libbeat/conditions/network.go), with its
// meanings: "private" is RFC 1918 and fd00::/8, "public" is everything not
// private, loopback, unspecified, broadcast or link/interface-local.
var namedNetworks = map[string]func(net.IP) bool{
	"loopback":                  net.IP.IsLoopback,
	"global_unicast":            net.IP.IsGlobalUnicast,
	"unicast":                   net.IP.IsGlobalUnicast,
	"link_local_unicast":        net.IP.IsLinkLocalUnicast,
	"interface_local_multicast": net.IP.IsInterfaceLocalMulticast,
	"link_local_multicast":      net.IP.IsLinkLocalMulticast,
	"multicast":                 net.IP.IsMulticast,
	"unspecified":               net.IP.IsUnspecified,
	"private":                   isPrivate,
	"public":                    func(ip net.IP) bool { return !isLocalOrPrivate(ip) },
}

func isPrivate(ip net.IP) bool {
	for _, n := range privateIPv4 {
		if n.Contains(ip) {
			return true
		}
	}
	return privateIPv6.Contains(ip)
}

func isLocalOrPrivate(ip net.IP) bool {
	return isPrivate(ip) || ip.IsLoopback() || ip.IsUnspecified() || ip.Equal(net.IPv4bcast) ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast()
}

type network struct {
	fields []string
	nets   [][]func(net.IP) bool
	raw    []string
}

func newNetwork(file string, n *yaml.Node, path string) (Condition, error) {
	leaves, err := flatten(file, n, path)
	if err != nil {
		return nil, err
	}
	c := &network{}
	one := func(n *yaml.Node, path string) (func(net.IP) bool, error) {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			return nil, errAt(file, n, path, "network condition attempted to set '%v' and encountered unexpected type '%s', only strings or []strings are allowed", n.Value, yamlType(n))
		}
		if f := namedNetworks[n.Value]; f != nil {
			return f, nil
		}
		_, subnet, err := net.ParseCIDR(n.Value)
		if err != nil {
			return nil, errAt(file, n, path, "failed to parse CIDR, values must be an IP address and prefix length, like '192.0.2.0/24' or '2001:db8::/32', as defined in RFC 4632 and RFC 4291: %v (or one of the named networks %s)", err, namedList())
		}
		return subnet.Contains, nil
	}
	for _, l := range leaves {
		var list []func(net.IP) bool
		var raw []string
		if l.node.Kind == yaml.SequenceNode {
			for i, x := range l.node.Content {
				f, err := one(x, l.path+"["+strconv.Itoa(i)+"]")
				if err != nil {
					return nil, err
				}
				list = append(list, f)
				raw = append(raw, x.Value)
			}
			if len(list) == 0 {
				return nil, errAt(file, l.node, l.path, "want a network or a list of networks")
			}
		} else {
			f, err := one(l.node, l.path)
			if err != nil {
				return nil, err
			}
			list, raw = append(list, f), append(raw, l.node.Value)
		}
		c.fields = append(c.fields, l.field)
		c.nets = append(c.nets, list)
		c.raw = append(c.raw, strings.Join(raw, " OR "))
	}
	return c, nil
}

func namedList() string {
	return "loopback, global_unicast, unicast, link_local_unicast, interface_local_multicast, link_local_multicast, multicast, unspecified, private, public"
}

func (c *network) Check(e *event.Event) bool {
	for i, f := range c.fields {
		v, ok := eventpath.Get(e, f)
		if !ok {
			return false
		}
		if !anyIP(v, c.nets[i]) {
			return false
		}
	}
	return true
}

// anyIP reports whether one of the addresses in v is in one of nets. An
// address that does not parse matches nothing. (Beats hands nil to the
// named tests there, which makes "public" match any garbage string; here
// garbage is never public.)
func anyIP(v any, nets []func(net.IP) bool) bool {
	in := func(ip net.IP) bool {
		if ip == nil {
			return false
		}
		for _, n := range nets {
			if n(ip) {
				return true
			}
		}
		return false
	}
	switch x := v.(type) {
	case string:
		return in(net.ParseIP(x))
	case []string:
		for _, s := range x {
			if in(net.ParseIP(s)) {
				return true
			}
		}
	case net.IP:
		return in(x)
	case netip.Addr:
		if x.IsValid() {
			return in(net.IP(x.AsSlice()))
		}
	}
	return false
}

func (c *network) String() string { return fieldsString("network", c.fields, c.raw) }
