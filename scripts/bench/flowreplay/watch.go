package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// watcher counts the lines appended to the files of a directory (the
// collector's output.file; it must not rotate during a run) and samples a
// process's CPU time as they grow.
type watcher struct {
	dir string
	pid int

	offsets map[string]int64
	lines   int64
	buf     []byte
	cpu0    time.Duration
}

// clockTick is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux the shipper targets.
const clockTick = 100

func (w *watcher) start() error {
	w.offsets = map[string]int64{}
	w.buf = make([]byte, 1<<20)
	if w.pid != 0 {
		cpu, err := procCPU(w.pid)
		if err != nil {
			return err
		}
		w.cpu0 = cpu
	}
	// Lines already there (a previous run's) are not counted.
	_, err := w.poll()
	w.lines = 0
	return err
}

// poll reads what was appended since the last call and returns the line
// count so far.
func (w *watcher) poll() (int64, error) {
	ents, err := os.ReadDir(w.dir)
	if err != nil && !os.IsNotExist(err) {
		return 0, err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(w.dir, e.Name())
		f, err := os.Open(p)
		if err != nil {
			continue // rotated away between ReadDir and Open
		}
		off := w.offsets[p]
		for {
			n, err := f.ReadAt(w.buf, off)
			w.lines += int64(bytes.Count(w.buf[:n], []byte{'\n'}))
			off += int64(n)
			if err == io.EOF || n == 0 {
				break
			}
			if err != nil {
				f.Close()
				return 0, err
			}
		}
		w.offsets[p] = off
		f.Close()
	}
	return w.lines, nil
}

// wait polls until want lines are there or none came for settle. It
// returns the lines, when they last grew, and the process's CPU and peak
// RSS at that moment.
func (w *watcher) wait(want int64, settle time.Duration) (got int64, last time.Time, cpu time.Duration, rssKB int64, err error) {
	last = time.Now()
	sample := func() error {
		if w.pid == 0 {
			return nil
		}
		c, err := procCPU(w.pid)
		if err != nil {
			return err
		}
		cpu = c - w.cpu0
		rssKB, err = procHWM(w.pid)
		return err
	}
	if err := sample(); err != nil {
		return 0, last, 0, 0, err
	}
	for {
		n, err := w.poll()
		if err != nil {
			return got, last, cpu, rssKB, err
		}
		now := time.Now()
		if n != got {
			got, last = n, now
			if err := sample(); err != nil {
				return got, last, cpu, rssKB, err
			}
		}
		if got >= want || now.Sub(last) > settle {
			return got, last, cpu, rssKB, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// procCPU is utime+stime of every thread of pid.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count from the
	// last ')'. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return time.Duration(u+s) * time.Second / clockTick, nil
}

// procHWM is the peak resident set size of pid, in KiB.
func procHWM(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
}

// rcvbufErrors is the kernel's count of UDP datagrams dropped for a full
// socket buffer (all sockets), or -1 when it cannot be read.
func rcvbufErrors() int64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return -1
	}
	var head []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if head == nil {
			head = f
			continue
		}
		for i := range head {
			if head[i] == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.ParseInt(f[i], 10, 64)
				return v
			}
		}
	}
	return -1
}

// waitBound waits until a UDP socket is bound to port (/proc/net/udp,
// /proc/net/udp6): the collector is up. With pid ≠ 0 it gives up as soon as
// that process is gone (the collector failed to start).
func waitBound(port, pid int, limit time.Duration) error {
	hex := fmt.Sprintf(":%04X ", port)
	deadline := time.Now().Add(limit)
	for {
		for _, p := range []string{"/proc/net/udp", "/proc/net/udp6"} {
			b, _ := os.ReadFile(p)
			for _, l := range strings.Split(string(b), "\n") {
				f := strings.Fields(l)
				if len(f) > 2 && strings.HasSuffix(f[1]+" ", hex) {
					return nil
				}
			}
		}
		if pid != 0 {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
				return fmt.Errorf("process %d exited before binding port %d", pid, port)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no UDP socket bound to port %d after %s", port, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
