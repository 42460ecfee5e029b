//go:build integration

package monitoring

import (
	"context"
	"image"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium finds Debian's chromium.
func chromium(t *testing.T) string {
	t.Helper()
	for _, c := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: apt-get install -y chromium")
	return ""
}

func headless(t *testing.T, bin, url string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--user-data-dir=" + t.TempDir(), "--window-size=1200,900"}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, extra, err, stderr.String())
	}
	return out
}

// TestStatusPageInChromium renders the status page of a run-like registry
// in headless Chromium: the screenshot is produced and not blank, and the
// DOM Chromium built holds the inputs, the output health and the errors.
func TestStatusPageInChromium(t *testing.T) {
	bin := chromium(t)
	m, st := fixture()
	st.Start = time.Now().Add(-90 * time.Minute)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, m, func() Status { return st }, nil) }()
	defer func() { cancel(); <-done }()
	url := "http://" + ln.Addr().String() + "/"

	dom := string(headless(t, bin, url, "--dump-dom"))
	for _, want := range []string{"shipper · router1", "squid-access", "snmp.core", "Output: elasticsearch", "failing", "bulk request failed", "GeoIP city database age", "24h0m0s", "up 1h30m"} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM has no %q:\n%s", want, dom)
		}
	}

	shot := filepath.Join(t.TempDir(), "status.png")
	if keep := os.Getenv("SHIPPER_SCREENSHOT"); keep != "" {
		shot = keep // to look at it: SHIPPER_SCREENSHOT=/tmp/status.png
	}
	headless(t, bin, url, "--screenshot="+shot, "--hide-scrollbars")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 900 {
		t.Errorf("screenshot is %dx%d, want 1200x900", b.Dx(), b.Dy())
	}
	colors, dark := palette(img)
	// A blank page is one colour; the header is dark, the cards white, the
	// badges coloured, the text black.
	if colors < 50 {
		t.Errorf("screenshot has %d distinct colours: blank?", colors)
	}
	if dark < 0.02 {
		t.Errorf("screenshot has %.1f%% dark pixels: no header or text rendered?", dark*100)
	}
}

// palette counts distinct colours and the share of dark pixels.
func palette(img image.Image) (int, float64) {
	seen := map[uint32]bool{}
	b := img.Bounds()
	dark, total := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[r>>8<<16|g>>8<<8|bl>>8] = true
			if (r+g+bl)/3 < 0x4000 {
				dark++
			}
			total++
		}
	}
	return len(seen), float64(dark) / float64(total)
}
