package runner

import (
	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/shipper/event"
)

// inputIndexStatic is what an input's index format string can name, as
// Filebeat's fmtstr.FieldsForBeat: the program's name (Filebeat writes
// "filebeat", so shipper writes "shipper", not the agent.name of the
// documents, which is the host's) and version, under agent, beat and
// observer.
func inputIndexStatic(version string) map[string]string {
	m := map[string]string{}
	for _, k := range []string{"agent", "beat", "observer"} {
		m[k+".name"] = "shipper"
		m[k+".version"] = version
	}
	return m
}

// inputIndex sets the index of an input's events from its `index` format
// string when it has a date (a name without one is the client's Index),
// as Filebeat's add_formatted_index sets @metadata.raw_index.
type inputIndex struct{ x *elasticsearch.InputIndex }

func (p inputIndex) Run(e *event.Event) (*event.Event, error) {
	if e.Meta.Index == "" {
		e.Meta.Index = p.x.Render(e.Timestamp)
	}
	return e, nil
}

func (p inputIndex) String() string { return "index" }
