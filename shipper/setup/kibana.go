package setup

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Kibana talks to Kibana's HTTP API: the status (for the version) and the
// saved objects import.
type Kibana struct {
	base   *url.URL
	cfg    KibanaConfig
	client *http.Client
}

// NewKibana builds the client; it does not connect. log receives the
// warning of ssl.verification_mode: none (may be nil).
func NewKibana(c KibanaConfig, log *slog.Logger) (*Kibana, error) {
	u, err := c.baseURL()
	if err != nil {
		return nil, fmt.Errorf("setup.kibana.host: %w", err)
	}
	tr, err := elasticsearch.Transport(c.SSL, elasticsearch.TransportOptions{Peer: "Kibana", ResponseHeaderTimeout: c.Timeout}, log)
	if err != nil {
		return nil, fmt.Errorf("setup.kibana.%w", err)
	}
	return &Kibana{base: u, cfg: c, client: &http.Client{Transport: tr, Timeout: c.Timeout}}, nil
}

// URL returns Kibana's base URL (no credentials).
func (k *Kibana) URL() string { return k.base.String() }

// Error is a refusal from Kibana, with the HTTP status and Kibana's
// message.
type Error struct {
	Op      string
	URL     string
	Status  int
	Message string
}

func (e *Error) Error() string {
	hint := ""
	switch e.Status {
	case http.StatusUnauthorized:
		hint = ": Kibana refused the credentials (check setup.kibana.username/password or setup.kibana.api_key)"
	case http.StatusForbidden:
		hint = ": the credentials are valid but may not do this (the user needs the Kibana privilege to manage saved objects / dashboards in the space)"
	case http.StatusNotFound:
		hint = ": not found (check setup.kibana.path and setup.kibana.space.id)"
	case http.StatusServiceUnavailable:
		hint = ": Kibana is not ready yet; retry when it has started"
	case http.StatusRequestEntityTooLarge:
		hint = ": the upload is larger than Kibana's savedObjects.maxImportPayloadBytes"
	}
	msg := ""
	if e.Message != "" {
		msg = " (" + e.Message + ")"
	}
	return fmt.Sprintf("%s %s: HTTP %d%s%s", e.Op, e.URL, e.Status, msg, hint)
}

// ErrUnreachable wraps a transport failure: Kibana did not answer.
var ErrUnreachable = errors.New("kibana is unreachable")

// ErrTooOld is returned when Kibana is older than the dashboards need.
var ErrTooOld = errors.New("kibana is too old")

func (k *Kibana) do(ctx context.Context, op, method, path string, query url.Values, body io.Reader, contentType string) ([]byte, error) {
	u := *k.base
	u.Path += path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for h, v := range k.cfg.Headers {
		req.Header.Set(h, v)
	}
	// Kibana refuses API writes without it (a CSRF guard); harmless on GET.
	req.Header.Set("kbn-xsrf", "shipper")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	switch {
	case k.cfg.APIKey != "":
		req.Header.Set("Authorization", "ApiKey "+apiKey(k.cfg.APIKey.Reveal()))
	case k.cfg.Username != "":
		req.SetBasicAuth(k.cfg.Username, k.cfg.Password.Reveal())
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %v (is Kibana running, and is setup.kibana.host right?)", ErrUnreachable, k.base, redactURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read response: %w", op, k.base, err)
	}
	if resp.StatusCode >= 300 {
		return nil, &Error{Op: op, URL: k.base.String() + path, Status: resp.StatusCode, Message: kibanaMessage(b)}
	}
	return b, nil
}

// redactURLError drops the URL from *url.Error (it is printed by the
// caller once, without credentials).
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// kibanaMessage extracts the message of Kibana's error body
// {"statusCode":401,"error":"Unauthorized","message":"…"}.
func kibanaMessage(b []byte) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) == nil && (e.Message != "" || e.Error != "") {
		m := e.Message
		if m == "" {
			m = e.Error
		}
		// Security exceptions come with tabs and newlines; one line is enough.
		m = strings.Join(strings.Fields(m), " ")
		if len(m) > 300 {
			m = m[:300] + "…"
		}
		return m
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func apiKey(k string) string {
	if strings.Contains(k, ":") {
		return base64.StdEncoding.EncodeToString([]byte(k))
	}
	return k
}

// Version asks Kibana's status API for its version.
func (k *Kibana) Version(ctx context.Context) (string, error) {
	b, err := k.do(ctx, "kibana status", http.MethodGet, "/api/status", nil, nil, "")
	if err != nil {
		return "", err
	}
	var st struct {
		Version struct {
			Number string `json:"number"`
		} `json:"version"`
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Version.Number == "" {
		return "", fmt.Errorf("kibana status at %s: no version in the answer (is this Kibana?): %s", k.base, snippet(b))
	}
	return st.Version.Number, nil
}

// CheckVersion fails with ErrTooOld when Kibana is older than min.
func (k *Kibana) CheckVersion(ctx context.Context, min string) (string, error) {
	v, err := k.Version(ctx)
	if err != nil {
		return "", err
	}
	if compareVersions(v, min) < 0 {
		return v, fmt.Errorf("%w: Kibana %s at %s; the dashboards are written for Kibana %s or newer (saved objects import only into the same or a newer version)", ErrTooOld, v, k.base, min)
	}
	return v, nil
}

// ImportResult is Kibana's answer to an import.
type ImportResult struct {
	Success      bool           `json:"success"`
	SuccessCount int            `json:"successCount"`
	Errors       []ImportError  `json:"errors"`
	Results      []ImportedItem `json:"successResults"`
}

// ImportedItem is one object Kibana imported.
type ImportedItem struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	Overwrite bool   `json:"overwrite"`
}

// ImportError is one object Kibana refused.
type ImportError struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Title string `json:"title"`
	Meta  struct {
		Title string `json:"title"`
	} `json:"meta"`
	Error struct {
		Type       string `json:"type"`
		Message    string `json:"message"`
		StatusCode int    `json:"statusCode"`
		References []struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"references"`
	} `json:"error"`
}

func (e ImportError) String() string {
	title := e.Title
	if title == "" {
		title = e.Meta.Title
	}
	s := e.Type + " " + e.ID
	if title != "" {
		s += " (" + title + ")"
	}
	s += ": " + e.Error.Type
	if e.Error.Message != "" {
		s += ": " + e.Error.Message
	}
	if len(e.Error.References) > 0 {
		var refs []string
		for _, r := range e.Error.References {
			refs = append(refs, r.Type+" "+r.ID)
		}
		s += ": missing " + strings.Join(refs, ", ")
	}
	return s
}

// ImportFailedError lists the objects Kibana refused.
type ImportFailedError struct {
	Result ImportResult
}

func (e *ImportFailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kibana import: %d object(s) failed, %d imported:", len(e.Result.Errors), e.Result.SuccessCount)
	lines := make([]string, 0, len(e.Result.Errors))
	for _, x := range e.Result.Errors {
		lines = append(lines, x.String())
	}
	sort.Strings(lines)
	for _, l := range lines {
		b.WriteString("\n  " + l)
	}
	return b.String()
}

// Import posts NDJSON saved objects to the import API of the configured
// space, overwriting objects with the same ids.
func (k *Kibana) Import(ctx context.Context, ndjson []byte) (ImportResult, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "shipper-dashboards.ndjson")
	if err != nil {
		return ImportResult{}, err
	}
	fw.Write(ndjson)
	if err := mw.Close(); err != nil {
		return ImportResult{}, err
	}
	path := "/api/saved_objects/_import"
	if k.cfg.Space.ID != "" && k.cfg.Space.ID != "default" {
		path = "/s/" + url.PathEscape(k.cfg.Space.ID) + path
	}
	q := url.Values{"overwrite": {"true"}}
	b, err := k.do(ctx, "kibana import", http.MethodPost, path, q, &body, mw.FormDataContentType())
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	if err := json.Unmarshal(b, &res); err != nil {
		return res, fmt.Errorf("kibana import: unexpected answer: %s", snippet(b))
	}
	if !res.Success || len(res.Errors) > 0 {
		return res, &ImportFailedError{Result: res}
	}
	return res, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}

// compareVersions compares "8.8.0", "8.15.2-SNAPSHOT"… numerically.
func compareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < 3; i++ {
		if pa[i] != pb[i] {
			if pa[i] < pb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func versionParts(v string) [3]int {
	var out [3]int
	v, _, _ = strings.Cut(v, "-")
	for i, p := range strings.SplitN(v, ".", 3) {
		out[i], _ = strconv.Atoi(p)
	}
	return out
}
