// Package idxmgmt is the index management of the Elasticsearch output, as
// Beats' libbeat/idxmgmt does it: the ILM policy and the composable index
// template (rendered from the field catalog) that the shipper-* data
// streams need before their first document. `shipper run` installs what is
// missing when it connects (elasticsearch.Output), `shipper setup
// --index-management` installs it on demand (shipper/setup).
//
// Configuration: setup.ilm.* and setup.template.* (Beats' key names).
package idxmgmt

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/shipper-project/shipper/shipper/config"
)

// Config is the index management part of the `setup` section.
type Config struct {
	ILM      ILMConfig      `yaml:"ilm"`
	Template TemplateConfig `yaml:"template"`
}

// ILMConfig is setup.ilm: the lifecycle policy of the shipper-* data
// streams.
type ILMConfig struct {
	Enabled    bool   `yaml:"enabled"`
	PolicyName string `yaml:"policy_name"`
	// PolicyFile is a JSON file holding the whole policy body
	// ({"policy": {"phases": …}}), as Beats' setup.ilm.policy_file; it
	// replaces rollover and delete_after.
	PolicyFile string `yaml:"policy_file"`
	// Overwrite replaces an existing policy; by default one that exists
	// is left alone, so that a retention changed in Kibana survives.
	Overwrite bool `yaml:"overwrite"`
	// CheckExists false skips the policy altogether, as Beats does: the
	// check needs the read_ilm privilege, and without it the policy is
	// neither checked nor installed (overwrite or not).
	CheckExists bool `yaml:"check_exists"`
	// Rollover and DeleteAfter shape the built-in policy (shipper's keys;
	// Beats writes them in a policy_file).
	Rollover struct {
		MaxAge              string          `yaml:"max_age"`
		MaxPrimaryShardSize config.ByteSize `yaml:"max_primary_shard_size"`
	} `yaml:"rollover"`
	// DeleteAfter, when set, adds a delete phase at that age (from
	// rollover). Empty by default: Beats' policy deletes nothing.
	DeleteAfter string `yaml:"delete_after"`

	policy map[string]any // read from PolicyFile by Validate
}

// TemplateConfig is setup.template.
type TemplateConfig struct {
	Enabled bool   `yaml:"enabled"`
	Name    string `yaml:"name"`
	Pattern string `yaml:"pattern"`
	// Priority of the composable template: above the built-in
	// logs-*-*/metrics-*-* ones (100).
	Priority int `yaml:"priority"`
	// Overwrite replaces an existing template when the shipper connects;
	// by default one that exists is left alone (Beats). `shipper setup`
	// always writes it.
	Overwrite bool `yaml:"overwrite"`
	Settings  struct {
		// Index is passed through as the template's index settings
		// (setup.template.settings.index.*), over the catalog's
		// (number_of_shards 1, number_of_replicas 0, total_fields 10000).
		Index map[string]any `yaml:"index"`
		// Source is the mapping's _source (setup.template.settings._source).
		Source map[string]any `yaml:"_source"`
	} `yaml:"settings"`
}

// DefaultConfig is the single place the defaults live; the Elasticsearch
// output's README shows them. The policy is Beats' default: rollover at
// 50 GB per primary shard or 30 days, nothing deleted.
func DefaultConfig() Config {
	var c Config
	c.ILM.Enabled = true
	c.ILM.PolicyName = "shipper"
	c.ILM.CheckExists = true
	c.ILM.Rollover.MaxAge = "30d"
	c.ILM.Rollover.MaxPrimaryShardSize = 50 * config.GiB
	c.Template.Enabled = true
	c.Template.Name = "shipper"
	c.Template.Pattern = "shipper-*"
	c.Template.Priority = 150
	return c
}

// Decode reads setup.ilm and setup.template from the setup section over
// the defaults (the section's other keys, kibana…, belong to shipper/setup)
// and validates them. Errors name the file, line and key.
func Decode(sec config.Section) (Config, error) {
	c := DefaultConfig()
	if err := sec.Decode(&c, "kibana"); err != nil {
		return Config{}, err
	}
	return c, nil
}

var esDuration = regexp.MustCompile(`^[0-9]+(d|h|m|s|ms|micros|nanos)$`)

// Validate checks what the types cannot and reads policy_file. Errors name
// the key relative to the setup section.
func (c *Config) Validate() error {
	var errs []error
	if c.ILM.Enabled {
		if c.ILM.PolicyName == "" {
			errs = append(errs, errors.New("ilm.policy_name: must not be empty"))
		}
		if c.ILM.PolicyFile != "" {
			p, err := readPolicy(c.ILM.PolicyFile)
			if err != nil {
				errs = append(errs, fmt.Errorf("ilm.policy_file: %v", err))
			}
			c.ILM.policy = p
		} else {
			if c.ILM.Rollover.MaxAge != "" && !esDuration.MatchString(c.ILM.Rollover.MaxAge) {
				errs = append(errs, fmt.Errorf("ilm.rollover.max_age: %q is not a duration such as 30d or 12h", c.ILM.Rollover.MaxAge))
			}
			if c.ILM.Rollover.MaxAge == "" && c.ILM.Rollover.MaxPrimaryShardSize <= 0 {
				errs = append(errs, errors.New("ilm.rollover: set max_age, max_primary_shard_size or both"))
			}
			if c.ILM.DeleteAfter != "" && !esDuration.MatchString(c.ILM.DeleteAfter) {
				errs = append(errs, fmt.Errorf("ilm.delete_after: %q is not a duration such as 90d", c.ILM.DeleteAfter))
			}
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
		idx := c.Template.Settings.Index
		if v, ok := idx["number_of_shards"]; ok {
			if n, isInt := v.(int); !isInt || n < 1 {
				errs = append(errs, fmt.Errorf("template.settings.index.number_of_shards: must be an integer >= 1, got %v", v))
			}
		}
		if v, ok := idx["number_of_replicas"]; ok {
			if n, isInt := v.(int); !isInt || n < 0 {
				errs = append(errs, fmt.Errorf("template.settings.index.number_of_replicas: must be an integer >= 0, got %v", v))
			}
		}
		if _, ok := idx["lifecycle"]; ok && c.ILM.Enabled {
			errs = append(errs, errors.New("template.settings.index.lifecycle: set by setup.ilm (policy_name); set setup.ilm.enabled: false to manage it yourself"))
		}
	}
	return errors.Join(errs...)
}

// readPolicy reads a policy file: a JSON object with a "policy" object, as
// PUT _ilm/policy takes it.
func readPolicy(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s is not JSON: %v", path, err)
	}
	if _, ok := p["policy"].(map[string]any); !ok {
		return nil, fmt.Errorf(`%s has no "policy" object (want {"policy": {"phases": …}}, the body of PUT _ilm/policy)`, path)
	}
	return p, nil
}
