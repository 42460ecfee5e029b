package elasticsearch_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"io"
	stdlog "log"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/outputs/elasticsearch/estest"
	"github.com/shipper-project/shipper/shipper/pipeline"
)

// pki is a CA made in the test and certificates it signed.
type pki struct {
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caPEM  []byte
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &pki{caCert: cert, caKey: key, caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a leaf for the DNS names / IPs given; the chain includes the CA.
func (p *pki) issue(t *testing.T, cn string, client bool, hosts ...string) (tls.Certificate, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	return tls.Certificate{Certificate: [][]byte{der, p.caCert.Raw}, PrivateKey: key}, certPEM, keyPEM
}

func (p *pki) fingerprint() string {
	sum := sha256.Sum256(p.caCert.Raw)
	return hex.EncodeToString(sum[:])
}

// tlsServer starts a fake Elasticsearch over TLS with the given server
// certificate; clientCAs, when set, makes it require client certificates.
func tlsServer(t *testing.T, cert tls.Certificate, clientCAs *x509.CertPool) *estest.Server {
	s := estest.NewUnstarted(t, nil)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	if clientCAs != nil {
		s.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		s.TLS.ClientCAs = clientCAs
	}
	s.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // refused handshakes are the point
	s.StartTLS()
	return s
}

// publishOne sends one event and returns the error of the attempt.
func publishOne(t *testing.T, cfg elasticsearch.Config, log *slog.Logger) error {
	t.Helper()
	out, err := elasticsearch.New(cfg, log, nil)
	if err != nil {
		return err
	}
	b := pipeline.NewTestBatch(testEvents(1)...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := out.Publish(ctx, b); err != nil {
		return err
	}
	if o := b.Outcome(0); o != pipeline.Acked && o != pipeline.Duplicate {
		t.Errorf("outcome %v, want acked", b.Outcome(0))
	}
	return nil
}

func TestTLS(t *testing.T) {
	ca := newPKI(t, "shipper test CA")
	other := newPKI(t, "someone else's CA")
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, ca.caPEM, 0o600)
	otherFile := filepath.Join(dir, "other.pem")
	os.WriteFile(otherFile, other.caPEM, 0o600)

	good, _, _ := ca.issue(t, "es", false, "127.0.0.1", "localhost")
	wrongName, _, _ := ca.issue(t, "es.example.org", false, "es.example.org")
	goodSrv := tlsServer(t, good, nil)
	wrongNameSrv := tlsServer(t, wrongName, nil)
	clientPool := x509.NewCertPool()
	clientPool.AddCert(ca.caCert)
	mtlsSrv := tlsServer(t, good, clientPool)
	_, clientCert, clientKey := ca.issue(t, "shipper-client", true)
	certFile, keyFile := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	os.WriteFile(certFile, clientCert, 0o600)
	os.WriteFile(keyFile, clientKey, 0o600)

	host := func(s *estest.Server) string { u, _ := url.Parse(s.URL); return u.Host }
	cases := []struct {
		name    string
		srv     *estest.Server
		set     func(c *elasticsearch.SSLConfig)
		wantErr []string // all must appear; nil: success
		wantLog string
	}{
		{name: "full with the CA file", srv: goodSrv, set: func(c *elasticsearch.SSLConfig) {
			c.CertificateAuthorities = []string{caFile}
		}},
		{name: "full with inline PEM", srv: goodSrv, set: func(c *elasticsearch.SSLConfig) {
			c.CertificateAuthorities = []string{string(ca.caPEM)}
		}},
		{name: "full without the CA", srv: goodSrv, set: func(c *elasticsearch.SSLConfig) {},
			wantErr: []string{"x509", "127.0.0.1"}},
		{name: "full with another CA", srv: goodSrv, set: func(c *elasticsearch.SSLConfig) {
			c.CertificateAuthorities = []string{otherFile}
		}, wantErr: []string{"x509", "unknown authority"}},
		{name: "full refuses a wrong host name", srv: wrongNameSrv, set: func(c *elasticsearch.SSLConfig) {
			c.CertificateAuthorities = []string{caFile}
		}, wantErr: []string{"x509", "127.0.0.1", "es.example.org"}},
		{name: "certificate accepts a wrong host name", srv: wrongNameSrv, set: func(c *elasticsearch.SSLConfig) {
			c.CertificateAuthorities = []string{caFile}
			c.VerificationMode = "certificate"
		}},
		{name: "certificate refuses an unknown CA", srv: wrongNameSrv, set: func(c *elasticsearch.SSLConfig) {
			c.CertificateAuthorities = []string{otherFile}
			c.VerificationMode = "certificate"
		}, wantErr: []string{"x509", "unknown authority"}},
		{name: "none accepts anything, loudly", srv: wrongNameSrv, set: func(c *elasticsearch.SSLConfig) {
			c.VerificationMode = "none"
		}, wantLog: "TLS verification is DISABLED"},
		{name: "trusted CA fingerprint", srv: goodSrv, set: func(c *elasticsearch.SSLConfig) {
			c.CATrustedFingerprint = ca.fingerprint()
		}},
		{name: "trusted fingerprint with colons and upper case", srv: goodSrv, set: func(c *elasticsearch.SSLConfig) {
			fp := strings.ToUpper(ca.fingerprint())
			var parts []string
			for i := 0; i < len(fp); i += 2 {
				parts = append(parts, fp[i:i+2])
			}
			c.CATrustedFingerprint = strings.Join(parts, ":")
		}},
		{name: "trusted fingerprint still checks the name", srv: wrongNameSrv, set: func(c *elasticsearch.SSLConfig) {
			c.CATrustedFingerprint = ca.fingerprint()
		}, wantErr: []string{"x509", "es.example.org"}},
		{name: "wrong fingerprint", srv: goodSrv, set: func(c *elasticsearch.SSLConfig) {
			c.CATrustedFingerprint = other.fingerprint()
		}, wantErr: []string{"x509"}},
		{name: "client certificate required and given", srv: mtlsSrv, set: func(c *elasticsearch.SSLConfig) {
			c.CertificateAuthorities = []string{caFile}
			c.Certificate, c.Key = certFile, keyFile
		}},
		{name: "client certificate required, none given", srv: mtlsSrv, set: func(c *elasticsearch.SSLConfig) {
			c.CertificateAuthorities = []string{caFile}
		}, wantErr: []string{"certificate"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := elasticsearch.DefaultConfig()
			cfg.Hosts = []string{tc.srv.URL}
			tc.set(&cfg.SSL)
			logs := &syncBuffer{}
			err := publishOne(t, cfg, slog.New(slog.NewTextHandler(logs, nil)))
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("publish: %v", err)
				}
			} else {
				if err == nil {
					t.Fatalf("publish succeeded, want an error with %q", tc.wantErr)
				}
				t.Logf("error: %v", err)
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				if !strings.Contains(err.Error(), host(tc.srv)) {
					t.Errorf("error %q does not name the host %s", err, host(tc.srv))
				}
			}
			if tc.wantLog != "" && !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log lacks %q:\n%s", tc.wantLog, logs)
			}
		})
	}
}

// selfSigned makes a certificate signed by its own key for the hosts given,
// as an attacker without the pinned CA's key would; isCA sets the CA bit.
func selfSigned(t *testing.T, cn string, isCA bool, hosts ...string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  isCA,
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

func fingerprintOf(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// ssl.ca_trusted_fingerprint pins a CA: the server's certificate must chain
// to it. Sending the (public) pinned CA certificate next to one's own
// certificate must not be enough (issue 14, item 1).
func TestTLSPinning(t *testing.T) {
	ca := newPKI(t, "pinned CA")
	other := newPKI(t, "operator's other CA")
	otherFile := filepath.Join(t.TempDir(), "other.pem")
	os.WriteFile(otherFile, other.caPEM, 0o600)

	good, _, _ := ca.issue(t, "es", false, "127.0.0.1")
	wrongName, _, _ := ca.issue(t, "es.example.org", false, "es.example.org")
	byOther, _, _ := other.issue(t, "es", false, "127.0.0.1")
	// The attacker: its own certificate for the right name, then the
	// pinned CA's public certificate appended to the chain.
	evil, evilKey := selfSigned(t, "es", false, "127.0.0.1")
	mitm := tls.Certificate{Certificate: [][]byte{evil.Raw, ca.caCert.Raw}, PrivateKey: evilKey}
	// The same with a CA of its own in the middle: leaf → evil CA, then
	// the pinned CA.
	evilCA := newPKI(t, "evil CA")
	evilLeaf, _, _ := evilCA.issue(t, "es", false, "127.0.0.1")
	mitmChain := tls.Certificate{Certificate: [][]byte{evilLeaf.Certificate[0], evilCA.caCert.Raw, ca.caCert.Raw}, PrivateKey: evilLeaf.PrivateKey}
	// A self-signed server certificate (not a CA) pinned by its own
	// fingerprint, and one for another name.
	selfLeaf, selfKey := selfSigned(t, "es", false, "127.0.0.1")
	self := tls.Certificate{Certificate: [][]byte{selfLeaf.Raw}, PrivateKey: selfKey}
	selfWrong, selfWrongKey := selfSigned(t, "es.example.org", false, "es.example.org")
	selfWrongName := tls.Certificate{Certificate: [][]byte{selfWrong.Raw}, PrivateKey: selfWrongKey}
	// A server certificate signed by the pinned CA, sending a leaf whose
	// fingerprint is pinned but not as the leaf: chain [evil, pinned leaf].
	pinnedLeaf := good.Certificate[0]
	pinnedLeafCert, _ := x509.ParseCertificate(pinnedLeaf)
	leafAppended := tls.Certificate{Certificate: [][]byte{evil.Raw, pinnedLeaf}, PrivateKey: evilKey}

	servers := map[string]*estest.Server{}
	srv := func(name string, c tls.Certificate) *estest.Server {
		if s, ok := servers[name]; ok {
			return s
		}
		servers[name] = tlsServer(t, c, nil)
		return servers[name]
	}
	cases := []struct {
		name    string
		cert    string
		chain   tls.Certificate
		mode    string
		cas     []string
		pin     string
		wantErr []string // nil: success
	}{
		{name: "leaf signed by the pinned CA", cert: "good", chain: good, pin: ca.fingerprint()},
		{name: "leaf signed by the pinned CA, certificate mode", cert: "good", chain: good, mode: "certificate", pin: ca.fingerprint()},
		{name: "foreign self-signed leaf with the pinned CA appended", cert: "mitm", chain: mitm, pin: ca.fingerprint(),
			wantErr: []string{"x509", "ssl.ca_trusted_fingerprint"}},
		{name: "foreign self-signed leaf with the pinned CA appended, certificate mode", cert: "mitm", chain: mitm, mode: "certificate", pin: ca.fingerprint(),
			wantErr: []string{"x509", "ssl.ca_trusted_fingerprint"}},
		{name: "foreign chain with the pinned CA appended", cert: "mitmChain", chain: mitmChain, pin: ca.fingerprint(),
			wantErr: []string{"x509", "ssl.ca_trusted_fingerprint"}},
		{name: "foreign chain with the pinned CA appended, certificate mode", cert: "mitmChain", chain: mitmChain, mode: "certificate", pin: ca.fingerprint(),
			wantErr: []string{"x509", "ssl.ca_trusted_fingerprint"}},
		{name: "wrong host name, full mode", cert: "wrongName", chain: wrongName, pin: ca.fingerprint(),
			wantErr: []string{"x509", "es.example.org"}},
		{name: "wrong host name, certificate mode", cert: "wrongName", chain: wrongName, mode: "certificate", pin: ca.fingerprint()},
		// With ssl.certificate_authorities too, as Beats: the pinned CA is
		// added to those CAs, either one may have signed the server's
		// certificate, and appending the pinned CA proves nothing.
		{name: "CA file and pin, signed by the pinned CA", cert: "good", chain: good, cas: []string{otherFile}, pin: ca.fingerprint()},
		{name: "CA file and pin, signed by the CA of the file", cert: "byOther", chain: byOther, cas: []string{otherFile}, pin: ca.fingerprint()},
		{name: "CA file and pin, foreign leaf with the pinned CA appended", cert: "mitm", chain: mitm, cas: []string{otherFile}, pin: ca.fingerprint(),
			wantErr: []string{"x509", "ssl.ca_trusted_fingerprint"}},
		{name: "pin not in the chain, CA file signed it", cert: "byOther", chain: byOther, cas: []string{otherFile}, pin: evilCA.fingerprint()},
		{name: "pin not in the chain, no CA file", cert: "byOther", chain: byOther, pin: evilCA.fingerprint(),
			wantErr: []string{"x509", "unknown authority"}},
		// A pinned server certificate (the fingerprint is the leaf's): the
		// handshake proves the server holds its key, so it is trusted as
		// itself; the name is still checked in full mode.
		{name: "pinned self-signed leaf", cert: "self", chain: self, pin: fingerprintOf(selfLeaf)},
		{name: "pinned leaf signed by a CA", cert: "good", chain: good, pin: fingerprintOf(pinnedLeafCert)},
		{name: "pinned leaf, wrong host name, full mode", cert: "selfWrongName", chain: selfWrongName, pin: fingerprintOf(selfWrong),
			wantErr: []string{"x509", "es.example.org"}},
		{name: "pinned leaf, wrong host name, certificate mode", cert: "selfWrongName", chain: selfWrongName, mode: "certificate", pin: fingerprintOf(selfWrong)},
		{name: "pinned leaf appended to a foreign leaf", cert: "leafAppended", chain: leafAppended, pin: fingerprintOf(pinnedLeafCert),
			wantErr: []string{"x509", "ssl.ca_trusted_fingerprint"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := srv(tc.cert, tc.chain)
			cfg := elasticsearch.DefaultConfig()
			cfg.Hosts = []string{s.URL}
			cfg.SSL.CATrustedFingerprint = tc.pin
			cfg.SSL.CertificateAuthorities = tc.cas
			if tc.mode != "" {
				cfg.SSL.VerificationMode = tc.mode
			}
			err := publishOne(t, cfg, nil)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("publish: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("publish succeeded, want an error with %q", tc.wantErr)
			}
			t.Logf("error: %v", err)
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
