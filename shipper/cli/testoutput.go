package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch"
)

// TestOutput is `shipper test output`: for each Elasticsearch host, resolve,
// connect and handshake TLS (with the configured verification); then talk to
// the server and report its version, authenticate (GET
// _security/_authenticate) and ask whether the credentials may write to the
// index pattern (_has_privileges create_doc) — each step OK, WARN or ERROR,
// as `filebeat test output` does. Servers without a security API
// (VictoriaLogs) get a WARN, not an ERROR.
func TestOutput(args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("test output", stderr)
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	cfg, err := c.load()
	if err != nil {
		printErr(stderr, "", err)
		return ExitUsage
	}
	sec, ok := cfg.Output["elasticsearch"]
	if !ok {
		for k := range cfg.Output {
			fmt.Fprintf(stdout, "output.%s: nothing to test (only output.elasticsearch talks to a server)\n", k)
		}
		return ExitOK
	}
	ec := elasticsearch.DefaultConfig()
	if err := sec.Decode(&ec); err != nil {
		printErr(stderr, "", err)
		return ExitUsage
	}
	out, err := elasticsearch.New(ec, slog.New(slog.NewTextHandler(stderr, nil)), nil)
	if err != nil {
		printErr(stderr, "", sec.Errorf("", "%v", err))
		return ExitUsage
	}
	failed := false
	for _, h := range out.Hosts() {
		if !testHost(stdout, h, ec) {
			failed = true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fmt.Fprintf(stdout, "talk to server... ")
	res, err := out.Do(ctx, http.MethodGet, "/", nil)
	if err != nil {
		fmt.Fprintf(stdout, "ERROR %v\n", err)
		return ExitRuntime
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		fmt.Fprintf(stdout, "ERROR %s\n", elasticsearch.StatusLine(res.StatusCode))
		if res.StatusCode == 401 || res.StatusCode == 403 {
			fmt.Fprintf(stdout, "  %s\n", credentialsRefused(ec))
		}
		return ExitRuntime
	}
	var info struct {
		Version struct {
			Number string `json:"number"`
		} `json:"version"`
		ClusterName string `json:"cluster_name"`
	}
	_ = json.NewDecoder(res.Body).Decode(&info)
	fmt.Fprintln(stdout, "OK")
	fmt.Fprintf(stdout, "  version: %s\n", info.Version.Number)
	if info.ClusterName != "" {
		fmt.Fprintf(stdout, "  cluster: %s\n", info.ClusterName)
	}
	authOK, authFailed := testAuth(ctx, stdout, out, ec)
	if authFailed {
		failed = true
	}
	if authOK && !testPrivileges(ctx, stdout, out, ec) {
		failed = true
	}
	if failed {
		return ExitRuntime
	}
	return ExitOK
}

func credentialsRefused(ec elasticsearch.Config) string {
	switch {
	case ec.APIKey != "":
		return "the credentials (api_key) were refused"
	case ec.Username != "":
		return fmt.Sprintf("the credentials (username %q and its password) were refused", ec.Username)
	}
	return "the server wants credentials: set username/password or api_key"
}

// noSecurity reports whether an answer to a _security API means the server
// has none: VictoriaLogs answers 400 "unsupported path", a server without
// the API 404, Elasticsearch with security disabled 500 "Security must be
// explicitly enabled".
func noSecurity(status int, body []byte) bool {
	return status == 400 || status == 404 || status == 405 ||
		status == 500 && bytes.Contains(bytes.ToLower(body), []byte("security must be explicitly enabled"))
}

// testAuth asks who the credentials are. ok: they were checked and
// accepted (the privileges can be asked next); failed: an ERROR was printed.
func testAuth(ctx context.Context, w io.Writer, out *elasticsearch.Output, ec elasticsearch.Config) (ok, failed bool) {
	fmt.Fprint(w, "authentication... ")
	if ec.APIKey == "" && ec.Username == "" {
		fmt.Fprintln(w, "WARN no credentials configured (username/password or api_key): requests are anonymous")
		return false, false
	}
	res, err := out.Do(ctx, http.MethodGet, "/_security/_authenticate", nil)
	if err != nil {
		fmt.Fprintf(w, "ERROR %v\n", err)
		return false, true
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode == 200:
		var who struct {
			Username string `json:"username"`
			Type     string `json:"authentication_type"`
			Realm    struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"authentication_realm"`
			Roles []string `json:"roles"`
		}
		_ = json.Unmarshal(body, &who)
		fmt.Fprintln(w, "OK")
		fmt.Fprintf(w, "  user: %s (%s, realm %s/%s)\n", who.Username, who.Type, who.Realm.Name, who.Realm.Type)
		if len(who.Roles) > 0 {
			fmt.Fprintf(w, "  roles: %s\n", strings.Join(who.Roles, ", "))
		}
		return true, false
	case res.StatusCode == 401 || res.StatusCode == 403:
		fmt.Fprintf(w, "ERROR %s: %s\n", elasticsearch.StatusLine(res.StatusCode), credentialsRefused(ec))
		return false, true
	case noSecurity(res.StatusCode, body):
		fmt.Fprintf(w, "WARN the server has no security API (HTTP %d; VictoriaLogs, or security disabled): credentials not checked\n", res.StatusCode)
		return false, false
	}
	fmt.Fprintf(w, "ERROR %s: %s\n", elasticsearch.StatusLine(res.StatusCode), shortBody(body))
	return false, true
}

// testPrivileges asks whether the credentials may write documents to the
// index pattern: create_doc is needed, auto_configure lets the first
// document create the data stream.
func testPrivileges(ctx context.Context, w io.Writer, out *elasticsearch.Output, ec elasticsearch.Config) bool {
	pattern := elasticsearch.IndexPattern(ec.Index)
	fmt.Fprintf(w, "write privileges on %s... ", pattern)
	req, _ := json.Marshal(map[string]any{"index": []map[string]any{{
		"names": []string{pattern}, "privileges": []string{"create_doc", "auto_configure"},
	}}})
	res, err := out.Do(ctx, http.MethodPost, "/_security/user/_has_privileges", req)
	if err != nil {
		fmt.Fprintf(w, "ERROR %v\n", err)
		return false
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != 200 {
		if noSecurity(res.StatusCode, body) {
			fmt.Fprintf(w, "WARN cannot ask (HTTP %d): privileges not checked\n", res.StatusCode)
			return true
		}
		fmt.Fprintf(w, "ERROR %s: %s\n", elasticsearch.StatusLine(res.StatusCode), shortBody(body))
		return false
	}
	var r struct {
		Index map[string]map[string]bool `json:"index"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		fmt.Fprintf(w, "ERROR unexpected answer: %s\n", shortBody(body))
		return false
	}
	p := r.Index[pattern]
	switch {
	case !p["create_doc"]:
		fmt.Fprintf(w, "ERROR the credentials may not write documents (create_doc) to %s: give their role create_doc (and auto_configure) on it\n", pattern)
		return false
	case !p["auto_configure"]:
		fmt.Fprintf(w, "WARN create_doc OK, but without auto_configure the first document cannot create a data stream: create them with `shipper setup` or grant auto_configure\n")
		return true
	}
	fmt.Fprintln(w, "OK (create_doc, auto_configure)")
	return true
}

func shortBody(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func testHost(w io.Writer, host string, ec elasticsearch.Config) bool {
	fmt.Fprintf(w, "elasticsearch: %s...\n", host)
	u, err := url.Parse(host)
	if err != nil {
		fmt.Fprintf(w, "  parse url... ERROR %v\n", err)
		return false
	}
	fmt.Fprintln(w, "  parse url... OK")
	fmt.Fprint(w, "  dns lookup... ")
	addrs, err := net.LookupHost(u.Hostname())
	if err != nil {
		fmt.Fprintf(w, "ERROR %v\n", err)
		return false
	}
	fmt.Fprintf(w, "OK\n  addresses: %v\n", addrs)
	fmt.Fprint(w, "  dial up... ")
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		fmt.Fprintf(w, "ERROR %v\n", err)
		return false
	}
	conn.Close()
	fmt.Fprintln(w, "OK")
	if u.Scheme != "https" {
		fmt.Fprintln(w, "  TLS... WARN secure connection disabled (http://): credentials and data travel in clear")
		return true
	}
	fmt.Fprint(w, "  TLS... ")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	st, err := elasticsearch.HandshakeTLS(ctx, ec, u.Host, nil)
	if err != nil {
		fmt.Fprintf(w, "ERROR %v\n", err)
		return false
	}
	if ec.SSL.VerificationMode == "none" {
		fmt.Fprintln(w, "WARN server certificate NOT verified (ssl.verification_mode: none)")
	} else {
		fmt.Fprintf(w, "OK\n    verification: %s\n", verificationText(ec))
	}
	fmt.Fprintf(w, "    version: %s\n    cipher: %s\n", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	if len(st.PeerCertificates) > 0 {
		c := st.PeerCertificates[0]
		fmt.Fprintf(w, "    server certificate: %s (issuer %s, expires %s)\n", c.Subject, c.Issuer, c.NotAfter.Format(time.DateOnly))
	}
	return true
}

func verificationText(ec elasticsearch.Config) string {
	what := "chain and host name"
	if ec.SSL.VerificationMode == "certificate" {
		what = "chain only (ssl.verification_mode: certificate)"
	}
	switch {
	case ec.SSL.CATrustedFingerprint != "":
		what += ", CA by fingerprint"
	case len(ec.SSL.CertificateAuthorities) > 0:
		what += ", CA from ssl.certificate_authorities"
	default:
		what += ", system CAs"
	}
	if ec.SSL.Certificate != "" {
		what += ", client certificate sent"
	}
	return what
}
