package setup

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/outputs/elasticsearch/idxmgmt"
	"github.com/shipper-project/shipper/shipper/config"
)

// Config is the `setup` section of shipper.yml (Beats' setup.kibana.*,
// setup.ilm.*, setup.template.* keys where the meaning is the same). The
// index management part (ilm, template) is the Elasticsearch output's: it
// installs it on connect too.
type Config struct {
	Kibana         KibanaConfig `yaml:"kibana"`
	idxmgmt.Config `yaml:",inline"`
}

// KibanaConfig is setup.kibana.
type KibanaConfig struct {
	Host     string        `yaml:"host"`     // "localhost:5601", "https://kibana:5601"
	Protocol string        `yaml:"protocol"` // when host has no scheme; default http
	Path     string        `yaml:"path"`     // Kibana's server.basePath, e.g. /kibana
	Username string        `yaml:"username"`
	Password config.Secret `yaml:"password"`
	APIKey   config.Secret `yaml:"api_key"` // "id:key" or its base64 form
	Space    struct {
		ID string `yaml:"id"`
	} `yaml:"space"`
	Headers map[string]string `yaml:"headers"`
	Timeout time.Duration     `yaml:"timeout"`
	SSL     SSLConfig         `yaml:"ssl"`
}

// SSLConfig is setup.kibana.ssl: the same keys as output.elasticsearch.ssl
// (ca_trusted_fingerprint included), handled by the same code.
type SSLConfig = elasticsearch.SSLConfig

// DefaultConfig is the single place the defaults live; README.md shows
// them (index management: idxmgmt.DefaultConfig, Beats' defaults).
func DefaultConfig() Config {
	c := Config{Config: idxmgmt.DefaultConfig()}
	c.Kibana.Host = "localhost:5601"
	c.Kibana.Timeout = 90 * time.Second
	c.Kibana.SSL.VerificationMode = "full"
	return c
}

// Decode reads the setup section strictly over the defaults.
func Decode(sec config.Section) (Config, error) {
	c := DefaultConfig()
	if err := sec.Decode(&c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks what the types cannot. Errors name the key.
func (c *Config) Validate() error {
	var errs []error
	if _, err := c.Kibana.baseURL(); err != nil {
		errs = append(errs, fmt.Errorf("kibana.host: %v", err))
	}
	switch c.Kibana.SSL.VerificationMode {
	case "full", "strict", "certificate", "none":
	default:
		errs = append(errs, fmt.Errorf("kibana.ssl.verification_mode: %q unknown (want full, certificate or none)", c.Kibana.SSL.VerificationMode))
	}
	if (c.Kibana.SSL.Certificate == "") != (c.Kibana.SSL.Key == "") {
		errs = append(errs, errors.New("kibana.ssl.certificate: certificate and key must be set together"))
	}
	if c.Kibana.APIKey != "" && (c.Kibana.Username != "" || c.Kibana.Password != "") {
		errs = append(errs, errors.New("kibana.api_key: set either api_key or username/password, not both"))
	}
	if c.Kibana.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("kibana.timeout: must be > 0, got %s", c.Kibana.Timeout))
	}
	if strings.ContainsAny(c.Kibana.Space.ID, "/?# ") {
		errs = append(errs, fmt.Errorf("kibana.space.id: %q is not a space id", c.Kibana.Space.ID))
	}
	if err := c.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// baseURL is the Kibana URL with scheme, port (5601 by default) and base
// path, without credentials.
func (k KibanaConfig) baseURL() (*url.URL, error) {
	h := strings.TrimSpace(k.Host)
	if h == "" {
		return nil, errors.New("must not be empty")
	}
	if !strings.Contains(h, "://") {
		p := k.Protocol
		if p == "" {
			p = "http"
		}
		h = p + "://" + h
	}
	u, err := url.Parse(h)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("bad host %q", k.Host)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad host %q: scheme must be http or https", k.Host)
	}
	if u.Port() == "" {
		u.Host += ":5601"
	}
	if k.Path != "" {
		u.Path = "/" + strings.Trim(k.Path, "/")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.User = nil // credentials in URLs would end up in messages
	return u, nil
}
