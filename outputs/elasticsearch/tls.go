package elasticsearch

import (
	"bytes"
	"context"
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

// transport builds the HTTP transport of the output with its ssl.* settings.
func transport(cfg Config, log *slog.Logger) (*http.Transport, error) {
	return Transport(cfg.SSL, TransportOptions{Peer: "Elasticsearch", MaxIdleConnsPerHost: cfg.Worker + 1, ResponseHeaderTimeout: cfg.Timeout}, log)
}

// TransportOptions are the non-TLS settings of Transport.
type TransportOptions struct {
	Peer                  string // named in the warning of verification_mode none
	MaxIdleConnsPerHost   int
	ResponseHeaderTimeout time.Duration
}

// Transport builds an HTTP transport with Beats' ssl.* settings; the
// Elasticsearch output and `shipper setup` (Kibana) share it. Verification
// is on by default (full: chain and host name); `certificate` checks the
// chain but not the name; `none` turns it off and says so loudly.
func Transport(ssl SSLConfig, opts TransportOptions, log *slog.Logger) (*http.Transport, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(ssl.CertificateAuthorities) > 0 {
		pool := x509.NewCertPool()
		for _, ca := range ssl.CertificateAuthorities {
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
	if ssl.Certificate != "" {
		cert, err := loadKeyPair(ssl.Certificate, ssl.Key)
		if err != nil {
			return nil, fmt.Errorf("ssl.certificate/ssl.key: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	var fp []byte
	if ssl.CATrustedFingerprint != "" {
		b, err := hex.DecodeString(strings.ReplaceAll(strings.ToLower(ssl.CATrustedFingerprint), ":", ""))
		if err != nil || len(b) != sha256.Size {
			return nil, errors.New("ssl.ca_trusted_fingerprint: want the hex SHA-256 of the CA certificate")
		}
		fp = b
	}
	// The checks run in VerifyConnection, on a config cloned per connection
	// with the host it dials: an IP address is checked against the
	// certificate's IP SANs, and errors name the host and say what to set.
	var verify func(host string) func(tls.ConnectionState) error
	switch ssl.VerificationMode {
	case "none":
		log.Warn("TLS verification is DISABLED (ssl.verification_mode: none): the connection to " + opts.Peer + " can be intercepted; use it only for tests")
	case "certificate":
		verify = func(string) func(tls.ConnectionState) error { return verifyChain(tc.RootCAs, fp, "") }
	default: // full, strict
		verify = func(host string) func(tls.ConnectionState) error { return verifyChain(tc.RootCAs, fp, host) }
	}
	tc.InsecureSkipVerify = true // replaced by verify (or, with none, by nothing)
	if verify != nil {
		// A proxied connection (CONNECT) is wrapped by net/http with
		// TLSClientConfig itself: check it against the configured name.
		tc.VerifyConnection = func(cs tls.ConnectionState) error { return verify(cs.ServerName)(cs) }
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:       http.ProxyFromEnvironment,
		DialContext: dialer.DialContext,
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			c := tc.Clone()
			if c.ServerName == "" {
				c.ServerName = host
			}
			c.VerifyConnection = nil
			if verify != nil {
				c.VerifyConnection = verify(host)
			}
			raw, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			conn := tls.Client(raw, c)
			hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := conn.HandshakeContext(hctx); err != nil {
				raw.Close()
				return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
			}
			return conn, nil
		},
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConnsPerHost:   opts.MaxIdleConnsPerHost,
		IdleConnTimeout:       60 * time.Second,
		ResponseHeaderTimeout: opts.ResponseHeaderTimeout,
		ForceAttemptHTTP2:     false,
	}, nil
}

// verifyChain checks the server's chain against roots (the system's when
// nil); a non-empty host is also checked against the leaf's names.
//
// With ssl.ca_trusted_fingerprint it does what Beats does
// (elastic-agent-libs tlscommon trustRootCA): the CA certificate of the
// chain that has the fingerprint is added to the roots (to the
// certificate_authorities when set, otherwise it is the only root) and the
// leaf must chain to a root as usual. Finding the pinned certificate in the
// chain proves nothing by itself: it is public, anyone can append it to a
// chain of their own (issue 14). When no CA of the chain has the
// fingerprint, the chain is checked against roots alone, as in Beats.
//
// One deliberate difference: Beats only pins CA certificates; here the
// fingerprint may also be the server's own certificate (the leaf), which is
// then trusted as itself. That is as safe as pinning its CA (the handshake
// proves the server holds the key of that very certificate), worked before,
// and is what an operator gets when taking the fingerprint of what
// `openssl s_client` shows first; it stops working when the certificate is
// renewed, which pinning the CA does not.
func verifyChain(roots *x509.CertPool, fingerprint []byte, host string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("server sent no certificate")
		}
		leaf := cs.PeerCertificates[0]
		var pinned, notCA *x509.Certificate
		if fingerprint != nil {
			for i, c := range cs.PeerCertificates {
				sum := sha256.Sum256(c.Raw)
				if !bytes.Equal(sum[:], fingerprint) {
					continue
				}
				if i == 0 || c.IsCA {
					pinned = c
				} else {
					notCA = c
				}
				break
			}
		}
		if pinned != nil {
			if roots == nil {
				roots = x509.NewCertPool()
			} else {
				roots = roots.Clone() // per connection: the configured pool stays as configured
			}
			roots.AddCert(pinned)
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host}
		_, err := leaf.Verify(opts)
		var he x509.HostnameError
		switch {
		case err == nil:
			return nil
		case fingerprint == nil || errors.As(err, &he):
			return explain(err, leaf)
		case pinned != nil:
			return fmt.Errorf("%w: the server's certificate (%s) does not chain to the certificate with the ssl.ca_trusted_fingerprint (%s), although the server sent that one too: "+
				"not the expected server, or a man in the middle", err, leaf.Subject, pinned.Subject)
		case notCA != nil:
			return fmt.Errorf("%w: the certificate with the ssl.ca_trusted_fingerprint (%s) is in the server's chain but is neither a CA nor the server's own certificate", err, notCA.Subject)
		default:
			return fmt.Errorf("x509: no CA certificate of the chain has the ssl.ca_trusted_fingerprint, and %w", explain(err, leaf))
		}
	}
}

// explain adds what the certificate is for, or what to configure, to the
// standard x509 errors.
func explain(err error, leaf *x509.Certificate) error {
	var he x509.HostnameError
	var ua x509.UnknownAuthorityError
	switch {
	case errors.As(err, &he):
		var names []string
		names = append(names, leaf.DNSNames...)
		for _, ip := range leaf.IPAddresses {
			names = append(names, ip.String())
		}
		if len(names) == 0 {
			names = []string{"CN=" + leaf.Subject.CommonName}
		}
		return fmt.Errorf("%w (the certificate is for %s; connect by one of those names, or set ssl.verification_mode: certificate)", err, strings.Join(names, ", "))
	case errors.As(err, &ua):
		return fmt.Errorf("%w (issuer %q; add its CA to ssl.certificate_authorities or set ssl.ca_trusted_fingerprint)", err, leaf.Issuer.CommonName)
	}
	return err
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

// tlsHint says what to configure when the server refused us for want of a
// client certificate (TLS 1.3 reports it on the first read, after the
// handshake, so it does not go through explain).
func tlsHint(err error) error {
	if err != nil && strings.Contains(err.Error(), "tls: certificate required") {
		return fmt.Errorf("%w (the server requires a client certificate: set ssl.certificate and ssl.key)", err)
	}
	return err
}

// HandshakeTLS connects to addr (host:port) and runs the TLS handshake with
// the ssl.* settings and their verification, as a bulk request would; for
// `shipper test output`.
func HandshakeTLS(ctx context.Context, cfg Config, addr string, log *slog.Logger) (tls.ConnectionState, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tr, err := transport(cfg, log)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	c, err := tr.DialTLSContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState(), nil
}

// IndexPattern turns the index setting into the pattern its names match
// ("shipper-%{[event.dataset]}" → "shipper-*"), for privilege checks.
func IndexPattern(index string) string {
	sel, err := parseIndex(index)
	if err != nil {
		return index
	}
	var b strings.Builder
	for _, p := range sel {
		if p.lit != "" {
			b.WriteString(p.lit)
		} else if !strings.HasSuffix(b.String(), "*") {
			b.WriteByte('*')
		}
	}
	return b.String()
}
