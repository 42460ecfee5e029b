// Package grok is shipper's grok: the pattern language and stock patterns of
// github.com/vjeantet/grok, compiled once per configured pattern into a Go
// regexp in which only the named captures (%{SYNTAX:field}) capture and every
// other group is non-capturing. That keeps Go's regexp engine off its slow
// many-submatch path: see README.md for the figures.
//
// It is also the `grok` processor (processor.go).
package grok

//go:generate go run ./internal/genstock
