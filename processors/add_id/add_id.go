// Package addid is Beats' add_id processor: a unique, roughly time-ordered
// ID per event, made as Elasticsearch makes its auto-generated _ids.
package addid

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/processors/internal/fieldpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

func init() {
	processors.Register(processors.Plugin{Name: "add_id", Factory: New})
}

var _ processors.Processor = (*Processor)(nil)

// Config is the add_id section; names and defaults are Beats'.
type Config struct {
	TargetField string `yaml:"target_field"`
	Type        string `yaml:"type"`
}

// DefaultConfig returns Beats' defaults.
func DefaultConfig() Config {
	return Config{TargetField: "@metadata._id", Type: "elasticsearch"}
}

// Validate checks what the types cannot.
func (c *Config) Validate() error {
	if c.Type != "elasticsearch" {
		return fmt.Errorf("type: invalid type [%s] (only elasticsearch is supported)", c.Type)
	}
	if c.TargetField == "" {
		return errors.New("target_field: must not be empty")
	}
	return nil
}

// Processor puts a new ID into each event.
type Processor struct {
	cfg Config
	gen *Generator
}

// New builds the processor from its config section.
func New(sec config.Section, _ processors.Env) (processors.Processor, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg); err != nil {
		return nil, err
	}
	return &Processor{cfg: cfg, gen: defaultGenerator()}, nil
}

func (p *Processor) String() string {
	return fmt.Sprintf("add_id=[target_field=[%v]]", p.cfg.TargetField)
}

// Run sets target_field (the document _id by default) to a new ID.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	id := p.gen.NextID()
	if !fieldpath.PutMeta(e, p.cfg.TargetField, id) {
		if err := eventpath.PutValue(e, p.cfg.TargetField, id); err != nil {
			return e, fmt.Errorf("failed to add ID to target field [%v]: %w", p.cfg.TargetField, err)
		}
	}
	return e, nil
}

// Generator makes Elasticsearch's time-based UUIDs (TimeBasedUUIDGenerator):
// 15 bytes of sequence number, millisecond time and a munged MAC address,
// base64url without padding (20 characters).
type Generator struct {
	mu     sync.Mutex
	seq    uint64
	lastTS uint64
	mac    [6]byte
	now    func() time.Time
}

var (
	genOnce sync.Once
	gen     *Generator
)

// defaultGenerator is shared by all add_id processors, as in Beats, so that
// two of them never hand out the same sequence number.
func defaultGenerator() *Generator {
	genOnce.Do(func() { gen = NewGenerator(macAddress(), time.Now) })
	return gen
}

// NewGenerator returns a generator over hardware address hw (munged with
// random bytes, as Elasticsearch does) and clock now.
func NewGenerator(hw net.HardwareAddr, now func() time.Time) *Generator {
	g := &Generator{now: now}
	var r [14]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic("add_id: crypto/rand: " + err.Error()) // cannot happen on Linux
	}
	g.seq = binary.LittleEndian.Uint64(r[:8])
	addr := [6]byte(r[8:14])
	if valid(hw) {
		copy(addr[:], hw)
	} else {
		addr[0] |= 0x01 // a multicast, dummy address
	}
	var munge [6]byte
	rand.Read(munge[:])
	for i := range addr {
		g.mac[i] = addr[i] ^ munge[i]
	}
	return g
}

func valid(hw net.HardwareAddr) bool {
	if len(hw) != 6 {
		return false
	}
	for _, b := range hw {
		if b != 0 {
			return true
		}
	}
	return false
}

// macAddress is the first non-loopback interface's hardware address.
func macAddress() net.HardwareAddr {
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 && valid(i.HardwareAddr) {
			return i.HardwareAddr
		}
	}
	return nil
}

// NextID returns a new ID.
func (g *Generator) NextID() string {
	g.mu.Lock()
	g.seq++
	seq := g.seq & 0xffffff // the low 3 bytes
	now := g.now()
	ts := uint64(now.Unix()*1000 + int64(now.Nanosecond())/1e6)
	// Never go back in time while running; bump on a sequence wrap.
	ts = max(ts, g.lastTS)
	if seq == 0 {
		ts++
	}
	g.lastTS = ts
	g.mu.Unlock()

	var b [15]byte
	b[0] = byte(seq)
	b[1] = byte(seq >> 16)
	b[2] = byte(ts >> 16)
	b[3] = byte(ts >> 24)
	b[4] = byte(ts >> 32)
	b[5] = byte(ts >> 40)
	copy(b[6:12], g.mac[:])
	b[12] = byte(ts >> 8)
	b[13] = byte(seq >> 8)
	b[14] = byte(ts)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
