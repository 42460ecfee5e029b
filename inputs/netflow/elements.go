// Package netflow is the `netflow` input: NetFlow v5, v9 and IPFIX export
// datagrams over UDP, decoded with goflow2 into Filebeat-shaped ECS documents.
package netflow

import (
	"strings"
	"sync"
	"unicode"

	gfnetflow "github.com/netsampler/goflow2/v2/decoders/netflow"
)

// kind is how an information element's bytes are turned into a value: the
// IANA abstract data types this input distinguishes.
type kind uint8

const (
	kindUnsigned  kind = iota // unsigned8..64 (also signed and booleans, as numbers)
	kindIPv4                  // ipv4Address
	kindIPv6                  // ipv6Address
	kindMAC                   // macAddress
	kindString                // string
	kindDateSec               // dateTimeSeconds
	kindDateMilli             // dateTimeMilliseconds
	kindDateMicro             // dateTimeMicroseconds (NTP format)
	kindDateNano              // dateTimeNanoseconds (NTP format)
	kindOctets                // octetArray, written as lower-case hex
)

// element is one information element: its IANA name, the snake_case name it
// has under netflow.* (Filebeat's conversion), and its kind.
type element struct {
	name  string
	snake string
	kind  kind
	key   string // "netflow." + snake, built once (a concatenation per value costs an allocation)
}

// Element IDs of the IANA registry whose abstract type is not an unsigned
// number (the registry's default). Names come from goflow2's table.
var (
	ipv4Elements = []uint16{8, 12, 15, 18, 44, 45, 47, 130, 211, 225, 226, 366, 403}
	ipv6Elements = []uint16{27, 28, 62, 63, 131, 169, 170, 212, 281, 282, 404}
	macElements  = []uint16{56, 57, 80, 81, 365, 367, 414, 415}
	dateSec      = []uint16{150, 151, 322}
	dateMilli    = []uint16{152, 153, 160, 258, 323}
	dateMicro    = []uint16{154, 155, 324}
	dateNano     = []uint16{156, 157, 325}
	strElements  = []uint16{82, 83, 84, 94, 96, 100, 147, 236, 335, 341, 371, 450, 451, 452, 454, 455, 456, 459, 460, 461, 462}
	octetElems   = []uint16{95, 313, 314, 315, 336, 337, 443, 444, 464, 465}
)

// maxIANA is one past the highest element ID goflow2's table names.
const maxIANA = 468

var (
	ianaOnce sync.Once
	iana     [maxIANA]element
)

// ianaElement returns the IANA element id (enterprise 0) and whether it is
// known.
func ianaElement(id uint16) (element, bool) {
	ianaOnce.Do(buildIANA)
	if int(id) >= maxIANA || iana[id].name == "" {
		return element{}, false
	}
	return iana[id], true
}

func buildIANA() {
	for id := uint16(1); id < maxIANA; id++ {
		n := gfnetflow.IPFIXTypeToString(id)
		if n == "" || strings.ContainsAny(n, " ") || n == "Reserved" {
			continue
		}
		iana[id] = element{name: n, snake: snakeCase(n), key: "netflow." + snakeCase(n)}
	}
	set := func(ids []uint16, k kind) {
		for _, id := range ids {
			iana[id].kind = k
		}
	}
	set(ipv4Elements, kindIPv4)
	set(ipv6Elements, kindIPv6)
	set(macElements, kindMAC)
	set(dateSec, kindDateSec)
	set(dateMilli, kindDateMilli)
	set(dateMicro, kindDateMicro)
	set(dateNano, kindDateNano)
	set(strElements, kindString)
	set(octetElems, kindOctets)
}

// snakeCase converts an IANA camelCase name to Filebeat's netflow.* name:
// a word starts at an upper-case letter; in a run of capitals the last one
// starts the next word when a lower-case letter follows it (postNATSource →
// post_nat_source), and a run of two stays together (IPv4 → ipv4).
func snakeCase(in string) string {
	if in == "VRFname" { // the one IANA name that breaks the rule (VRFName)
		return "vrf_name"
	}
	if strings.ContainsRune(in, '_') {
		return strings.ToLower(in)
	}
	rs := []rune(in)
	var b strings.Builder
	run := 1 // capitals seen in a row; 1 at the start so no leading '_'
	for _, r := range rs {
		lower := unicode.ToLower(r)
		if lower != r {
			if run == 0 {
				b.WriteByte('_')
			}
			run++
			b.WriteRune(lower)
			continue
		}
		if run > 2 {
			// The last capital written belongs to this word: move the
			// separator in front of it.
			s := []rune(b.String())
			last := s[len(s)-1]
			s = append(s[:len(s)-1], '_', last)
			b.Reset()
			b.WriteString(string(s))
		}
		run = 0
		b.WriteRune(lower)
	}
	return b.String()
}
