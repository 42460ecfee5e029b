package filestream

import (
	"fmt"
	"regexp"

	"gopkg.in/yaml.v3"
)

// regexList is a list of Go regular expressions (Beats' match.Matcher: the
// same syntax, matched anywhere in the text unless anchored). Each one is
// compiled when the configuration is read; one that does not compile is an
// error at its own line.
type regexList []*regexp.Regexp

// UnmarshalYAML compiles a list of regexes (or a single one).
func (r *regexList) UnmarshalYAML(n *yaml.Node) error {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out regexList
	var errs []string
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			errs = append(errs, fmt.Sprintf("line %d: want a regular expression (a string)", it.Line))
			continue
		}
		re, err := regexp.Compile(it.Value)
		if err != nil {
			errs = append(errs, fmt.Sprintf("line %d: invalid regular expression %q: %v", it.Line, it.Value, err))
			continue
		}
		out = append(out, re)
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	*r = out
	return nil
}

// mustRegexes compiles fixed expressions (defaults).
func mustRegexes(exprs ...string) regexList {
	out := make(regexList, len(exprs))
	for i, e := range exprs {
		out[i] = regexp.MustCompile(e)
	}
	return out
}

// matchString reports whether any expression matches s.
func (r regexList) matchString(s string) bool {
	for _, re := range r {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// match reports whether any expression matches b.
func (r regexList) match(b []byte) bool {
	for _, re := range r {
		if re.Match(b) {
			return true
		}
	}
	return false
}

// Equal compares the expressions' text (for go-cmp in the plugins' config
// tests: a compiled regexp has unexported fields).
func (r regexList) Equal(o regexList) bool {
	if len(r) != len(o) {
		return false
	}
	for i := range r {
		if r[i].String() != o[i].String() {
			return false
		}
	}
	return true
}
