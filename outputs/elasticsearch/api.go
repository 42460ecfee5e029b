package elasticsearch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// Do sends one request to Elasticsearch through the output's transport
// (hosts, credentials, TLS, headers, product check) and returns the
// response; the caller closes its body. path is the request path with its
// query, every interpolated segment already escaped (url.PathEscape): the
// transport prefixes it with the host's own path. A JSON body gets
// Content-Type application/json. When a host fails to answer, each other
// host is tried at once (the transport marks the failed one dead).
//
// It replaces go-elasticsearch's esapi functions (Info,
// Security.Authenticate, Security.HasPrivileges…): esapi.New makes every
// endpoint reachable, and the linker keeps them all (issue 17).
func (o *Output) Do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	newReq := func() (*http.Request, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, path, rd)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, nil
	}
	req, err := newReq()
	if err != nil {
		return nil, err
	}
	res, err := o.client.Perform(req)
	for try := 1; err != nil && try < len(o.hosts) && ctx.Err() == nil; try++ {
		o.failovers.Inc() // the client marked the host dead: next one
		if req, err = newReq(); err != nil {
			return nil, err
		}
		res, err = o.client.Perform(req)
	}
	return res, err
}

// StatusLine is "404 Not Found" for 404: what esapi's Response.Status
// printed, whatever reason phrase the server (or a proxy) sent.
func StatusLine(code int) string {
	return fmt.Sprintf("%d %s", code, http.StatusText(code))
}
