package snmp

import (
	"strings"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"
)

// Varbind → Go value conversion. An agent may send any type in any column
// (a broken firmware, a proxy, a hostile device); each function checks both
// the ASN.1 type and the Go type gosnmp decoded it to, and reports one of
// three outcomes. This is the input's "parser" and is fuzzed
// (value_fuzz_test.go).

// status is the outcome of converting one varbind.
type status uint8

const (
	valOK      status = iota
	valAbsent         // noSuchObject, noSuchInstance, endOfMibView, NULL: the agent has no value
	valGarbage        // a type that cannot be what the column means: skipped and counted
)

func isException(t gosnmp.Asn1BER) bool {
	switch t {
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView, gosnmp.Null:
		return true
	}
	return false
}

// counterVal is one counter reading and its width (32 or 64; 0 = none).
type counterVal struct {
	v    uint64
	bits uint8
}

// asUint returns the unsigned value gosnmp decoded, whatever Go type it used.
func asUint(v any) (uint64, bool) {
	switch n := v.(type) {
	case uint:
		return uint64(n), true
	case uint64:
		return n, true
	case uint32:
		return uint64(n), true
	case int:
		if n >= 0 {
			return uint64(n), true
		}
	case int64:
		if n >= 0 {
			return uint64(n), true
		}
	}
	return 0, false
}

// toCounter converts a Counter32 or Counter64 varbind. Its width comes from
// the ASN.1 type, not the column: an agent that puts a Counter32 into an HC
// column gets 32-bit wrap handling for it. Anything else is garbage: a
// Gauge32 or an INTEGER has no wrap semantics we could trust.
func toCounter(p gosnmp.SnmpPDU) (counterVal, status) {
	if isException(p.Type) {
		return counterVal{}, valAbsent
	}
	n, ok := asUint(p.Value)
	if !ok {
		return counterVal{}, valGarbage
	}
	switch p.Type {
	case gosnmp.Counter32:
		if n > 1<<32-1 {
			return counterVal{}, valGarbage
		}
		return counterVal{v: n, bits: 32}, valOK
	case gosnmp.Counter64:
		return counterVal{v: n, bits: 64}, valOK
	}
	return counterVal{}, valGarbage
}

// toUint32 converts a Gauge32, Unsigned32 or TimeTicks varbind (ifSpeed,
// ifHighSpeed, sysUpTime, ifLastChange…). want lists the accepted types.
func toUint32(p gosnmp.SnmpPDU, want ...gosnmp.Asn1BER) (uint32, status) {
	if isException(p.Type) {
		return 0, valAbsent
	}
	for _, w := range want {
		if p.Type == w {
			n, ok := asUint(p.Value)
			if !ok || n > 1<<32-1 {
				return 0, valGarbage
			}
			return uint32(n), valOK
		}
	}
	return 0, valGarbage
}

// toInt converts an INTEGER varbind (ifType, ifMtu, ifAdminStatus…).
func toInt(p gosnmp.SnmpPDU) (int64, status) {
	if isException(p.Type) {
		return 0, valAbsent
	}
	if p.Type != gosnmp.Integer {
		return 0, valGarbage
	}
	switch n := p.Value.(type) {
	case int:
		return int64(n), valOK
	case int64:
		return n, valOK
	case int32:
		return int64(n), valOK
	}
	return 0, valGarbage
}

// maxString bounds a display string; ifAlias is at most 64 octets and
// ifDescr 255 by the MIB, anything longer is cut.
const maxString = 255

// toString converts an OCTET STRING varbind to valid UTF-8 (invalid bytes
// become U+FFFD; a trailing NUL, common in ifDescr, is dropped).
func toString(p gosnmp.SnmpPDU) (string, status) {
	if isException(p.Type) {
		return "", valAbsent
	}
	if p.Type != gosnmp.OctetString {
		return "", valGarbage
	}
	var b []byte
	switch s := p.Value.(type) {
	case []byte:
		b = s
	case string:
		b = []byte(s)
	default:
		return "", valGarbage
	}
	if len(b) > maxString {
		b = b[:maxString]
	}
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	if utf8.Valid(b) {
		return string(b), valOK
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), valOK
}

// toMAC formats ifPhysAddress as lower-case colon-separated hex ("" for an
// empty address, e.g. loopback).
func toMAC(p gosnmp.SnmpPDU) (string, status) {
	if isException(p.Type) {
		return "", valAbsent
	}
	if p.Type != gosnmp.OctetString {
		return "", valGarbage
	}
	b, ok := p.Value.([]byte)
	if !ok || len(b) > 20 { // 20 octets: InfiniBand, the longest link address in use
		return "", valGarbage
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(b)*3)
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out), valOK
}
