package idxmgmt

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

// fixed answers every request with one status and body.
type fixed struct {
	status int
	body   []byte
}

func (f fixed) Perform(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: f.status, Body: io.NopCloser(bytes.NewReader(f.body)), Header: http.Header{}}, nil
}

// FuzzInstallResponses: whatever a server answers, Install does not panic
// and either succeeds or returns an error.
func FuzzInstallResponses(f *testing.F) {
	f.Add(200, []byte(`{}`))
	f.Add(200, []byte(`{"shipper":{"policy":{}}}`))
	f.Add(200, []byte(`{"index_templates":[{"name":"shipper"}]}`))
	f.Add(404, []byte(`{"error":{"type":"resource_not_found_exception","reason":"x"},"status":404}`))
	f.Add(400, []byte(`{"error":"no handler found for uri [/_ilm/policy/shipper] and method [GET]"}`))
	f.Add(400, []byte(`unsupported path requested`))
	f.Add(403, []byte(`{"error":{"root_cause":[],"type":"security_exception","reason":"nope"},"status":403}`))
	f.Add(200, []byte(`{".ds-shipper-a-2026.01.01-000001":{"mappings":{"source.geo.location.lat":{"mapping":{"lat":{"type":"float"}}}}}}`))
	f.Add(500, []byte(`{"error":`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		for _, mode := range []Mode{OnConnect, Force} {
			_, _ = Install(context.Background(), fixed{status, body}, DefaultConfig(), catalog, mode)
		}
		_, _ = CheckGeoMappings(context.Background(), fixed{status, body}, "shipper-*")
	})
}
