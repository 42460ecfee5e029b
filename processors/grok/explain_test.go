package grok

import (
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	g, err := Compile(Config{Patterns: []string{"%{SQUID_NATIVE}"}, BreakOnMatch: true})
	if err != nil {
		t.Fatal(err)
	}
	line := "1795594311.500      0 192.168.1.21 TCP-DENIED/403 3900 GET http://blocked.example/ - HIER_NONE/- text/html"
	ex := g.Patterns()[0].Explain(line)
	// WORD takes "TCP" (\b before "-"), then "/" is missing.
	if ex.Element != "/" || ex.Column != strings.Index(line, "-DENIED")+1 {
		t.Errorf("Explain(%q) = %+v, want / at column %d", line, ex, strings.Index(line, "-DENIED")+1)
	}
	line = "1795594311.500      0 999.1.1.1 TCP_DENIED/403 3900 GET http://blocked.example/ - HIER_NONE/- text/html"
	ex = g.Patterns()[0].Explain(line)
	if ex.Element != "(?:-|%{IP:source.ip})" || ex.Column != strings.Index(line, "999")+1 {
		t.Errorf("Explain(%q) = %+v, want the source.ip element at column %d", line, ex, strings.Index(line, "999")+1)
	}
	if got := topElements(`^a\s+(?:x|y)[a-z]{2,3}%{INT:n}$`); strings.Join(got, " ") != `^ a \s+ (?:x|y) [a-z]{2,3} %{INT:n} $` {
		t.Errorf("topElements = %q", got)
	}
	if topElements("a|b") != nil {
		t.Error("topElements(a|b) != nil")
	}
}
