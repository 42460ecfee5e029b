package filestream

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// encoding is the character set of a file (Filebeat's `encoding`). Lines
// are split on '\n' before decoding, so only encodings where '\n' is the
// byte 0x0A are supported: plain and UTF-8 (bytes as they are; invalid
// sequences become U+FFFD in the JSON document) and the single-byte
// latin1 family.
type encoding string

// encodingAliases maps the accepted names (Filebeat's, lower-cased) to the
// decoder used.
var encodingAliases = map[string]encoding{
	"plain": "plain", "nop": "plain", "utf-8": "plain", "utf8": "plain", "unicode-1-1-utf-8": "plain",
	// Filebeat resolves these through the WHATWG index: windows-1252, a
	// superset of ISO-8859-1's printable characters.
	"latin1": "windows-1252", "iso8859-1": "windows-1252", "iso-8859-1": "windows-1252",
	"windows-1252": "windows-1252", "cp1252": "windows-1252", "l1": "windows-1252",
}

// UnmarshalYAML accepts a supported encoding name.
func (e *encoding) UnmarshalYAML(n *yaml.Node) error {
	name := strings.ToLower(strings.TrimSpace(n.Value))
	enc, ok := encodingAliases[name]
	if !ok {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: encoding %q is not supported (supported: plain, utf-8, latin1 / iso8859-1 / windows-1252; UTF-16 and multi-byte Asian encodings are not: convert the file to UTF-8)", n.Line, n.Value)}}
	}
	*e = enc
	return nil
}

// cp1252 holds the characters of windows-1252's bytes 0x80–0x9F (the rest
// of the range is ISO-8859-1: the byte is the code point). Undefined bytes
// map to U+FFFD, as the WHATWG decoder does.
var cp1252 = [32]rune{
	'€', '\ufffd', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\ufffd', 'Ž', '\ufffd',
	'\ufffd', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\ufffd', 'ž', 'Ÿ',
}

// decode returns line as UTF-8; buf is reused for the result.
func (e encoding) decode(line, buf []byte) []byte {
	if e != "windows-1252" {
		return line
	}
	ascii := true
	for _, c := range line {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return line
	}
	out := buf[:0]
	for _, c := range line {
		switch {
		case c < 0x80:
			out = append(out, c)
		case c < 0xA0:
			out = utf8.AppendRune(out, cp1252[c-0x80])
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return out
}
