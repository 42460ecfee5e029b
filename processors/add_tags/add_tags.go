// Package addtags is Beats' add_tags processor: it appends tags to the
// `tags` list, or to the list named by `target`.
package addtags

import (
	"fmt"

	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/internal/eventpath"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
)

func init() {
	processors.Register(processors.Plugin{Name: "add_tags", Factory: New})
}

type cfg struct {
	Tags   []string `yaml:"tags"`
	Target string   `yaml:"target"`
}

// Processor appends its tags. Like Beats (mapstr.AddTagsWithKey) it does not
// deduplicate; a target that holds something other than a list is left
// as is (a failure, counted).
type Processor struct {
	tags     []string
	target   string
	failures *processors.Failures
}

var _ processors.Processor = (*Processor)(nil)

// New builds the processor from its section.
func New(s config.Section, env processors.Env) (processors.Processor, error) {
	var c cfg
	if err := s.Decode(&c); err != nil {
		return nil, err
	}
	if len(c.Tags) == 0 {
		return nil, s.Errorf("tags", "missing required field (a list of tags)")
	}
	if c.Target == "" {
		c.Target = "tags"
	}
	return &Processor{tags: c.Tags[:len(c.Tags):len(c.Tags)], target: c.Target, failures: processors.NewFailures(env)}, nil
}

// Run appends the tags. A list is never appended to in place: it may be
// shared with other events.
func (p *Processor) Run(e *event.Event) (*event.Event, error) {
	v, ok := eventpath.Get(e, p.target)
	if !ok {
		if err := eventpath.PutValue(e, p.target, p.tags); err != nil {
			p.failures.Record(err) // Beats' AddTagsWithKey error, ignored as Beats does
		}
		return e, nil
	}
	switch old := v.(type) {
	case []string:
		l := make([]string, 0, len(old)+len(p.tags))
		eventpath.Put(e, p.target, append(append(l, old...), p.tags...))
	case []any:
		l := make([]any, 0, len(old)+len(p.tags))
		l = append(l, old...)
		for _, t := range p.tags {
			l = append(l, t)
		}
		eventpath.Put(e, p.target, l)
	default:
		p.failures.Record(fmt.Errorf("expected string array by type is %T", v))
	}
	return e, nil
}

func (p *Processor) String() string { return "add_tags" }
