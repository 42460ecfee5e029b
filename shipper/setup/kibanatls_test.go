package setup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Kibana over TLS uses the Elasticsearch output's ssl.* code: verification
// on by default, certificate_authorities, ca_trusted_fingerprint, none.
func TestKibanaTLS(t *testing.T) {
	k := &fakeKibana{t: t, version: "8.15.0"}
	srv := httptest.NewTLSServer(http.HandlerFunc(k.handle))
	defer srv.Close()
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	sum := sha256.Sum256(srv.Certificate().Raw)
	check := func(name string, ssl SSLConfig, wantErr string) {
		t.Helper()
		if ssl.VerificationMode == "" {
			ssl.VerificationMode = "full"
		}
		kb, err := NewKibana(KibanaConfig{Host: srv.URL, Timeout: time.Minute, SSL: ssl}, nil)
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
	check("unknown CA, verification on", SSLConfig{}, "certificate")
	check("CA given", SSLConfig{CertificateAuthorities: []string{caPEM}}, "")
	check("trusted fingerprint", SSLConfig{CATrustedFingerprint: hex.EncodeToString(sum[:])}, "")
	check("verification none", SSLConfig{VerificationMode: "none"}, "")
}
