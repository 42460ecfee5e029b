package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	stdlog "log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
)

func writeOutputConfig(t *testing.T, output string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "shipper.yml")
	yml := fmt.Sprintf("path.data: %q\nshipper.inputs:\n  - {type: squid, id: sq, paths: [/nonexistent/access.log]}\n%s\n", filepath.Join(dir, "data"), output)
	if err := os.WriteFile(p, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// tlsCA makes a CA and a server certificate for 127.0.0.1 signed by it.
func tlsCA(t *testing.T) (caPEM []byte, server tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caT, caT, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "es"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, leafT, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestTestOutput(t *testing.T) {
	plain := estest.New(t, nil) // no security: _security answers 404
	secured := func(a *estest.Auth) *estest.Server {
		s := estest.New(t, nil)
		s.SetAuth(a)
		return s
	}
	// VictoriaLogs: GET / is Elasticsearch-like, any other path a
	// text/plain 400.
	vl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		if r.URL.Path == "/insert/elasticsearch/" || r.URL.Path == "/insert/elasticsearch" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"version":{"number":"8.9.0"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(400)
		fmt.Fprintf(w, "unsupported path requested: %q\n", r.URL.Path)
	}))
	defer vl.Close()
	caPEM, cert := tlsCA(t)
	tlsSrv := estest.NewUnstarted(t, nil)
	tlsSrv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	tlsSrv.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, caPEM, 0o600)

	const pw = "the-Secret-pw"
	cases := []struct {
		name   string
		output string
		code   int
		want   []string
	}{
		{"no credentials", fmt.Sprintf("output.elasticsearch.hosts: [%q]", plain.URL), 0,
			[]string{"dial up... OK", "TLS... WARN", "talk to server... OK", "version: 8.15.0", "authentication... WARN no credentials"}},
		{"credentials, server without security", fmt.Sprintf("output.elasticsearch: {hosts: [%q], username: shipper, password: %s}", plain.URL, pw), 0,
			[]string{"authentication... WARN the server has no security API (HTTP 404"}},
		{"VictoriaLogs", fmt.Sprintf("output.elasticsearch: {hosts: [%q], username: shipper, password: %s}", vl.URL+"/insert/elasticsearch/", pw), 0,
			[]string{"version: 8.9.0", "authentication... WARN the server has no security API (HTTP 400"}},
		{"good credentials", fmt.Sprintf("output.elasticsearch: {hosts: [%q], username: shipper, password: %s}", secured(&estest.Auth{Username: "shipper", Password: pw}).URL, pw), 0,
			[]string{"authentication... OK", "user: shipper (realm", "write privileges on shipper-*... OK"}},
		{"api key", fmt.Sprintf("output.elasticsearch: {hosts: [%q], api_key: \"kid:%s\"}", secured(&estest.Auth{APIKey: "kid:" + pw}).URL, pw), 0,
			[]string{"authentication... OK", "user: apikey:kid (api_key", "write privileges on shipper-*... OK"}},
		{"may not write", fmt.Sprintf("output.elasticsearch: {hosts: [%q], username: shipper, password: %s, index: \"logs-%%{[event.dataset]}-x\"}", secured(&estest.Auth{Username: "shipper", Password: pw, Denied: []string{"create_doc"}}).URL, pw), 1,
			[]string{"write privileges on logs-*-x... ERROR", "create_doc"}},
		{"no auto_configure", fmt.Sprintf("output.elasticsearch: {hosts: [%q], username: shipper, password: %s}", secured(&estest.Auth{Username: "shipper", Password: pw, Denied: []string{"auto_configure"}}).URL, pw), 0,
			[]string{"write privileges on shipper-*... WARN"}},
		{"wrong password", fmt.Sprintf("output.elasticsearch: {hosts: [%q], username: shipper, password: wrong-%s}", secured(&estest.Auth{Username: "shipper", Password: pw}).URL, pw), 1,
			[]string{"talk to server... ERROR 401", `username "shipper" and its password) were refused`}},
		{"TLS verified", fmt.Sprintf("output.elasticsearch: {hosts: [%q], ssl.certificate_authorities: [%q]}", tlsSrv.URL, caFile), 0,
			[]string{"TLS... OK", "verification: chain and host name, CA from ssl.certificate_authorities", "server certificate: CN=es"}},
		{"TLS unknown CA", fmt.Sprintf("output.elasticsearch: {hosts: [%q]}", tlsSrv.URL), 1,
			[]string{"TLS... ERROR", "x509: certificate signed by unknown authority"}},
		{"TLS not verified", fmt.Sprintf("output.elasticsearch: {hosts: [%q], ssl.verification_mode: none}", tlsSrv.URL), 0,
			[]string{"TLS... WARN server certificate NOT verified"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeOutputConfig(t, tc.output)
			code, out, errs := cmd(t, "", "test", "output", "-c", cfg)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if strings.Contains(out+errs, pw) {
				t.Errorf("the password is printed")
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", out, errs)
			}
		})
	}
}
