package setup

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// transport builds the HTTP transport for Kibana with the ssl.* settings.
// Verification is on by default (full: chain and host name); certificate
// checks the chain only; none turns it off.
func transport(c KibanaConfig) (*http.Transport, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(c.SSL.CertificateAuthorities) > 0 {
		pool := x509.NewCertPool()
		for _, ca := range c.SSL.CertificateAuthorities {
			pem := []byte(ca)
			if !strings.Contains(ca, "-----BEGIN") {
				b, err := os.ReadFile(ca)
				if err != nil {
					return nil, fmt.Errorf("ssl.certificate_authorities: %w", err)
				}
				pem = b
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, errors.New("ssl.certificate_authorities: no PEM certificate found")
			}
		}
		tc.RootCAs = pool
	}
	if c.SSL.Certificate != "" {
		var cert tls.Certificate
		var err error
		if strings.Contains(c.SSL.Certificate, "-----BEGIN") {
			cert, err = tls.X509KeyPair([]byte(c.SSL.Certificate), []byte(c.SSL.Key))
		} else {
			cert, err = tls.LoadX509KeyPair(c.SSL.Certificate, c.SSL.Key)
		}
		if err != nil {
			return nil, fmt.Errorf("ssl.certificate/ssl.key: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	switch c.SSL.VerificationMode {
	case "none":
		tc.InsecureSkipVerify = true
	case "certificate":
		tc.InsecureSkipVerify = true
		roots := tc.RootCAs
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, cert := range cs.PeerCertificates[1:] {
				inter.AddCert(cert)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: c.Timeout,
	}, nil
}
