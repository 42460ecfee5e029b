package elasticsearch_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// Credentials never reach a log line or an error: failing runs (refused
// credentials, unreachable hosts, TLS failures) are run at debug level and
// everything they print is searched for every form of the secrets.
func TestSecretsNeverInLogsOrErrors(t *testing.T) {
	const (
		user     = "shipper"
		password = "Wr0ng-P4ssw0rd!x"
		apiID    = "kid42"
		apiKey   = "S3cretApiKeyMaterial"
	)
	secrets := []string{
		password, apiKey,
		base64.StdEncoding.EncodeToString([]byte(user + ":" + password)),
		base64.StdEncoding.EncodeToString([]byte(apiID + ":" + apiKey)),
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	unreachable := "http://" + l.Addr().String()
	l.Close()

	type setup struct {
		name    string
		auth    *estest.Auth // the server's; nil: no server, host unreachable
		tls     bool
		basic   bool // else api_key
		wantErr string
	}
	cases := []setup{
		{name: "wrong password → 401", auth: &estest.Auth{Username: user, Password: "the-right-one"}, basic: true, wantErr: "were refused"},
		{name: "wrong api key → 401", auth: &estest.Auth{APIKey: apiID + ":the-right-one"}, wantErr: "api_key) were refused"},
		{name: "unreachable host with password", basic: true, wantErr: "connection refused"},
		{name: "unreachable host with api key", wantErr: "connection refused"},
		{name: "TLS failure with password", auth: &estest.Auth{Username: user, Password: "x"}, tls: true, basic: true, wantErr: "x509"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			host := unreachable
			if tc.auth != nil {
				var s *estest.Server
				if tc.tls {
					ca := newPKI(t, "ca")
					cert, _, _ := ca.issue(t, "es", false, "127.0.0.1")
					s = tlsServer(t, cert, nil)
				} else {
					s = estest.New(t, nil)
				}
				s.SetAuth(tc.auth)
				host = s.URL
			}
			// Hosts also carry credentials in their URL: they are dropped.
			u := strings.Replace(host, "://", "://"+user+":"+password+"@", 1)
			r := newRig(t, estest.NewPlan(nil))
			r.cfg.Hosts = []string{u}
			if tc.basic {
				r.cfg.Username, r.cfg.Password = user, password
			} else {
				r.cfg.APIKey = apiID + ":" + apiKey
			}
			drainErr := r.shipUntil(testEvents(3), 3, func() bool {
				return strings.Count(r.logs.String(), "output request failed") >= 2
			})
			if drainErr == nil {
				t.Fatal("the run succeeded; want a failing run")
			}
			// The same failure, as an error value returned to a caller.
			out, err := elasticsearch.New(r.cfg, slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), nil)
			if err != nil {
				t.Fatal(err)
			}
			pubErr := out.Publish(context.Background(), pipeline.NewTestBatch(testEvents(1)...))
			if pubErr == nil || !strings.Contains(pubErr.Error(), tc.wantErr) {
				t.Errorf("Publish error %v, want one saying %q", pubErr, tc.wantErr)
			}
			shown := r.cfg
			shown.Hosts = nil // the test put credentials there itself
			all := fmt.Sprintf("%s\n%v\n%v\n%+v\n%#v", r.logs, drainErr, pubErr, shown, shown)
			for _, s := range secrets {
				if strings.Contains(all, s) {
					t.Errorf("secret %q found in logs or errors:\n%s", s, all)
				}
			}
			if !strings.Contains(r.logs.String(), tc.wantErr) {
				t.Errorf("logs do not say %q:\n%s", tc.wantErr, r.logs)
			}
		})
	}
	// A bad host with credentials in it: the configuration error does not
	// repeat them either.
	cfg := elasticsearch.DefaultConfig()
	cfg.Hosts = []string{"ftp://" + user + ":" + password + "@es:9200"}
	if _, err := elasticsearch.New(cfg, nil, nil); err == nil || strings.Contains(err.Error(), password) {
		t.Errorf("config error %v: want an error without the password", err)
	}
}

// TestHostQueryNotShown: a query in a host URL (a token some proxies take)
// is masked where the hosts are shown — errors, logs, test output, the
// status page — as export config masks it; it was printed as written.
func TestHostQueryNotShown(t *testing.T) {
	cfg := elasticsearch.DefaultConfig()
	cfg.Hosts = []string{"http://127.0.0.1:1/es?token=S3cretQ"}
	out, err := elasticsearch.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	shown := strings.Join(out.Hosts(), ",")
	if strings.Contains(shown, "S3cretQ") || !strings.Contains(shown, "127.0.0.1:1/es?token=") {
		t.Errorf("Hosts() = %q, want the host with its query values masked", shown)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := out.Publish(ctx, pipeline.NewTestBatch()); err != nil && strings.Contains(err.Error(), "S3cretQ") {
		t.Errorf("Publish error shows the query: %v", err)
	}
}
