package dashboards

import (
	"os"
	"regexp"
	"testing"
)

// TestComposeOffersKibana8And9: the demo runs Elasticsearch and Kibana of
// one STACK_VERSION, an 8.x at or above MinKibana by default, and says how
// to run the current 9.x (the dashboards import into both; shapes.go).
func TestComposeOffersKibana8And9(t *testing.T) {
	b, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	img := regexp.MustCompile(`image: docker\.elastic\.co/(elasticsearch/elasticsearch|kibana/kibana):\$\{STACK_VERSION:-(\d+\.\d+\.\d+)\}`)
	m := img.FindAllStringSubmatch(string(b), -1)
	if len(m) != 2 || m[0][2] != m[1][2] {
		t.Fatalf("docker-compose.yml: want the elasticsearch and kibana images on one ${STACK_VERSION:-8.x.y}, got %q", m)
	}
	if def := m[0][2]; def[:2] != "8." || compareVersions(def, MinKibana) < 0 {
		t.Errorf("default stack %s, want an 8.x >= %s", def, MinKibana)
	}
	if !regexp.MustCompile(`STACK_VERSION=9\.\d+\.\d+ docker compose up`).Match(b) {
		t.Error("docker-compose.yml does not say how to run a 9.x stack (STACK_VERSION=9.x.y docker compose up)")
	}
}
