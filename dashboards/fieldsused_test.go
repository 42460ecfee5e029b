package dashboards

import (
	"slices"
	"testing"
)

func TestFieldsUsed(t *testing.T) {
	got, err := FieldsUsed("shipper-squid.access")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"destination.geo.location", "event.action", "http.response.status_code", "@timestamp"} {
		if !slices.Contains(got, want) {
			t.Errorf("FieldsUsed(squid) = %v, lacks %s", got, want)
		}
	}
	if none, _ := FieldsUsed("no-such-view"); len(none) != 0 {
		t.Errorf("FieldsUsed(unknown) = %v", none)
	}
}
