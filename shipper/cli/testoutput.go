package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/shipper/config"
)

// TestOutput is `shipper test output`: for each Elasticsearch host, resolve,
// connect, handshake TLS, talk to the server and report its version — each
// step with OK or the error, as `filebeat test output` does.
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
	fmt.Fprintf(stdout, "talk to server... ")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := out.Client().Info(out.Client().Info.WithContext(ctx))
	if err != nil {
		fmt.Fprintf(stdout, "ERROR %v\n", err)
		return ExitRuntime
	}
	defer res.Body.Close()
	if res.IsError() {
		fmt.Fprintf(stdout, "ERROR %s\n", res.Status())
		if res.StatusCode == 401 || res.StatusCode == 403 {
			fmt.Fprintln(stdout, "  the credentials (username/password or api_key) were refused")
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
	if failed {
		return ExitRuntime
	}
	return ExitOK
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
	defer conn.Close()
	fmt.Fprintln(w, "OK")
	if u.Scheme != "https" {
		fmt.Fprintln(w, "  TLS... WARN secure connection disabled (http://): credentials and data travel in clear")
		return true
	}
	fmt.Fprint(w, "  TLS... ")
	tc := &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: true}
	tconn := tls.Client(conn, tc)
	_ = tconn.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tconn.Handshake(); err != nil {
		fmt.Fprintf(w, "ERROR %v\n", err)
		return false
	}
	st := tconn.ConnectionState()
	fmt.Fprintf(w, "OK\n    version: %s\n    cipher: %s\n", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	if len(st.PeerCertificates) > 0 {
		fmt.Fprintf(w, "    server certificate: %s (issuer %s, expires %s)\n", st.PeerCertificates[0].Subject, st.PeerCertificates[0].Issuer, st.PeerCertificates[0].NotAfter.Format(time.DateOnly))
	}
	fmt.Fprintf(w, "    verification mode: %s (checked on the request below)\n", ec.SSL.VerificationMode)
	return true
}

var _ = config.Secret("")
