package packaging

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// docker-compose.yml cannot run here (no Docker engine): check its shape —
// the services, their order of start, and that the commands name files and
// commands that exist.
func TestDockerComposeStructure(t *testing.T) {
	b, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image     string         `yaml:"image"`
			Command   []string       `yaml:"command"`
			DependsOn map[string]any `yaml:"depends_on"`
			Ports     []string       `yaml:"ports"`
		} `yaml:"services"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(false)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"elasticsearch", "kibana", "setup", "shipper"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %q missing", name)
		}
	}
	deps := map[string][]string{"kibana": {"elasticsearch"}, "setup": {"elasticsearch", "kibana"}, "shipper": {"setup"}}
	for svc, want := range deps {
		for _, d := range want {
			if _, ok := c.Services[svc].DependsOn[d]; !ok {
				t.Errorf("service %s does not depend on %s", svc, d)
			}
		}
	}
	for _, svc := range []string{"setup", "shipper"} {
		cmd := c.Services[svc].Command
		verb := map[string]string{"setup": "setup", "shipper": "run"}[svc]
		if len(cmd) < 5 || cmd[3] != verb {
			t.Errorf("service %s command %v does not run `shipper %s`", svc, cmd, verb)
		}
		for i, a := range cmd {
			if a == "-c" && i+1 < len(cmd) {
				if _, err := os.Stat("../" + cmd[i+1]); err != nil {
					t.Errorf("service %s names config %s: %v", svc, cmd[i+1], err)
				}
			}
		}
	}
	for _, p := range c.Services["elasticsearch"].Ports {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("elasticsearch port %q is not bound to loopback", p)
		}
	}
}
