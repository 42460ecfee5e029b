package dashboards

import (
	"bytes"
	"testing"
)

// FuzzDecode: any line (an export from some Kibana) either decodes or is
// refused with an error, without a panic; what decodes encodes again.
func FuzzDecode(f *testing.F) {
	nd, err := NDJSON()
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(nd), []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte(`{"id":"x","type":"dashboard","attributes":{"panelsJSON":"[{\"embeddableConfig\":{\"attributes\":{\"layerListJSON\":\"[]\"}}}]"}}`))
	f.Add([]byte(`{"attributes":{"kibanaSavedObjectMeta":"x"}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		o, err := Decode(line)
		if err != nil {
			return
		}
		if _, err := Encode(o); err != nil {
			t.Fatalf("Encode(Decode(%q)): %v", line, err)
		}
	})
}

func BenchmarkNDJSON(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		nd, err := NDJSON()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(nd)))
	}
}
