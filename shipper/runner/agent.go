package runner

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// loadAgentID returns the agent.id kept in path.data/meta.json (created on
// first start, as Beats do), so that a restart keeps the same id.
func loadAgentID(dataDir string) string {
	path := filepath.Join(dataDir, "meta.json")
	var meta struct {
		UUID string `json:"uuid"`
	}
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &meta) == nil && meta.UUID != "" {
		return meta.UUID
	}
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	meta.UUID = fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
	if b, err := json.Marshal(meta); err == nil {
		_ = os.MkdirAll(dataDir, 0o750)
		_ = os.WriteFile(path, b, 0o600)
	}
	return meta.UUID
}
