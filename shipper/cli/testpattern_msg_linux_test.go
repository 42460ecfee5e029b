package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// `-h` is a request for help, not a usage error: usage on stdout, exit 0.
func TestTestPatternHelpExitsZero(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := TestPattern([]string{"-h"}, strings.NewReader(""), &out, &errOut); code != ExitOK {
		t.Errorf("test-pattern -h = %d, want 0; stderr: %s", code, errOut.String())
	}
	if !strings.Contains(out.String()+errOut.String(), "Usage: shipper test-pattern") {
		t.Errorf("no usage printed: %q %q", out.String(), errOut.String())
	}
}

// /dev/null is a character device but not a terminal: output redirected
// there is not pretty-printed as for a terminal.
func TestTestPatternDevNullIsNotATerminal(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("isTerminal(/dev/null) = true")
	}
	m, s := openPTY(t)
	defer m.Close()
	defer s.Close()
	if !isTerminal(s) {
		t.Error("isTerminal(pty) = false")
	}
}

// Documents matched with --pattern carry the time they were read, not the
// zero time 0001-01-01T00:00:00Z.
func TestTestPatternDocumentsHaveATimestamp(t *testing.T) {
	var out, errOut bytes.Buffer
	before := time.Now().Add(-time.Second)
	code := TestPattern([]string{"--pattern", `%{WORD:w}`, "--format", "ndjson", "-"}, strings.NewReader("hello\n"), &out, &errOut)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	ts, err := time.Parse(time.RFC3339Nano, fmt.Sprint(doc["@timestamp"]))
	if err != nil || ts.Before(before) {
		t.Errorf("@timestamp = %v, want the time of reading", doc["@timestamp"])
	}
}

// Failure explanations stop after --max-failures (default 20) and the
// summary says how many more lines failed: 1.5 M bad lines must not print
// 1.5 M blocks.
func TestTestPatternFailureOutputIsBounded(t *testing.T) {
	var in strings.Builder
	for i := range 500 {
		fmt.Fprintf(&in, "bad line %d\n", i)
	}
	var out, errOut bytes.Buffer
	code := TestPattern([]string{"--pattern", `^%{INT:n}$`, "-"}, strings.NewReader(in.String()), &out, &errOut)
	if code != ExitRuntime {
		t.Fatalf("exit %d, want 1", code)
	}
	e := errOut.String()
	if n := strings.Count(e, "line 1") + strings.Count(e, "bad line"); n > 60 {
		t.Errorf("failure output not bounded: %d mentions of the bad lines", n)
	}
	if !strings.Contains(e, "480 more lines failed") {
		t.Errorf("summary does not say how many failures were not shown:\n%s", e)
	}
	errOut.Reset()
	TestPattern([]string{"--max-failures", "0", "--pattern", `^%{INT:n}$`, "-"}, strings.NewReader(in.String()), &out, &errOut)
	if !strings.Contains(errOut.String(), "bad line 499") {
		t.Error("--max-failures 0 does not show every failure")
	}
}

// Typed input shows each document as soon as its line is read, not at EOF.
func TestTestPatternShowsEachLineAsItIsRead(t *testing.T) {
	pr, pw := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- TestPattern([]string{"--pattern", `%{WORD:w}`, "--format", "ndjson", "-"}, pr, outW, io.Discard)
		outW.Close()
	}()
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 4096)
		n, _ := outR.Read(b)
		got <- string(b[:n])
		io.Copy(io.Discard, outR)
	}()
	io.WriteString(pw, "first\n") // and the input stays open
	if s := <-got; !strings.Contains(s, `"first"`) {
		t.Errorf("first output = %q, want the first document", s)
	}
	pw.Close()
	<-done
}

// On a terminal the progress bar's line is cleared before a failure is
// explained, so the two do not run into each other.
func TestTestPatternProgressBarDoesNotRunIntoFailures(t *testing.T) {
	path := t.TempDir() + "/big.log"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	good := strings.Repeat("12345 ", 100) + "\n"
	for range (9<<20)/len(good) + 1 {
		f.WriteString(good)
	}
	f.WriteString("not a number\n")
	f.Close()
	m, s := openPTY(t)
	defer m.Close()
	var tty bytes.Buffer
	read := make(chan struct{})
	go func() { io.Copy(&tty, m); close(read) }()
	code := TestPattern([]string{"--pattern", `^%{INT:n} `, "--format", "ndjson", path}, strings.NewReader(""), io.Discard, s)
	s.Close()
	<-read
	if code != ExitRuntime {
		t.Fatalf("exit %d, want 1", code)
	}
	out := tty.String()
	if !strings.Contains(out, "MiB") {
		t.Fatalf("no progress bar drawn on the terminal: %q", out)
	}
	i := strings.Index(out, "no pattern matched")
	if i < 0 {
		t.Fatalf("no failure explained: %q", out)
	}
	before := out[:i]
	lastBar, lastClear := strings.LastIndex(before, "MiB"), strings.LastIndex(before, "\r\x1b[K")
	if lastClear < lastBar {
		t.Errorf("failure text follows the progress bar on the same line: %q", before[max(0, lastBar-80):])
	}
}
