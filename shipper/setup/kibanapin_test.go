package setup

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
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Kibana shares the output's pinning: a certificate that does not chain to
// the pinned CA is refused even when the pinned CA is appended to the chain
// (issue 14, item 1).
func TestKibanaPinning(t *testing.T) {
	newCert := func(cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
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
			IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c, key
	}
	ca, caKey := newCert("pinned CA", nil, nil, true)
	leaf, leafKey := newCert("kibana", ca, caKey, false)
	evil, evilKey := newCert("kibana", nil, nil, false)
	sum := sha256.Sum256(ca.Raw)
	pin := hex.EncodeToString(sum[:])

	check := func(name string, chain tls.Certificate, wantErr string) {
		t.Helper()
		k := &fakeKibana{t: t, version: "8.15.0"}
		srv := httptest.NewUnstartedServer(http.HandlerFunc(k.handle))
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{chain}}
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.StartTLS()
		defer srv.Close()
		kb, err := NewKibana(KibanaConfig{Host: srv.URL, Timeout: time.Minute, SSL: SSLConfig{VerificationMode: "full", CATrustedFingerprint: pin}}, nil)
		if err != nil {
			t.Fatalf("%s: NewKibana: %v", name, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang detector, not a budget: a local handshake
		defer cancel()
		_, err = kb.CheckVersion(ctx, "8.8.0")
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%s: error %v, want one containing %q", name, err, wantErr)
		}
	}
	check("signed by the pinned CA", tls.Certificate{Certificate: [][]byte{leaf.Raw, ca.Raw}, PrivateKey: leafKey}, "")
	check("foreign certificate with the pinned CA appended",
		tls.Certificate{Certificate: [][]byte{evil.Raw, ca.Raw}, PrivateKey: evilKey}, "ssl.ca_trusted_fingerprint")
}
