package setup

import (
	"errors"
	"fmt"
	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/shipper-project/shipper/shipper/config"
)

// Config is the `setup` section of shipper.yml (Beats' setup.kibana.*,
// setup.ilm.*, setup.template.* keys where the meaning is the same).
type Config struct {
	Kibana   KibanaConfig   `yaml:"kibana"`
	ILM      ILMConfig      `yaml:"ilm"`
	Template TemplateConfig `yaml:"template"`
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

// ILMConfig is setup.ilm: the lifecycle policy of the shipper-* data
// streams.
type ILMConfig struct {
	Enabled    bool   `yaml:"enabled"`
	PolicyName string `yaml:"policy_name"`
	// Overwrite replaces an existing policy; by default one that exists
	// is left alone, so that a retention changed in Kibana survives.
	Overwrite bool `yaml:"overwrite"`
	Rollover  struct {
		MaxAge              string          `yaml:"max_age"`
		MaxPrimaryShardSize config.ByteSize `yaml:"max_primary_shard_size"`
	} `yaml:"rollover"`
	// DeleteAfter is the age (from rollover) at which a backing index is
	// deleted.
	DeleteAfter string `yaml:"delete_after"`
}

// TemplateConfig is setup.template.
type TemplateConfig struct {
	Enabled  bool   `yaml:"enabled"`
	Name     string `yaml:"name"`
	Pattern  string `yaml:"pattern"`
	Priority int    `yaml:"priority"`
	Settings struct {
		Index struct {
			NumberOfShards   int `yaml:"number_of_shards"`
			NumberOfReplicas int `yaml:"number_of_replicas"`
		} `yaml:"index"`
	} `yaml:"settings"`
}

// DefaultConfig is the single place the defaults live; README.md shows
// them. Sized for a small single-node cluster: 1 shard, 0 replicas (a
// replica could never be assigned: the cluster would stay yellow), daily
// rollover or at 1 GiB, deletion two weeks after rollover.
func DefaultConfig() Config {
	var c Config
	c.Kibana.Host = "localhost:5601"
	c.Kibana.Timeout = 90 * time.Second
	c.Kibana.SSL.VerificationMode = "full"
	c.ILM.Enabled = true
	c.ILM.PolicyName = "shipper"
	c.ILM.Rollover.MaxAge = "1d"
	c.ILM.Rollover.MaxPrimaryShardSize = config.GiB
	c.ILM.DeleteAfter = "14d"
	c.Template.Enabled = true
	c.Template.Name = "shipper"
	c.Template.Pattern = "shipper-*"
	c.Template.Priority = 150
	c.Template.Settings.Index.NumberOfShards = 1
	c.Template.Settings.Index.NumberOfReplicas = 0
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

var esDuration = regexp.MustCompile(`^[0-9]+(d|h|m|s|ms)$`)

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
	if c.ILM.Enabled {
		if c.ILM.PolicyName == "" {
			errs = append(errs, errors.New("ilm.policy_name: must not be empty"))
		}
		if c.ILM.Rollover.MaxAge != "" && !esDuration.MatchString(c.ILM.Rollover.MaxAge) {
			errs = append(errs, fmt.Errorf("ilm.rollover.max_age: %q is not a duration such as 1d or 12h", c.ILM.Rollover.MaxAge))
		}
		if c.ILM.Rollover.MaxAge == "" && c.ILM.Rollover.MaxPrimaryShardSize <= 0 {
			errs = append(errs, errors.New("ilm.rollover: set max_age, max_primary_shard_size or both"))
		}
		if c.ILM.DeleteAfter == "" || !esDuration.MatchString(c.ILM.DeleteAfter) {
			errs = append(errs, fmt.Errorf("ilm.delete_after: %q is not a duration such as 14d (a small disk needs a delete phase)", c.ILM.DeleteAfter))
		}
	}
	if c.Template.Enabled {
		if c.Template.Name == "" {
			errs = append(errs, errors.New("template.name: must not be empty"))
		}
		if c.Template.Pattern == "" {
			errs = append(errs, errors.New("template.pattern: must not be empty"))
		}
		if c.Template.Priority <= 100 {
			errs = append(errs, fmt.Errorf("template.priority: %d would lose against the built-in logs-*-*/metrics-*-* templates (100); use more", c.Template.Priority))
		}
		if c.Template.Settings.Index.NumberOfShards < 1 {
			errs = append(errs, fmt.Errorf("template.settings.index.number_of_shards: must be >= 1, got %d", c.Template.Settings.Index.NumberOfShards))
		}
		if c.Template.Settings.Index.NumberOfReplicas < 0 {
			errs = append(errs, fmt.Errorf("template.settings.index.number_of_replicas: must be >= 0, got %d", c.Template.Settings.Index.NumberOfReplicas))
		}
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
