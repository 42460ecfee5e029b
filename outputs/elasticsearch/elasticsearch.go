// Package elasticsearch is the `elasticsearch` output: documents go to
// `_bulk` through github.com/elastic/go-elasticsearch/v8's transport (its
// BaseClient: the esapi endpoint functions are not linked in, issue 17),
// every item of every response is judged on its own, and nothing is
// dropped without a counter.
//
// Per item: 2xx → acknowledged; 409 on a create → duplicate (a previous
// attempt indexed it: the _id is deterministic), acknowledged; 429 and 5xx →
// retried with backoff; any other 4xx (mapping errors…) → dead-letter file
// with the status and reason. Whole request: 413 or 400 from Elasticsearch →
// the batch is split in halves to isolate the culprit (a single document
// that still fails is dead-lettered); 400 from a proxy → split too unless an
// empty request is refused as well, and a document refused alone is
// dead-lettered on its third refusal (refusal.go); anything else (connection
// refused, timeout, 5xx, 401/403, 404) → the whole batch is retried with
// backoff.
package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	es "github.com/elastic/go-elasticsearch/v8"

	"github.com/shipper-project/shipper/outputs"
	"github.com/shipper-project/shipper/outputs/elasticsearch/idxmgmt"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/monitoring"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

func init() {
	outputs.Register(outputs.Plugin{Name: "elasticsearch", Factory: factory})
}

func factory(sec config.Section, env outputs.Env) (outputs.Output, outputs.Settings, error) {
	cfg := DefaultConfig()
	if err := sec.Decode(&cfg); err != nil {
		return nil, outputs.Settings{}, err
	}
	o, err := New(cfg, env.Log, env.Metrics)
	if err != nil {
		return nil, outputs.Settings{}, sec.Errorf("", "%v", err)
	}
	im, err := idxmgmt.Decode(env.Setup)
	if err != nil {
		return nil, outputs.Settings{}, err
	}
	o.ManageIndices(im, catalogTemplate)
	return o, outputs.Settings{
		BatchSize:          cfg.BulkMaxSize,
		Workers:            cfg.Worker,
		BackoffInit:        cfg.Backoff.Init,
		BackoffMax:         cfg.Backoff.Max,
		DeadLetterMaxBytes: int64(cfg.DeadLetter.MaxBytes),
	}, nil
}

// Output sends bulk requests.
type Output struct {
	cfg    Config
	client *es.BaseClient
	index  indexSel
	// pipe renders a pipeline that is a format string (%{[field]}); nil
	// when the pipeline is constant (cfg.Pipeline, as written).
	pipe  indexSel
	log   *slog.Logger
	hosts []string

	bytesOut, requests *monitoring.Counter
	failovers          *monitoring.Counter
	checked            atomic.Bool
	connectMu          sync.Mutex      // one connect (check + index management) at a time
	im                 *idxmgmt.Config // index management on connect; nil: none
	catalog            func(pattern string) (map[string]any, error)
	perEvent           atomic.Int64 // bytes per event of the last body
	encoders           sync.Pool    // *event.Encoder, one per concurrent Publish
	secrets            []string     // values redact removes from errors
	refused            refusals     // documents a proxy refused alone (refusal.go)
}

// New builds the client; it does not connect.
func New(cfg Config, log *slog.Logger, m *monitoring.Registry) (*Output, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	idx, _ := parseIndex(cfg.Index)
	var pipe indexSel
	if strings.Contains(cfg.Pipeline, "%{") {
		pipe, _ = parseIndex(cfg.Pipeline)
	}
	var addrs, shown []string
	for _, h := range cfg.Hosts {
		u, _ := hostURL(h, cfg.Protocol, cfg.Path)
		addrs = append(addrs, u.String())
		shown = append(shown, maskQuery(*u))
	}
	tr, err := transport(cfg, log)
	if err != nil {
		return nil, err
	}
	header := http.Header{}
	for k, v := range cfg.Headers {
		header.Set(k, v)
	}
	esCfg := es.Config{
		Addresses:                addrs,
		Username:                 cfg.Username,
		Password:                 cfg.Password.Reveal(),
		APIKey:                   apiKey(cfg.APIKey.Reveal()),
		Header:                   header,
		Transport:                tr,
		DisableRetry:             true, // the pipeline retries, with backoff and per item
		CompressRequestBody:      cfg.CompressionLevel > 0,
		CompressRequestBodyLevel: cfg.CompressionLevel,
		PoolCompressor:           cfg.CompressionLevel > 0,
		DisableMetaHeader:        true,
	}
	// NewBaseClient, not NewClient: NewClient builds esapi's table of
	// every endpoint function, which the linker then keeps (5.7 MB of the
	// 17.0 MB mipsle binary, issue 17). The few APIs the shipper uses are
	// plain requests (api.go).
	client, err := es.NewBaseClient(esCfg)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch client: %w", err)
	}
	o := &Output{
		cfg: cfg, client: client, index: idx, pipe: pipe, log: log, hosts: shown,
		bytesOut:  m.Counter("output.write.bytes"),
		requests:  m.Counter("output.requests"),
		failovers: m.Counter("output.requests.failover"),
		secrets:   secretsOf(cfg),
	}
	o.encoders.New = func() any { return new(event.Encoder) }
	return o, nil
}

// apiKey accepts Beats' "id:key" form as well as the base64 encoded one.
func apiKey(k string) string {
	if k == "" || !strings.Contains(k, ":") {
		return k
	}
	return base64Std(k)
}

// Client returns the underlying transport client (for setup): its Perform
// fills in the host, credentials and TLS of the configuration.
func (o *Output) Client() *es.BaseClient { return o.client }

// maskQuery is u as shown in messages: its query values (a token some
// proxies take) masked, as export config masks them.
func maskQuery(u url.URL) string {
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q.Set(k, "[redacted]")
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Hosts returns the normalised host URLs, query values masked (for
// messages and dialing: the client holds the URLs as configured).
func (o *Output) Hosts() []string { return o.hosts }

// Close releases idle connections.
func (o *Output) Close() error { return nil }

// EventsNotRetained tells the pipeline that Publish keeps no event: the
// bulk body is a copy, and the refusal strikes live only while their
// event is in flight (see refusals).
func (*Output) EventsNotRetained() {}

func (o *Output) bulkRequest(ctx context.Context, body []byte) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "/_bulk", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	if len(o.cfg.Parameters) > 0 {
		q := req.URL.Query()
		for k, v := range o.cfg.Parameters {
			q.Set(k, v)
		}
		req.URL.RawQuery = q.Encode()
	}
	return req
}

// Publish sends the batch's events and marks each one.
func (o *Output) Publish(ctx context.Context, b *pipeline.Batch) error {
	if !o.checked.Load() {
		if err := o.connect(ctx); err != nil {
			return err
		}
	}
	idx := make([]int, b.Len())
	for i := range idx {
		idx[i] = i
	}
	return o.send(ctx, &attempt{budget: trippedBudget}, b, idx)
}

// connect runs before the first bulk request, and again after a failure
// until it succeeds: every batch waits (the pipeline retries it with
// backoff), so no document reaches a data stream before its template.
func (o *Output) connect(ctx context.Context) error {
	o.connectMu.Lock()
	defer o.connectMu.Unlock()
	if o.checked.Load() {
		return nil // another worker connected meanwhile
	}
	// Ask the server what it is before the first bulk request: the
	// client's product check refuses a server that is not
	// Elasticsearch, which a failing _bulk alone would not reveal.
	if err := o.check(ctx); err != nil {
		return err
	}
	if err := o.installIndexManagement(ctx); err != nil {
		return err
	}
	o.checked.Store(true)
	return nil
}

func (o *Output) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	res, err := o.Do(ctx, http.MethodGet, "/", nil)
	if err != nil {
		return o.redact(tlsHint(fmt.Errorf("connect to %s: %w", strings.Join(o.hosts, ","), err)))
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden {
		return o.credentialsRefused("connect to", res.StatusCode)
	}
	if res.StatusCode >= 300 {
		// The product check runs on 2xx answers only: do not count this
		// one as checked.
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return o.redact(fmt.Errorf("connect to %s: GET / answered HTTP %d: %s", strings.Join(o.hosts, ","), res.StatusCode, snippet(b)))
	}
	return nil
}

// credentialsRefused is the error for a 401/403: it says which kind of
// credentials were refused, never their value.
func (o *Output) credentialsRefused(op string, status int) error {
	what := "no credentials are configured (set username/password or api_key)"
	switch {
	case o.cfg.APIKey != "":
		what = "the credentials (api_key) were refused"
	case o.cfg.Username != "":
		what = fmt.Sprintf("the credentials (username %q and its password) were refused", o.cfg.Username)
	}
	if status == http.StatusForbidden {
		what = strings.Replace(what, "were refused", "lack the privileges for this request", 1)
	}
	return fmt.Errorf("%s %s: HTTP %d: %s", op, strings.Join(o.hosts, ","), status, what)
}

// isESError reports whether a response body is an Elasticsearch error
// document ({"error":…,"status":…}).
func isESError(b []byte) bool {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	return json.Unmarshal(b, &e) == nil && len(e.Error) > 0
}

// send posts the events b[idx…], splitting by bulk_max_bytes and on 413/400.
func (o *Output) send(ctx context.Context, a *attempt, b *pipeline.Batch, idx []int) error {
	body, sent, n := o.encode(b, idx)
	if n < len(idx) {
		// The byte cap cut the request: send the rest separately.
		if err := o.send(ctx, a, b, sent); err != nil {
			return err
		}
		return o.send(ctx, a, b, idx[n:])
	}
	if len(sent) == 0 {
		return nil // every event had an invalid index: dead-lettered
	}
	idx = sent
	status, resp, retryAfter, err := o.post(ctx, body)
	if err != nil {
		return o.redact(tlsHint(err))
	}
	switch {
	case status >= 200 && status < 300:
		o.passed(b, idx)
		return o.judge(b, idx, resp)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// Retried: an operator may fix the credentials while we wait.
		return o.credentialsRefused("bulk request to", status)
	case status == http.StatusBadRequest && !isESError(resp):
		// Not Elasticsearch judging our documents: a wrong path (retry)
		// or a proxy refusing some documents (isolate them).
		return o.proxyRefused(ctx, a, b, idx, status, resp)
	case status == http.StatusRequestEntityTooLarge || status == http.StatusBadRequest:
		if len(idx) > 1 {
			half := len(idx) / 2
			o.log.Debug("bulk request refused, splitting it", "status", status, "events", len(idx))
			if err := o.send(ctx, a, b, idx[:half]); err != nil {
				return err
			}
			return o.send(ctx, a, b, idx[half:])
		}
		why := "request refused: " + snippet(resp)
		if status == http.StatusRequestEntityTooLarge {
			// Alone and still too large: it can never pass as it is.
			why = fmt.Sprintf("request refused: HTTP 413 with this document alone (%d bytes with its action line): it can never pass; raise the limit (Elasticsearch http.max_content_length, a proxy's client_max_body_size) and run `shipper dlq replay`: %s", len(body), snippet(resp))
		}
		o.deadLetter(b, idx[0], status, why)
		return nil
	case status == http.StatusTooManyRequests:
		for _, i := range idx {
			b.Retry(i, status, "429 too many requests")
		}
		b.RetryAfter(retryAfter)
		return nil
	default:
		return o.redactf("bulk request to %s: HTTP %d: %s", strings.Join(o.hosts, ","), status, snippet(resp))
	}
}

// encode writes the bulk body for idx, stopping before bulk_max_bytes
// (always at least one event). It returns the body, the events it holds
// and how many events of idx it went through (n): an event of idx[:n] that
// is not in sent had an invalid index and is marked for the dead-letter
// file. sent is idx[:n] itself unless an event was left out.
func (o *Output) encode(b *pipeline.Batch, idx []int) (body []byte, sent []int, n int) {
	// Size the body from the last request's bytes per event: one
	// allocation instead of a dozen grow-and-copy steps. (The buffer is not
	// pooled: the HTTP transport may still read a request body after the
	// response came back.)
	hint := int(o.perEvent.Load())*len(idx) + len(idx)*64
	buf := make([]byte, 0, min(hint, int(o.cfg.BulkMaxBytes)+64<<10))
	defer func() { o.perEvent.Store(int64(len(buf) / max(len(idx), 1))) }()
	enc := o.encoders.Get().(*event.Encoder) // one per concurrent worker
	defer o.encoders.Put(enc)
	copied := false // sent is a copy because an event was left out
	for k, i := range idx {
		start := len(buf)
		e := b.Event(i)
		var bad string
		buf, bad = o.appendAction(buf, e)
		if bad != "" {
			buf = buf[:start]
			if !copied {
				sent, copied = append(make([]int, 0, len(idx)), idx[:k]...), true
			}
			o.deadLetter(b, i, http.StatusBadRequest, bad) // what Elasticsearch would answer
			continue
		}
		buf = enc.Append(buf, e)
		buf = append(buf, '\n')
		if len(buf) > int(o.cfg.BulkMaxBytes) && (copied && len(sent) > 0 || !copied && k > 0) {
			if !copied {
				sent = idx[:k]
			}
			return buf[:start], sent, k
		}
		if copied {
			sent = append(sent, i)
		}
	}
	if !copied {
		sent = idx
	}
	return buf, sent, len(idx)
}

// appendAction appends e's action line. When the index name is invalid it
// returns why (and buf is to be cut back): such an event goes to the
// dead-letter file, never to another index. Every value is a JSON string:
// the index is written as it is because a valid name needs no escaping
// (see checkIndexName), _id and pipeline go through the JSON encoder.
func (o *Output) appendAction(buf []byte, e *event.Event) ([]byte, string) {
	buf = append(buf, `{"create":{"_index":"`...)
	at := len(buf)
	if e.Meta.Index != "" {
		buf = append(buf, e.Meta.Index...)
	} else {
		var why string
		if buf, why = o.index.render(buf, e); why != "" {
			return buf, why
		}
	}
	why := checkIndexName(buf[at:])
	if why == notLowerCase { // an event's own index: the rendered one is lower-case
		buf = lowerIndexName(buf, at)
		why = checkIndexName(buf[at:])
	}
	if why != "" {
		name := buf[at:]
		if len(name) > 300 {
			name = name[:300]
		}
		return buf, fmt.Sprintf("invalid_index_name_exception (not sent): %s: %q", why, name)
	}
	buf = append(buf, '"')
	if id := e.Meta.DocID(); id != "" {
		buf = append(buf, `,"_id":`...)
		buf = event.AppendString(buf, id)
	}
	pipe := e.Meta.Pipeline
	if pipe == "" {
		pipe = o.cfg.Pipeline
		if o.pipe != nil {
			// A format string, as Beats' pipeline selector: a missing
			// field gives no pipeline.
			p, why := o.pipe.render(nil, e)
			pipe = ""
			if why == "" {
				pipe = string(p)
			}
		}
	}
	if pipe != "" {
		// Lower-cased as Beats does (getPipeline): Elasticsearch's
		// pipeline ids are case-sensitive, a Beats config is not.
		buf = append(buf, `,"pipeline":`...)
		buf = event.AppendString(buf, asciiLowerIfUpper(pipe))
	}
	return append(buf, "}}\n"...), ""
}

// post sends one bulk body; it returns the status, the body and the
// server's Retry-After (0 when absent).
func (o *Output) post(ctx context.Context, body []byte) (int, []byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	o.requests.Inc()
	res, err := o.client.Perform(o.bulkRequest(ctx, body))
	// Failover: the client marks a host that failed to answer as dead and
	// picks the next one; try each other host at once rather than after a
	// whole backoff. A timeout is not retried here: the request may have
	// been taken, and ctx is spent anyway.
	for try := 1; err != nil && try < len(o.hosts) && ctx.Err() == nil; try++ {
		o.failovers.Inc()
		o.log.Debug("host failed, trying the next one", "error", o.redact(err))
		res, err = o.client.Perform(o.bulkRequest(ctx, body))
	}
	if err != nil {
		var ne net.Error
		if ctx.Err() == context.DeadlineExceeded || errors.As(err, &ne) && ne.Timeout() {
			// The documents may have been indexed: the retry will show
			// them as 409 duplicates.
			return 0, nil, 0, fmt.Errorf("bulk request to %s: no answer within timeout (%s): %w", strings.Join(o.hosts, ","), o.cfg.Timeout, err)
		}
		return 0, nil, 0, fmt.Errorf("bulk request to %s: %w", strings.Join(o.hosts, ","), err)
	}
	defer res.Body.Close()
	o.bytesOut.Add(int64(len(body))) // written: a server answered it
	resp, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("read bulk response: %w", err)
	}
	return res.StatusCode, resp, retryAfterOf(res.Header.Get("Retry-After")), nil
}

type bulkResponse struct {
	Errors bool        `json:"errors"`
	Items  []bulkEntry `json:"items"`
}

// bulkEntry is one item of the response, keyed by its action (we send
// create; index is accepted too). A struct, not a map: no allocation per
// item on the common all-201 answer.
type bulkEntry struct {
	Create bulkItem `json:"create"`
	Index  bulkItem `json:"index"`
}

type bulkItem struct {
	Status int             `json:"status"`
	Error  json.RawMessage `json:"error"`
}

// judge marks each item by its own status.
func (o *Output) judge(b *pipeline.Batch, idx []int, resp []byte) error {
	var r bulkResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		return fmt.Errorf("bulk response is not JSON: %v: %s", err, snippet(resp))
	}
	if len(r.Items) != len(idx) {
		// Cannot tell which items were taken: retry them all (at-least-once;
		// the _id collapses duplicates).
		return fmt.Errorf("bulk response has %d items for %d documents", len(r.Items), len(idx))
	}
	for k, i := range idx {
		it := r.Items[k].Create
		if it.Status == 0 {
			it = r.Items[k].Index
		}
		switch s := it.Status; {
		case s >= 200 && s < 300:
			b.Ack(i)
		case s == http.StatusConflict:
			b.Duplicate(i)
		case s == http.StatusTooManyRequests || s >= 500:
			b.Retry(i, s, reason(it.Error))
		case s == 0:
			b.Retry(i, s, "no status in bulk response item")
		default:
			o.deadLetter(b, i, s, reason(it.Error))
		}
	}
	return nil
}

// reason condenses an item error ({"type":…,"reason":…,"caused_by":…}).
func reason(raw json.RawMessage) string {
	var e struct {
		Type     string `json:"type"`
		Reason   string `json:"reason"`
		CausedBy struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"caused_by"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &e) != nil {
		return snippet(raw)
	}
	s := e.Type + ": " + e.Reason
	if e.CausedBy.Type != "" {
		s += " (caused by " + e.CausedBy.Type + ": " + e.CausedBy.Reason + ")"
	}
	return s
}

// snippet condenses a response body for a message or a dead-letter reason:
// an HTML page (a proxy's or a WAF's) becomes its text, white space is
// collapsed, and the result is cut at 512 bytes on a character boundary,
// saying how long the body was.
func snippet(b []byte) string {
	const limit = 512
	s := strings.TrimSpace(string(b[:min(len(b), 64<<10)]))
	html := looksHTML(s)
	if html {
		s = htmlText(s)
	}
	s = strings.Join(strings.Fields(s), " ")
	cut := len(s) > limit
	if cut {
		n := limit
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	switch {
	case html:
		s += " (HTML page, " + strconv.Itoa(len(b)) + " bytes)"
	case cut:
		s += "(" + strconv.Itoa(len(b)) + " bytes)"
	}
	return s
}

func looksHTML(s string) bool {
	if !strings.HasPrefix(s, "<") {
		return false
	}
	head := asciiLower(s[:min(len(s), 512)])
	for _, tag := range []string{"<html", "<!doctype html", "<head", "<body"} {
		if strings.Contains(head, tag) {
			return true
		}
	}
	return false
}

// htmlText returns the text of an HTML page: tags, comments, scripts and
// styles removed. Not a parser: enough to make an error page readable.
func htmlText(s string) string {
	low := asciiLower(s) // same length as s: indexes carry over
	var out strings.Builder
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			out.WriteString(s[i:])
			break
		}
		out.WriteString(s[i : i+j])
		out.WriteByte(' ')
		i += j
		end := ">"
		switch {
		case strings.HasPrefix(low[i:], "<!--"):
			end = "-->"
		case strings.HasPrefix(low[i:], "<script"):
			end = "</script>"
		case strings.HasPrefix(low[i:], "<style"):
			end = "</style>"
		}
		k := strings.Index(low[i:], end)
		if k < 0 {
			break
		}
		i += k + len(end)
	}
	return out.String()
}

// asciiLower lower-cases ASCII letters only, keeping every byte offset.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// asciiLowerIfUpper is strings.ToLower without an allocation for the
// usual, already lower-case name.
func asciiLowerIfUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
	}
	return s
}

// retryAfterOf reads a Retry-After header: seconds or an HTTP date.
func retryAfterOf(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
