package elasticsearch

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/shipper-project/shipper/shipper/config"
)

// Config is output.elasticsearch. Key names are Filebeat's where the meaning
// is the same.
type Config struct {
	Hosts            []string          `yaml:"hosts"`
	Protocol         string            `yaml:"protocol"`
	Path             string            `yaml:"path"`
	Username         string            `yaml:"username"`
	Password         config.Secret     `yaml:"password"`
	APIKey           config.Secret     `yaml:"api_key"` // "id:key" or the base64 encoded form
	Index            string            `yaml:"index"`
	Pipeline         string            `yaml:"pipeline"`
	BulkMaxSize      int               `yaml:"bulk_max_size"`
	BulkMaxBytes     config.ByteSize   `yaml:"bulk_max_bytes"`
	Worker           int               `yaml:"worker"`
	CompressionLevel int               `yaml:"compression_level"`
	Timeout          time.Duration     `yaml:"timeout"`
	Headers          map[string]string `yaml:"headers"`
	Parameters       map[string]string `yaml:"parameters"`
	Backoff          struct {
		Init time.Duration `yaml:"init"`
		Max  time.Duration `yaml:"max"`
	} `yaml:"backoff"`
	SSL        SSLConfig `yaml:"ssl"`
	DeadLetter struct {
		MaxBytes config.ByteSize `yaml:"max_bytes"`
	} `yaml:"dead_letter"`
	Enabled *bool `yaml:"enabled"`
}

// SSLConfig is the ssl.* block.
type SSLConfig struct {
	Enabled                *bool         `yaml:"enabled"`
	CertificateAuthorities []string      `yaml:"certificate_authorities"` // files or inline PEM
	VerificationMode       string        `yaml:"verification_mode"`       // full, certificate, none
	Certificate            string        `yaml:"certificate"`
	Key                    string        `yaml:"key"`
	KeyPassphrase          config.Secret `yaml:"key_passphrase"`
	CATrustedFingerprint   string        `yaml:"ca_trusted_fingerprint"` // hex SHA-256 of the CA
}

// DefaultConfig is the single place the defaults live; README.md shows them.
func DefaultConfig() Config {
	c := Config{
		Hosts:            []string{"http://localhost:9200"},
		Index:            "shipper-%{[event.dataset]:generic}",
		BulkMaxSize:      1600,
		BulkMaxBytes:     10 * config.MiB,
		Worker:           1,
		CompressionLevel: 1,
		Timeout:          90 * time.Second,
	}
	c.Backoff.Init = time.Second
	c.Backoff.Max = 60 * time.Second
	c.SSL.VerificationMode = "full"
	c.DeadLetter.MaxBytes = 16 * config.MiB
	return c
}

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Hosts) == 0 {
		errs = append(errs, errors.New("hosts: at least one host is required"))
	}
	for _, h := range c.Hosts {
		if _, err := hostURL(h, c.Protocol, c.Path); err != nil {
			errs = append(errs, fmt.Errorf("hosts: %v", err))
		}
	}
	if c.BulkMaxSize <= 0 {
		errs = append(errs, fmt.Errorf("bulk_max_size: must be > 0, got %d", c.BulkMaxSize))
	}
	if c.BulkMaxBytes < 1024 {
		errs = append(errs, fmt.Errorf("bulk_max_bytes: must be >= 1KiB, got %d", c.BulkMaxBytes))
	}
	if c.Worker <= 0 {
		errs = append(errs, fmt.Errorf("worker: must be > 0, got %d", c.Worker))
	}
	if c.CompressionLevel < 0 || c.CompressionLevel > 9 {
		errs = append(errs, fmt.Errorf("compression_level: must be 0..9, got %d", c.CompressionLevel))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout: must be > 0, got %s", c.Timeout))
	}
	if c.Index == "" {
		errs = append(errs, errors.New("index: must not be empty"))
	} else if sel, err := parseIndex(c.Index); err != nil {
		errs = append(errs, fmt.Errorf("index: %v", err))
	} else if err := sel.validate(); err != nil {
		errs = append(errs, fmt.Errorf("index: %v", err))
	}
	if strings.Contains(c.Pipeline, "%{") {
		if _, err := parseIndex(c.Pipeline); err != nil {
			errs = append(errs, fmt.Errorf("pipeline: %v", err))
		}
	}
	if c.Backoff.Init <= 0 || c.Backoff.Max < c.Backoff.Init {
		errs = append(errs, fmt.Errorf("backoff: want 0 < init <= max, got init %s max %s", c.Backoff.Init, c.Backoff.Max))
	}
	switch c.SSL.VerificationMode {
	case "full", "certificate", "none", "strict":
	default:
		errs = append(errs, fmt.Errorf("ssl: verification_mode %q unknown (want full, certificate or none)", c.SSL.VerificationMode))
	}
	if (c.SSL.Certificate == "") != (c.SSL.Key == "") {
		errs = append(errs, errors.New("ssl: certificate and key must be set together"))
	}
	if c.APIKey != "" && (c.Username != "" || c.Password != "") {
		errs = append(errs, errors.New("api_key: set either api_key or username/password, not both"))
	}
	return errors.Join(errs...)
}

// hostURL turns a Beats-style host ("es:9200", "https://es", "es") into a
// URL with a scheme and port 9200 by default.
func hostURL(h, protocol, path string) (*url.URL, error) {
	if !strings.Contains(h, "://") {
		p := protocol
		if p == "" {
			p = "http"
		}
		h = p + "://" + h
	}
	u, err := url.Parse(h)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("bad host %q", withoutUserinfo(h))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad host %q: scheme must be http or https", withoutUserinfo(h))
	}
	if u.Port() == "" {
		u.Host += ":9200"
	}
	if path != "" {
		u.Path = "/" + strings.Trim(path, "/")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.User = nil // credentials in URLs would end up in logs
	return u, nil
}

// withoutUserinfo hides "user:password@" in a host for messages.
func withoutUserinfo(h string) string {
	scheme, rest, ok := strings.Cut(h, "://")
	if !ok {
		scheme, rest = "", h
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		rest = "[redacted]@" + rest[at+1:]
	}
	if ok {
		return scheme + "://" + rest
	}
	return rest
}
