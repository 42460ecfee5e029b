package snmp

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/shipper-project/shipper/shipper/config"
)

// conf is the input's section. Keep it in step with defaultConfig, the
// README's configuration block and config_test.go.
type conf struct {
	Hosts     []string      `yaml:"hosts"`
	Version   version       `yaml:"version"`
	Community config.Secret `yaml:"community"`

	// SNMPv3 (USM).
	SecurityLevel securityLevel `yaml:"security_level"`
	Username      string        `yaml:"username"`
	AuthProtocol  authProtocol  `yaml:"auth_protocol"`
	AuthPassword  config.Secret `yaml:"auth_password"`
	PrivProtocol  privProtocol  `yaml:"priv_protocol"`
	PrivPassword  config.Secret `yaml:"priv_password"`
	ContextName   string        `yaml:"context_name"`

	Period             time.Duration `yaml:"period"`
	Timeout            time.Duration `yaml:"timeout"`
	Retries            int           `yaml:"retries"`
	MaxRepetitions     uint32        `yaml:"max_repetitions"`
	MaxConcurrentPolls int           `yaml:"max_concurrent_polls"`
	// RateMargin: a rate above line speed × RateMargin is impossible and
	// dropped (see rate.go for why the margin is not 1).
	RateMargin float64          `yaml:"rate_margin"`
	Interfaces interfacesConfig `yaml:"interfaces"`
}

// interfacesConfig selects interfaces by name (ifName, or ifDescr when the
// agent has no ifName) with shell globs (path.Match): "eth*", "lo".
type interfacesConfig struct {
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
}

// defaultConfig is the single place defaults live; README shows the same values.
func defaultConfig() conf {
	return conf{
		Version:            version2c,
		Community:          "public",
		AuthProtocol:       "SHA",
		PrivProtocol:       "AES",
		Period:             10 * time.Second,
		Timeout:            2 * time.Second,
		Retries:            2,
		MaxRepetitions:     50,
		MaxConcurrentPolls: 16,
		RateMargin:         2,
	}
}

// Validate checks what the types cannot. Errors name the key.
func (c *conf) Validate() error {
	var errs []error
	if len(c.Hosts) == 0 {
		errs = append(errs, errors.New("hosts: at least one host is required"))
	}
	seen := map[string]bool{}
	for i, h := range c.Hosts {
		t, err := parseHost(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("hosts: [%d] %w", i, err))
			continue
		}
		if seen[t.String()] {
			errs = append(errs, fmt.Errorf("hosts: [%d] %s is listed twice", i, t))
		}
		seen[t.String()] = true
	}
	if c.Period <= 0 {
		errs = append(errs, fmt.Errorf("period: must be > 0, got %s", c.Period))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout: must be > 0, got %s", c.Timeout))
	}
	if c.Retries < 0 {
		errs = append(errs, fmt.Errorf("retries: must be >= 0, got %d", c.Retries))
	}
	if c.MaxRepetitions == 0 || c.MaxRepetitions > 255 {
		// gosnmp sends max-repetitions as one byte in practice (uint8 non-repeaters
		// and agents cap it); 255 is plenty.
		errs = append(errs, fmt.Errorf("max_repetitions: must be 1..255, got %d", c.MaxRepetitions))
	}
	if c.MaxConcurrentPolls < 1 {
		errs = append(errs, fmt.Errorf("max_concurrent_polls: must be >= 1, got %d", c.MaxConcurrentPolls))
	}
	if c.RateMargin < 1 {
		errs = append(errs, fmt.Errorf("rate_margin: must be >= 1, got %g", c.RateMargin))
	}
	for _, p := range append(append([]string(nil), c.Interfaces.Include...), c.Interfaces.Exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("interfaces: bad glob %q: %w", p, err))
		}
	}
	if v := c.Version.norm(); v == "" {
		errs = append(errs, fmt.Errorf("version: unknown version %q (want 1, 2c or 3)", c.Version))
	} else {
		c.Version = v
	}
	if l, ok := c.SecurityLevel.norm(); !ok {
		errs = append(errs, fmt.Errorf("security_level: unknown security_level %q (want noAuthNoPriv, authNoPriv or authPriv)", c.SecurityLevel))
	} else {
		c.SecurityLevel = l
	}
	if c.AuthProtocol.gosnmp() == 0 {
		errs = append(errs, fmt.Errorf("auth_protocol: unknown auth_protocol %q (want MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512)", c.AuthProtocol))
	}
	if c.PrivProtocol.gosnmp() == 0 {
		errs = append(errs, fmt.Errorf("priv_protocol: unknown priv_protocol %q (want DES, AES, AES-192, AES-256, AES-192-C or AES-256-C)", c.PrivProtocol))
	}
	if c.Version == version3 {
		if c.Username == "" {
			errs = append(errs, errors.New("username: required with version 3"))
		}
		lvl := c.level()
		if lvl != noAuthNoPriv && c.AuthPassword == "" {
			errs = append(errs, fmt.Errorf("auth_password: required with security_level %s", lvl))
		}
		if lvl == authPriv && c.PrivPassword == "" {
			errs = append(errs, fmt.Errorf("priv_password: required with security_level %s", lvl))
		}
		if lvl != noAuthNoPriv && c.AuthPassword != "" && len(c.AuthPassword) < 8 {
			// RFC 3414 11.2: passwords shorter than 8 octets are refused by agents.
			errs = append(errs, errors.New("auth_password: must be at least 8 characters (RFC 3414)"))
		}
		if lvl == authPriv && c.PrivPassword != "" && len(c.PrivPassword) < 8 {
			errs = append(errs, errors.New("priv_password: must be at least 8 characters (RFC 3414)"))
		}
	}
	return errors.Join(errs...)
}

// level is the configured security level, or the one the passwords imply.
func (c *conf) level() securityLevel {
	if c.SecurityLevel != levelUnset {
		return c.SecurityLevel
	}
	switch {
	case c.PrivPassword != "":
		return authPriv
	case c.AuthPassword != "":
		return authNoPriv
	}
	return noAuthNoPriv
}

// target is one agent address.
type target struct {
	Transport string // "udp" or "tcp"
	Host      string
	Port      uint16
}

// String is the canonical form used in logs, errors and snmp.agent.address.
func (t target) String() string {
	return t.Transport + "://" + net.JoinHostPort(t.Host, strconv.Itoa(int(t.Port)))
}

// parseHost accepts "udp://host:port", "tcp://host:port", "host:port" and a
// bare "host" (udp, port 161). IPv6 literals go in brackets when a port or
// scheme is given: "udp://[2001:db8::1]:161"; a bare "2001:db8::1" is a host.
func parseHost(s string) (target, error) {
	t := target{Transport: "udp", Port: 161}
	hostport := strings.TrimSpace(s)
	if hostport == "" {
		return t, errors.New("empty host")
	}
	if strings.Contains(hostport, "://") {
		u, err := url.Parse(hostport)
		if err != nil {
			return t, fmt.Errorf("bad host %q: %w", s, err)
		}
		switch u.Scheme {
		case "udp", "tcp":
			t.Transport = u.Scheme
		default:
			return t, fmt.Errorf("bad host %q: scheme must be udp:// or tcp://", s)
		}
		if u.Path != "" && u.Path != "/" || u.User != nil || u.RawQuery != "" {
			return t, fmt.Errorf("bad host %q: want scheme://host:port", s)
		}
		hostport = u.Host
	}
	host := hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return t, fmt.Errorf("bad host %q: port must be 1..65535", s)
		}
		host, t.Port = h, uint16(n)
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" || strings.ContainsAny(host, " /[]") {
		return t, fmt.Errorf("bad host %q", s)
	}
	t.Host = host
	return t, nil
}

// The enumerations are strings checked in Validate, not UnmarshalText
// types: an error from Validate is reported at the key's line.

// version is the SNMP protocol version: "1", "2c" or "3".
type version string

const (
	version1  version = "1"
	version2c version = "2c"
	version3  version = "3"
)

// norm returns the canonical spelling ("v2c", "2" → "2c"), or "" when v is
// not a version.
func (v version) norm() version {
	switch strings.ToLower(strings.TrimSpace(string(v))) {
	case "1", "v1":
		return version1
	case "2", "2c", "v2c":
		return version2c
	case "3", "v3":
		return version3
	}
	return ""
}

func (v version) gosnmp() gosnmp.SnmpVersion {
	switch v.norm() {
	case version1:
		return gosnmp.Version1
	case version3:
		return gosnmp.Version3
	}
	return gosnmp.Version2c
}

// securityLevel is the SNMPv3 msgFlags level; "" means implied by the
// passwords that are set.
type securityLevel string

const (
	levelUnset   securityLevel = ""
	noAuthNoPriv securityLevel = "noAuthNoPriv"
	authNoPriv   securityLevel = "authNoPriv"
	authPriv     securityLevel = "authPriv"
)

func (l securityLevel) norm() (securityLevel, bool) {
	for _, k := range []securityLevel{levelUnset, noAuthNoPriv, authNoPriv, authPriv} {
		if strings.EqualFold(strings.TrimSpace(string(l)), string(k)) {
			return k, true
		}
	}
	return "", false
}

// authProtocol is the SNMPv3 authentication protocol name.
type authProtocol string

var authProtocols = []struct {
	name string
	p    gosnmp.SnmpV3AuthProtocol
}{
	{"MD5", gosnmp.MD5}, {"SHA", gosnmp.SHA}, {"SHA-224", gosnmp.SHA224},
	{"SHA-256", gosnmp.SHA256}, {"SHA-384", gosnmp.SHA384}, {"SHA-512", gosnmp.SHA512},
}

// gosnmp returns the protocol, or 0 for an unknown name. "sha256",
// "SHA_256" and "SHA-256" are the same; "SHA1" is SHA.
func (a authProtocol) gosnmp() gosnmp.SnmpV3AuthProtocol {
	s := normProto(string(a))
	if s == "SHA1" {
		return gosnmp.SHA
	}
	for _, p := range authProtocols {
		if s == normProto(p.name) {
			return p.p
		}
	}
	return 0
}

// privProtocol is the SNMPv3 privacy (encryption) protocol name.
type privProtocol string

var privProtocols = []struct {
	name string
	p    gosnmp.SnmpV3PrivProtocol
}{
	{"DES", gosnmp.DES}, {"AES", gosnmp.AES}, {"AES-192", gosnmp.AES192},
	{"AES-256", gosnmp.AES256}, {"AES-192-C", gosnmp.AES192C}, {"AES-256-C", gosnmp.AES256C},
}

// gosnmp returns the protocol, or 0 for an unknown name ("AES-128" is AES).
func (p privProtocol) gosnmp() gosnmp.SnmpV3PrivProtocol {
	s := normProto(string(p))
	if s == "AES128" {
		return gosnmp.AES
	}
	for _, q := range privProtocols {
		if s == normProto(q.name) {
			return q.p
		}
	}
	return 0
}

// normProto makes "sha-256", "SHA256" and "sha_256" the same name.
func normProto(s string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(strings.ToUpper(strings.TrimSpace(s)))
}

// selected reports whether the interface named name is polled: it matches
// an include glob (or there are none) and no exclude glob.
func (ic interfacesConfig) selected(name string) bool {
	for _, p := range ic.Exclude {
		if ok, _ := path.Match(p, name); ok {
			return false
		}
	}
	if len(ic.Include) == 0 {
		return true
	}
	for _, p := range ic.Include {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}
