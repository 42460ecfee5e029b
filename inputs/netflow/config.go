package netflow

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/inputs/internal/flow"
	"github.com/shipper-project/shipper/shipper/config"
)

// Config is the netflow input's section: Filebeat's netflow input keys. Keep
// it in step with DefaultConfig, the README's configuration block and
// config_test.go.
type Config struct {
	Host                string          `yaml:"host"`
	Protocols           []string        `yaml:"protocols"`
	ExpirationTimeout   time.Duration   `yaml:"expiration_timeout"`
	QueueSize           int             `yaml:"queue_size"`
	ReadBuffer          config.ByteSize `yaml:"read_buffer"`
	MaxMessageSize      config.ByteSize `yaml:"max_message_size"`
	CustomDefinitions   []string        `yaml:"custom_definitions"`
	DetectSequenceReset bool            `yaml:"detect_sequence_reset"`
	InternalNetworks    []string        `yaml:"internal_networks"`
	// PendingRecords bounds the data sets kept per exporter while their
	// template has not arrived yet (decoded when it does, counted as
	// records.no_template when pushed out or expired).
	PendingRecords int `yaml:"pending_records"`
	// ExporterStatsPeriod is how often the per-exporter netflow.exporter_stats
	// documents (datagrams, flows, lost and dropped datagrams) are shipped;
	// 0 ships none. Not in Filebeat.
	ExporterStatsPeriod time.Duration `yaml:"exporter_stats_period"`

	protocols map[uint16]bool
	custom    map[customKey]element
	networks  flow.Networks
}

// DefaultConfig returns the defaults README.md shows (Filebeat's).
func DefaultConfig() Config {
	return Config{
		Host:                "localhost:2055",
		Protocols:           []string{"v5", "v9", "ipfix"},
		ExpirationTimeout:   30 * time.Minute,
		QueueSize:           8192,
		MaxMessageSize:      10 * config.KiB,
		DetectSequenceReset: true,
		InternalNetworks:    []string{"private"},
		PendingRecords:      64,
		ExporterStatsPeriod: time.Minute,
	}
}

var protocolVersions = map[string]uint16{"v1": 1, "v5": 5, "v6": 6, "v7": 7, "v8": 8, "v9": 9, "ipfix": 10}

// Validate checks what the types cannot and loads custom_definitions.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Host); err != nil {
		errs = append(errs, fmt.Errorf("host: %q is not host:port: %v", c.Host, err))
	}
	c.protocols = map[uint16]bool{}
	if len(c.Protocols) == 0 {
		errs = append(errs, errors.New("protocols: at least one of v5, v9, ipfix is required"))
	}
	for i, p := range c.Protocols {
		v, ok := protocolVersions[p]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("protocols[%d]: unknown protocol %q (accepted: v1, v5, v6, v7, v8, v9, ipfix)", i, p))
		case v != 5 && v != 9 && v != 10:
			errs = append(errs, fmt.Errorf("protocols[%d]: %s is not supported by this input (v5, v9 and ipfix are)", i, p))
		default:
			c.protocols[v] = true
		}
	}
	if c.ExpirationTimeout < 0 {
		errs = append(errs, fmt.Errorf("expiration_timeout: must be >= 0, got %s", c.ExpirationTimeout))
	}
	if c.QueueSize <= 0 {
		errs = append(errs, fmt.Errorf("queue_size: must be > 0, got %d", c.QueueSize))
	}
	if c.ReadBuffer < 0 || c.ReadBuffer > 1<<30 {
		errs = append(errs, fmt.Errorf("read_buffer: must be between 0 (system default) and 1GiB, got %d", c.ReadBuffer))
	}
	if c.MaxMessageSize < 64 || c.MaxMessageSize > 65535 {
		errs = append(errs, fmt.Errorf("max_message_size: must be between 64B and 64KiB (a UDP datagram), got %d", c.MaxMessageSize))
	}
	if c.ExporterStatsPeriod < 0 {
		errs = append(errs, fmt.Errorf("exporter_stats_period: must be >= 0 (0: no exporter_stats documents), got %s", c.ExporterStatsPeriod))
	}
	if c.PendingRecords < 0 {
		errs = append(errs, fmt.Errorf("pending_records: must be >= 0, got %d", c.PendingRecords))
	}
	nets, err := flow.ParseNetworks(c.InternalNetworks)
	if err != nil {
		errs = append(errs, fmt.Errorf("internal_networks: %w", err))
	}
	c.networks = nets
	c.custom = map[customKey]element{}
	for i, path := range c.CustomDefinitions {
		if err := loadCustom(path, c.custom); err != nil {
			errs = append(errs, fmt.Errorf("custom_definitions[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) listener() flow.ListenerConfig {
	return flow.ListenerConfig{Host: c.Host, ReadBuffer: int(c.ReadBuffer), MaxMessageSize: int(c.MaxMessageSize), QueueSize: c.QueueSize}
}

// customKey names an element: enterprise number (0 for IANA) and id.
type customKey struct {
	pen uint32
	id  uint16
}

var customTypes = map[string]kind{
	"unsigned8": kindUnsigned, "unsigned16": kindUnsigned, "unsigned32": kindUnsigned, "unsigned64": kindUnsigned,
	"signed8": kindUnsigned, "signed16": kindUnsigned, "signed32": kindUnsigned, "signed64": kindUnsigned,
	"boolean": kindUnsigned, "ipv4Address": kindIPv4, "ipv6Address": kindIPv6, "macAddress": kindMAC,
	"string": kindString, "octetArray": kindOctets, "dateTimeSeconds": kindDateSec,
	"dateTimeMilliseconds": kindDateMilli, "dateTimeMicroseconds": kindDateMicro, "dateTimeNanoseconds": kindDateNano,
}

// loadCustom reads a Filebeat custom_definitions file: a map of enterprise
// number to a map of element id to [name, type].
//
//	0:                       # IANA
//	  33000: [egress_acl_id, octetArray]
//	9:                       # Cisco
//	  12235: [cisco_avc_field, unsigned32]
func loadCustom(path string, into map[customKey]element) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]map[string][]string
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	for penS, fields := range doc {
		pen, err := strconv.ParseUint(penS, 10, 32)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: enterprise number %q: not a number", path, penS))
			continue
		}
		for idS, def := range fields {
			id, err := strconv.ParseUint(idS, 10, 16)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s.%s: element id is not a 16-bit number", path, penS, idS))
				continue
			}
			if len(def) != 2 || def[0] == "" {
				errs = append(errs, fmt.Errorf("%s: %s.%s: want [name, type]", path, penS, idS))
				continue
			}
			k, ok := customTypes[def[1]]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: %s.%s: unknown type %q (unsigned8..64, signed8..64, boolean, ipv4Address, ipv6Address, macAddress, string, octetArray, dateTimeSeconds, dateTimeMilliseconds, dateTimeMicroseconds, dateTimeNanoseconds)", path, penS, idS, def[1]))
				continue
			}
			into[customKey{uint32(pen), uint16(id)}] = element{name: def[0], snake: snakeCase(def[0]), kind: k, key: "netflow." + snakeCase(def[0])}
		}
	}
	return errors.Join(errs...)
}
