//go:build linux

package pipeline

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/shipper-project/shipper/shipper/monitoring"
)

// TestDeadLetterRotationRecoversFromAFailedOpen: the rotation renames the
// file to .1, then opens a new one. When that open fails (here the process
// is out of file descriptors, as a busy router can be), the next write
// must open the file and go on. It did not: it tried to rotate again,
// counted .1's entries as dropped although they were not (again on every
// try), failed to rename a file that no longer existed, and failed so for
// ever, so that every dead-lettered event was retried without end.
func TestDeadLetterRotationRecoversFromAFailedOpen(t *testing.T) {
	dir := t.TempDir()
	m := monitoring.NewRegistry()
	d, err := OpenDeadLetter(dir, 600, m)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.Close() }()
	for _, id := range []string{"a", "b"} {
		if err := d.Write(dlEvent(id), 400, "mapper_parsing_exception"); err != nil {
			t.Fatal(err)
		}
	}

	d.maxBytes = d.size + 10 // the next entry rotates the file

	// Out of descriptors: the limit below the file's own descriptor, and
	// every descriptor under it in use.
	f := d.f.(*os.File)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = uint64(f.Fd())
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	var fill []int
	for {
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY, 0)
		if err != nil {
			break
		}
		fill = append(fill, fd)
	}
	werr := d.Write(dlEvent("c"), 400, "mapper_parsing_exception") // rotates: the open fails
	for _, fd := range fill {
		syscall.Close(fd)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if werr == nil {
		t.Fatal("Write succeeded without a descriptor for the new file")
	}

	// Descriptors are back: the retried event and the next are written.
	for _, id := range []string{"c", "d"} {
		if err := d.Write(dlEvent(id), 400, "mapper_parsing_exception"); err != nil {
			t.Fatalf("Write %s once descriptors are back: %v", id, err)
		}
	}
	cur, bad := dlLines(t, filepath.Join(dir, DeadLetterName))
	old, bad1 := dlLines(t, filepath.Join(dir, DeadLetterName+".1"))
	if got := append(old, cur...); !slices.Equal(got, []string{"a", "b", "c", "d"}) || bad+bad1 > 0 {
		t.Errorf("entries: .1 %v, current %v (%d bad lines), want a b c d", old, cur, bad+bad1)
	}
	if n := m.Counter("dead_letter.dropped").Load(); n != 0 {
		t.Errorf("dead_letter.dropped = %d, want 0: nothing was dropped", n)
	}
}
