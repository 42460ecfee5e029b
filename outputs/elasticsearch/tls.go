package elasticsearch

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// transport builds the HTTP transport with the ssl.* settings. Verification
// is on by default (full: chain and host name); `certificate` checks the
// chain but not the name; `none` turns it off and says so loudly.
func transport(cfg Config, log *slog.Logger) (*http.Transport, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(cfg.SSL.CertificateAuthorities) > 0 {
		pool := x509.NewCertPool()
		for _, ca := range cfg.SSL.CertificateAuthorities {
			pem := []byte(ca)
			if !strings.Contains(ca, "-----BEGIN") {
				b, err := os.ReadFile(ca)
				if err != nil {
					return nil, fmt.Errorf("ssl.certificate_authorities: %w", err)
				}
				pem = b
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ssl.certificate_authorities: no PEM certificate in %s", short(ca))
			}
		}
		tc.RootCAs = pool
	}
	if cfg.SSL.Certificate != "" {
		cert, err := loadKeyPair(cfg.SSL.Certificate, cfg.SSL.Key)
		if err != nil {
			return nil, fmt.Errorf("ssl.certificate/ssl.key: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	var fp []byte
	if cfg.SSL.CATrustedFingerprint != "" {
		b, err := hex.DecodeString(strings.ReplaceAll(strings.ToLower(cfg.SSL.CATrustedFingerprint), ":", ""))
		if err != nil || len(b) != sha256.Size {
			return nil, errors.New("ssl.ca_trusted_fingerprint: want the hex SHA-256 of the CA certificate")
		}
		fp = b
	}
	switch cfg.SSL.VerificationMode {
	case "none":
		log.Warn("TLS verification is DISABLED (ssl.verification_mode: none): the connection to Elasticsearch can be intercepted; use it only for tests")
		tc.InsecureSkipVerify = true
	case "certificate":
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = verifyChain(tc.RootCAs, fp, false)
	default: // full, strict
		if fp != nil {
			tc.InsecureSkipVerify = true
			tc.VerifyConnection = verifyChain(tc.RootCAs, fp, true)
		}
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConnsPerHost:   cfg.Worker + 1,
		IdleConnTimeout:       60 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		ForceAttemptHTTP2:     false,
	}, nil
}

// verifyChain checks the server's chain against roots, or accepts it when a
// certificate of the chain has the trusted fingerprint; withName also checks
// the host name.
func verifyChain(roots *x509.CertPool, fingerprint []byte, withName bool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("server sent no certificate")
		}
		leaf := cs.PeerCertificates[0]
		if fingerprint != nil {
			for _, c := range cs.PeerCertificates {
				sum := sha256.Sum256(c.Raw)
				if string(sum[:]) == string(fingerprint) {
					if withName {
						return leaf.VerifyHostname(cs.ServerName)
					}
					return nil
				}
			}
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: inter}
		if withName {
			opts.DNSName = cs.ServerName
		}
		_, err := leaf.Verify(opts)
		return err
	}
}

func loadKeyPair(cert, key string) (tls.Certificate, error) {
	if strings.Contains(cert, "-----BEGIN") {
		return tls.X509KeyPair([]byte(cert), []byte(key))
	}
	return tls.LoadX509KeyPair(cert, key)
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
