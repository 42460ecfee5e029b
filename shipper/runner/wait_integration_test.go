//go:build integration

package runner

import (
	"fmt"
	"testing"
	"time"
)

// stallWindow is how long a wait may see no progress before it fails. The
// suite runs on 2 cores shared with other work: a fixed wall-clock budget
// turns load into false "lost lines", so waits fail only when nothing
// advanced for this long (issue 18, "tests never depend on timing luck").
const stallWindow = 60 * time.Second

// pollEvery is how often a wait looks at its condition.
const pollEvery = 50 * time.Millisecond

// waitProgress polls until poll reports done. It fails the test when the
// progress value poll returns stayed the same for stallWindow; status
// describes the state in the failure message (e.g. "57012 of 60000 lines
// delivered, first missing: …").
func waitProgress(t testing.TB, what string, poll func() (done bool, progress int64), status func() string) {
	t.Helper()
	last := int64(-1 << 63)
	lastChange := time.Now()
	for {
		done, p := poll()
		if done {
			return
		}
		if p != last {
			last, lastChange = p, time.Now()
		} else if time.Since(lastChange) > stallWindow {
			t.Fatalf("%s: no progress for %s: %s", what, stallWindow, status())
		}
		time.Sleep(pollEvery)
	}
}

// waitCond waits for a condition that has no progress measure of its own
// (a log line, a process state): it fails after stallWindow.
func waitCond(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitProgress(t, what, func() (bool, int64) { return cond(), 0 }, func() string { return "condition still false" })
}

// waitCount waits until count() reaches want, failing only when the count
// stopped moving for stallWindow.
func waitCount(t testing.TB, what string, want int64, count func() int64) {
	t.Helper()
	var n int64
	waitProgress(t, what, func() (bool, int64) {
		n = count()
		return n >= want, n
	}, func() string { return fmt.Sprintf("%d of %d", n, want) })
}
