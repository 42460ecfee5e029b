package communityid

import (
	_ "embed"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

//go:embed fields.yml
var fieldsYAML []byte

func init() {
	processors.Register(processors.Plugin{Name: "community_id", Factory: New, Fields: fieldsYAML})
}

var _ processors.Processor = (*Processor)(nil)

// Config is the community_id section; names and defaults are Beats'.
type Config struct {
	Fields FieldsConfig `yaml:"fields"`
	Target string       `yaml:"target"`
	Seed   uint16       `yaml:"seed"`
}

// FieldsConfig names the fields the flow tuple is read from.
type FieldsConfig struct {
	SourceIP          string `yaml:"source_ip"`
	SourcePort        string `yaml:"source_port"`
	DestinationIP     string `yaml:"destination_ip"`
	DestinationPort   string `yaml:"destination_port"`
	IANANumber        string `yaml:"iana_number"`
	TransportProtocol string `yaml:"transport"`
	ICMPType          string `yaml:"icmp_type"`
	ICMPCode          string `yaml:"icmp_code"`
}

// DefaultConfig returns Beats' defaults (ECS field names).
func DefaultConfig() Config {
	return Config{
		Fields: FieldsConfig{
			SourceIP:          "source.ip",
			SourcePort:        "source.port",
			DestinationIP:     "destination.ip",
			DestinationPort:   "destination.port",
			IANANumber:        "network.iana_number",
			TransportProtocol: "network.transport",
			ICMPType:          "icmp.type",
			ICMPCode:          "icmp.code",
		},
		Target: "network.community_id",
	}
}

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	if c.Target == "" {
		return fmt.Errorf("target: must not be empty")
	}
	return nil
}

// Processor adds the Community ID of the event's flow to Target.
type Processor struct{ cfg Config }

// New builds the processor from its config section.
func New(sec config.Section, _ processors.Env) (processors.Processor, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg); err != nil {
		return nil, err
	}
	return &Processor{cfg: cfg}, nil
}

// NewProcessor builds the processor from a decoded Config.
func NewProcessor(cfg Config) *Processor { return &Processor{cfg: cfg} }

func (p *Processor) String() string {
	f := p.cfg.Fields
	return fmt.Sprintf("community_id=[target=%s, fields=[source_ip=%v, source_port=%v, destination_ip=%v, destination_port=%v, transport_protocol=%v, icmp_type=%v, icmp_code=%v], seed=%d]",
		p.cfg.Target, f.SourceIP, f.SourcePort, f.DestinationIP, f.DestinationPort, f.TransportProtocol, f.ICMPType, f.ICMPCode, p.cfg.Seed)
}

// Run adds the ID as Beats does: an event that already has Target, or whose
// tuple is missing or invalid, is left unchanged without an error.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	if e.Fields.Has(p.cfg.Target) {
		return e, nil
	}
	if id := p.flowID(e.Fields); id != "" {
		if err := eventpath.PutValue(e, p.cfg.Target, id); err != nil {
			return e, fmt.Errorf("failed to write community ID to target field [%v]: %w", p.cfg.Target, err)
		}
	}
	return e, nil
}

func (p *Processor) flowID(f event.Fields) string {
	c := p.cfg.Fields
	src, ok := ipOf(f, c.SourceIP)
	if !ok {
		return ""
	}
	dst, ok := ipOf(f, c.DestinationIP)
	if !ok {
		return ""
	}
	v, ok := f.Get(c.IANANumber)
	if !ok {
		if v, ok = f.Get(c.TransportProtocol); !ok {
			return ""
		}
	}
	proto, ok := protocolOf(v)
	if !ok {
		return ""
	}
	var sp, dp uint16
	switch proto {
	case ProtoTCP, ProtoUDP, ProtoSCTP:
		if sp, ok = portOf(f, c.SourcePort); !ok {
			return ""
		}
		if dp, ok = portOf(f, c.DestinationPort); !ok {
			return ""
		}
	case ProtoICMP, ProtoICMPv6:
		// Beats hashes ICMP even without type and code (as 0, 0).
		t, okT := uintOf(f, c.ICMPType)
		code, okC := uintOf(f, c.ICMPCode)
		if okT && okC {
			sp, dp = uint16(uint8(t)), uint16(uint8(code))
		}
	}
	return Hash(p.cfg.Seed, proto, src, dst, sp, dp)
}

func ipOf(f event.Fields, key string) (netip.Addr, bool) {
	v, ok := f.Get(key)
	if !ok {
		return netip.Addr{}, false
	}
	switch x := v.(type) {
	case string:
		a, err := netip.ParseAddr(x)
		return a, err == nil && a.Zone() == ""
	case netip.Addr:
		return x, x.IsValid()
	case net.IP:
		a, ok := netip.AddrFromSlice(x)
		return a, ok
	}
	return netip.Addr{}, false
}

func portOf(f event.Fields, key string) (uint16, bool) {
	n, ok := uintOf(f, key)
	if !ok || n > 65535 {
		return 0, false
	}
	return uint16(n), true
}

func uintOf(f event.Fields, key string) (uint64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	return toUint(v)
}

// toUint accepts the number types a document holds and numeric strings
// (decimal, 0x…, 0o… as Beats' strconv.ParseUint(s, 0, 64)).
func toUint(v any) (uint64, bool) {
	switch x := v.(type) {
	case int:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case uint64:
		return x, true
	case uint32:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint8:
		return uint64(x), true
	case float64:
		if x < 0 || x != math.Trunc(x) || x > math.MaxUint32 {
			return 0, false
		}
		return uint64(x), true
	case string:
		n, err := strconv.ParseUint(x, 0, 64)
		return n, err == nil
	}
	return 0, false
}

// transports are the protocol names Beats accepts in network.transport.
var transports = map[string]uint8{
	"icmp":      ProtoICMP,
	"igmp":      2,
	"tcp":       ProtoTCP,
	"udp":       ProtoUDP,
	"gre":       47,
	"ipv6-icmp": ProtoICMPv6,
	"icmpv6":    ProtoICMPv6,
	"eigrp":     88,
	"ospf":      89,
	"pim":       103,
	"sctp":      ProtoSCTP,
}

func protocolOf(v any) (uint8, bool) {
	if s, ok := v.(string); ok {
		if p, ok := transports[strings.ToLower(s)]; ok {
			return p, true
		}
	}
	n, ok := toUint(v)
	if !ok || n > 255 {
		return 0, false
	}
	return uint8(n), true
}
