package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/shipper-project/shipper/shipper/keystore"
)

// TestHelperShipperMain is not a test: it runs the command line when
// re-executed by a test with SHIPPER_TEST_MAIN set (args separated by
// newlines), so that a test can give it a real terminal.
func TestHelperShipperMain(t *testing.T) {
	args := os.Getenv("SHIPPER_TEST_MAIN")
	if args == "" {
		return
	}
	os.Exit(Main(append([]string{"shipper"}, strings.Split(args, "\n")...)))
}

// openPTY opens a pseudo-terminal pair with the standard library only.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	ioctl := func(req uintptr, arg unsafe.Pointer) error {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), req, uintptr(arg)); e != 0 {
			return e
		}
		return nil
	}
	var unlock int32
	if err := ioctl(syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	var n uint32
	if err := ioctl(syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the pty's slave: %v", err)
	}
	return m, s
}

// TestKeystoreAddDoesNotEchoOnATerminal types a secret into `shipper
// keystore add` on a real terminal and checks it never shows on the screen.
func TestKeystoreAddDoesNotEchoOnATerminal(t *testing.T) {
	const secret = "typed-s3cret-value"
	data := t.TempDir()
	master, slave := openPTY(t)
	defer master.Close()

	c := exec.Command(os.Args[0], "-test.run=^TestHelperShipperMain$")
	c.Env = append(os.Environ(), "SHIPPER_TEST_MAIN="+strings.Join([]string{"keystore", "add", "ES_PW", "--path.data", data}, "\n"),
		keystore.PasswordEnv+"=pw")
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()

	// Everything the terminal shows; the reader ends with EIO when the
	// child has exited and closed the slave.
	var mu sync.Mutex
	var screen bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	shown := func() string { mu.Lock(); defer mu.Unlock(); return screen.String() }

	// Type only once the prompt is shown, as a person would: the terminal
	// echoes what is typed when it is typed, if echo is still on.
	waitFor := func(what string) {
		t.Helper()
		last, lastChange := "", time.Now()
		for !strings.Contains(shown(), what) {
			select {
			case <-readDone:
				t.Fatalf("the command ended before showing %q; terminal:\n%s", what, shown())
			case <-time.After(20 * time.Millisecond):
			}
			if s := shown(); s != last {
				last, lastChange = s, time.Now()
			} else if time.Since(lastChange) > 60*time.Second {
				t.Fatalf("no %q on the terminal after 60 s without output; terminal:\n%s", what, s)
			}
		}
	}
	waitFor("Enter value for ES_PW")
	if _, err := master.Write([]byte(secret + "\n")); err != nil {
		t.Fatal(err)
	}
	err := c.Wait()
	<-readDone
	out := shown()
	if err != nil {
		t.Fatalf("keystore add: %v; terminal:\n%s", err, out)
	}
	if strings.Contains(out, secret) {
		t.Errorf("the typed secret is shown on the terminal:\n%s", out)
	}
	if !strings.Contains(out, "Added ES_PW") {
		t.Errorf("terminal:\n%s\nwant \"Added ES_PW\"", out)
	}
	s, err := keystore.Open(filepath.Join(data, keystore.FileName), "pw")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("ES_PW"); v != secret {
		t.Errorf("ES_PW = %q, want the typed value", v)
	}
	// The terminal's echo is back on for the next command.
	var tio syscall.Termios
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tio))); e != 0 {
		t.Fatal(errors.New(e.Error()))
	}
	if tio.Lflag&syscall.ECHO == 0 {
		t.Error("echo is still off after the command")
	}
}
