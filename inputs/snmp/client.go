package snmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// Client is the SNMP access one poll needs. The real one wraps gosnmp;
// tests use a scripted one, so that table joining and rates are tested
// without a network.
type Client interface {
	// Get fetches scalar OIDs (sysUpTime.0, sysName.0).
	Get(oids []string) ([]gosnmp.SnmpPDU, error)
	// Walk calls fn for every varbind under root, in OID order.
	Walk(root string, fn func(gosnmp.SnmpPDU) error) error
	// RemoteIP is the agent's address once connected ("" when unknown).
	RemoteIP() string
	Close() error
}

// dialer opens a Client to one agent.
type dialer func(ctx context.Context, t target, c *conf) (Client, error)

// gosnmpClient is the wire Client.
type gosnmpClient struct {
	g    *gosnmp.GoSNMP
	bulk bool // GETBULK walk (v2c, v3); v1 has only GETNEXT
}

// dialGosnmp builds a gosnmp session for t. For UDP, Connect only opens a
// socket; the first request finds out whether the agent answers.
func dialGosnmp(ctx context.Context, t target, c *conf) (Client, error) {
	g := &gosnmp.GoSNMP{
		Target:         t.Host,
		Port:           t.Port,
		Transport:      t.Transport,
		Version:        c.Version.gosnmp(),
		Community:      c.Community.Reveal(),
		Context:        ctx,
		Timeout:        c.Timeout,
		Retries:        c.Retries,
		MaxOids:        gosnmp.MaxOids,
		MaxRepetitions: c.MaxRepetitions,
		ContextName:    c.ContextName,
	}
	if c.Version == version3 {
		g.SecurityModel = gosnmp.UserSecurityModel
		usm := &gosnmp.UsmSecurityParameters{UserName: c.Username}
		switch c.level() {
		case noAuthNoPriv:
			g.MsgFlags = gosnmp.NoAuthNoPriv
		case authNoPriv:
			g.MsgFlags = gosnmp.AuthNoPriv
			usm.AuthenticationProtocol = c.AuthProtocol.gosnmp()
			usm.AuthenticationPassphrase = c.AuthPassword.Reveal()
		case authPriv:
			g.MsgFlags = gosnmp.AuthPriv
			usm.AuthenticationProtocol = c.AuthProtocol.gosnmp()
			usm.AuthenticationPassphrase = c.AuthPassword.Reveal()
			usm.PrivacyProtocol = c.PrivProtocol.gosnmp()
			usm.PrivacyPassphrase = c.PrivPassword.Reveal()
		}
		g.SecurityParameters = usm
	}
	if err := g.Connect(); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return &gosnmpClient{g: g, bulk: c.Version != version1}, nil
}

// recovered turns a panic inside gosnmp's decoder (bytes from the network)
// into an error: a broken agent must not stop the shipper.
func recovered(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("snmp library panic: %v", r)
	}
}

func (c *gosnmpClient) Get(oids []string) (pdus []gosnmp.SnmpPDU, err error) {
	defer recovered(&err)
	p, err := c.g.Get(oids)
	if err != nil {
		return nil, err
	}
	if p.Error != gosnmp.NoError {
		// v1 answers noSuchName for a missing OID instead of a varbind exception.
		return nil, fmt.Errorf("get: agent error %s", p.Error)
	}
	return p.Variables, nil
}

func (c *gosnmpClient) Walk(root string, fn func(gosnmp.SnmpPDU) error) (err error) {
	defer recovered(&err)
	if c.bulk {
		return c.g.BulkWalk(root, fn)
	}
	return c.g.Walk(root, fn)
}

func (c *gosnmpClient) RemoteIP() string {
	if c.g.Conn == nil {
		return ""
	}
	switch a := c.g.Conn.RemoteAddr().(type) {
	case *net.UDPAddr:
		return a.IP.String()
	case *net.TCPAddr:
		return a.IP.String()
	}
	return ""
}

func (c *gosnmpClient) Close() error {
	if c.g.Conn == nil {
		return nil
	}
	return c.g.Conn.Close()
}

// errorKind names a failure for the log throttle and the error message: the
// same kind on consecutive polls is logged once.
func errorKind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, gosnmp.ErrWrongDigest), notAuthentic(err):
		return "auth"
	case errors.Is(err, gosnmp.ErrUnknownUsername):
		return "unknown_user"
	case errors.Is(err, gosnmp.ErrDecryption):
		return "decrypt"
	case errors.Is(err, gosnmp.ErrUnknownSecurityLevel):
		return "security_level"
	case isTimeout(err):
		return "timeout"
	}
	var ne net.Error
	if errors.As(err, &ne) || strings.Contains(err.Error(), "connection refused") {
		return "network"
	}
	return "other"
}

// notAuthentic matches gosnmp's plain-text errors for a reply that fails the
// HMAC check: net-snmp answers a wrong auth key with a usmStatsWrongDigests
// report that our key cannot verify, so gosnmp says "not authentic".
func notAuthentic(err error) bool {
	s := err.Error()
	return strings.Contains(s, "not authentic") || strings.Contains(s, "is not authenticated")
}

func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// gosnmp wraps ErrMaxRetriesExceeded in "request timeout (after N retries)".
	return errors.Is(err, gosnmp.ErrMaxRetriesExceeded) || strings.Contains(err.Error(), "request timeout")
}

// explain adds what a failure usually means, so the log line tells the
// operator what to check. v1/v2c agents drop requests with a wrong
// community silently, so a wrong community looks exactly like a dead agent.
func explain(err error, c *conf) string {
	switch errorKind(err) {
	case "auth":
		return "authentication failed: wrong auth_password or auth_protocol for user " + c.Username
	case "unknown_user":
		return "the agent does not know SNMPv3 user " + c.Username
	case "decrypt":
		return "decryption failed: wrong priv_password or priv_protocol"
	case "security_level":
		return "the agent refuses security_level " + string(c.level()) + " for user " + c.Username
	case "timeout":
		if c.Version == version3 {
			return fmt.Sprintf("no answer within timeout %s × %d tries: agent down, unreachable or firewalled", c.Timeout, c.Retries+1)
		}
		return fmt.Sprintf("no answer within timeout %s × %d tries: agent down or unreachable, or wrong community (v1/v2c agents ignore requests with a wrong community)", c.Timeout, c.Retries+1)
	case "network":
		return "network error: agent unreachable"
	}
	return ""
}
