// Package patterns holds shipper's bundled grok pattern files, in Logstash's
// pattern-file format ("NAME regexp" per line, "#" comments). They are
// embedded in the binary; processors/grok reads them with its own reader so
// that errors name the file and line ("patterns/squid:12").
package patterns

import "embed"

// FS holds the pattern files, each at its own name ("squid", "snort", …).
//
//go:embed squid snort syslog
var FS embed.FS
