package dashboards

import (
	"sort"

	"github.com/shipper-project/shipper/dashboards/internal/inspect"
)

// FieldsUsed returns the fields the dashboards read from the data view
// with id dataView (e.g. "shipper-squid.access"), sorted: what a source
// must produce for its panels not to stay empty (shipper test-pattern
// reports the ones a sample does not).
func FieldsUsed(dataView string) ([]string, error) {
	src, err := Source()
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, f := range src {
		if f.Object["type"] != "dashboard" {
			continue
		}
		panels, err := inspect.Panels(f.Object)
		if err != nil {
			return nil, err
		}
		for _, p := range panels {
			for _, u := range p.Uses {
				if u.DataView == dataView && u.Field != "" {
					set[u.Field] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}
