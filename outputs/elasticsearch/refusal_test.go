package elasticsearch

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSnippet(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := snippet([]byte(in)); got != want {
			t.Errorf("snippet(%.60q) = %q, want %q", in, got, want)
		}
	}
	f(`{"error":{"type":"x"},"status":400}`, `{"error":{"type":"x"},"status":400}`)
	f("unsupported path requested: \"/x/_bulk\"\n", `unsupported path requested: "/x/_bulk"`)
	page := "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	f(page, "400 Bad Request 400 Bad Request nginx (HTML page, 150 bytes)")
	f("<!DOCTYPE html><html><head><style>body{color:red}</style><script>var a='<b>';</script><!-- <p>x</p> --></head><body><p>Request blocked.</p><p>Ray ID: 42</p></body></html>",
		"Request blocked. Ray ID: 42 (HTML page, 170 bytes)")
	f("<html><body>unterminated <b", "unterminated (HTML page, 27 bytes)")
	long := strings.Repeat("é", 400) // 800 bytes: cut inside a character
	got := snippet([]byte(long))
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…(800 bytes)") || len(got) > 512+len("…(800 bytes)") {
		t.Errorf("snippet of 800 bytes = %q: want valid UTF-8, at most 512 bytes and the size", got)
	}
}
