package cli

import (
	"os"
	"os/signal"
	"syscall"
	"unsafe"
)

// noEcho turns the terminal's echo off while a secret is typed (the
// standard library's syscall package: no golang.org/x/term dependency for
// two ioctls). ok is false when f is not a terminal. restore puts the
// settings back; an interrupt (Ctrl-C) while echo is off restores them
// before the process ends, so the shell is not left silent.
func noEcho(f *os.File) (restore func(), ok bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, false
	}
	ioctl := func(req uintptr, t *syscall.Termios) (errno syscall.Errno) {
		err := rc.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(t)))
		})
		if err != nil && errno == 0 {
			errno = syscall.EBADF
		}
		return errno
	}
	var old syscall.Termios
	if ioctl(syscall.TCGETS, &old) != 0 {
		return nil, false // not a terminal
	}
	t := old
	t.Lflag &^= syscall.ECHO | syscall.ECHOE | syscall.ECHOK | syscall.ECHONL
	if ioctl(syscall.TCSETS, &t) != 0 {
		return nil, false
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-sigs:
			ioctl(syscall.TCSETS, &old)
			os.Stderr.WriteString("\n")
			os.Exit(130)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
		<-exited
		ioctl(syscall.TCSETS, &old)
	}, true
}
