package squidgen

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

// TestSameLines pins the output: benchmark figures measured on earlier
// commits, and every peer of the side-by-side harness, read exactly these
// lines for seed 42. A change to the generator that alters them must be a
// decision, made by updating this test.
func TestSameLines(t *testing.T) {
	lines := Lines(10_000, 42)
	want := []string{
		"1572202844.025    752 10.170.22.143 TCP_MISS/200 16801 POST http://search.example.org/robots.txt - ORIGINAL_DST/83.111.231.225 image/png",
		"1572202844.060     72 192.168.128.91 TCP_MISS/200 49587 GET https://repo.example-linux.org/img/thumb/32610.jpg - FIRSTUP_PARENT/73.202.54.174 text/html",
		"1572202844.094     78 192.168.48.1 TCP_MISS/200 33215 GET http://img.news.example.co.uk/api/v2/search?q=term49938&page=2 carol@EXAMPLE.COM HIER_DIRECT/13.10.95.175 video/mp2t",
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("Lines(10000, 42)[%d] = %q, want %q", i, lines[i], w)
		}
	}
	// The first 10,000 lines as `go run ./scripts/bench/gen -n 10000` writes them.
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(lines, "\n")+"\n")))
	if want := "1099fb76410a5a47f9591a63f31502cb64ff4ffec8cccee1ba57e6b29a9301a3"; sum != want {
		t.Errorf("sha256 of Lines(10000, 42) = %s, want %s", sum, want)
	}
}

func TestStart(t *testing.T) {
	g := New(1, 1700000000)
	var prev string
	for i := range 1000 {
		line := string(g.Append(nil))
		if !strings.HasPrefix(line, "1700000") {
			t.Fatalf("line %d = %q, want a time from start 1700000000", i, line)
		}
		if ts := line[:14]; ts < prev {
			t.Fatalf("line %d time %s < previous %s, want non-decreasing", i, ts, prev)
		} else {
			prev = ts
		}
	}
}
