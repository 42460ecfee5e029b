package geoip

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// This file keeps the verified stamps (issue 17): the SHA-256 of every
// database file whose structure check (checkMMDB) passed, in
// <path.data>/geoip.verified. The check costs ~0.3 CPU-s on a 65 MB City
// database (seconds on a router), at every start; hashing the file costs
// ~35 ms. A file whose SHA-256 is in the stamp file was checked before,
// byte for byte: it is not checked again. A different file cannot pass as
// the verified one (a collision of SHA-256), so a crafted or corrupt file is
// never decoded unchecked, whatever its name, size or mtime.
//
// The stamp file never makes the processor fail: when it is missing,
// unreadable, corrupt, from another check version, or writable by someone
// else than its owner, every file is checked in full; when it cannot be
// written, the check runs again at the next start (logged once per open).

// checkVersion names what checkMMDB accepts. Bump it whenever the check
// refuses something it used to accept: the stamps of the older check are
// then ignored, and every database checked again.
const checkVersion = "check-v1"

// stampFile is the name of the stamp file under path.data.
const stampFile = "geoip.verified"

// maxStamps is how many verified files the stamp file remembers, newest
// first: a City and an ASN database, their updates, and a few other
// configurations' files.
const maxStamps = 16

// maxStampBytes bounds what is read of a stamp file: a bigger one is not
// ours, and is ignored.
const maxStampBytes = 64 << 10

// stamps is the stamp file of one path.data; nil (no path.data): no stamps,
// every file checked in full.
type stamps struct {
	path string // <path.data>/geoip.verified
	log  *slog.Logger
}

// newStamps returns the stamps kept under dataPath, nil when dataPath is
// empty.
func newStamps(dataPath string, log *slog.Logger) *stamps {
	if dataPath == "" {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &stamps{path: filepath.Join(dataPath, stampFile), log: log}
}

// stamp is one line of the stamp file.
type stamp struct {
	sum  [sha256.Size]byte
	size int64
	path string // for a reader of the file; not compared
}

// read returns the stamps of the current check version; a missing or
// suspicious file, or a bad line, gives none (the check runs).
func (s *stamps) read() []stamp {
	if s == nil {
		return nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 {
		return nil // written by someone else than its owner: not trusted
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return nil
	}
	var out []stamp
	sc := bufio.NewScanner(io.LimitReader(f, maxStampBytes))
	for sc.Scan() {
		if st, ok := parseStamp(sc.Text()); ok {
			out = append(out, st)
		}
	}
	return out
}

// parseStamp reads one line: "<version> <sha256 hex> <size> <quoted path>".
func parseStamp(line string) (stamp, bool) {
	var st stamp
	f := strings.SplitN(line, " ", 4)
	if len(f) != 4 || f[0] != checkVersion || len(f[1]) != 2*sha256.Size {
		return st, false
	}
	if n, err := hex.Decode(st.sum[:], []byte(f[1])); err != nil || n != sha256.Size {
		return st, false
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || size <= 0 {
		return st, false
	}
	st.size = size
	st.path, _ = strconv.Unquote(f[3])
	return st, true
}

func (st stamp) String() string {
	return checkVersion + " " + hex.EncodeToString(st.sum[:]) + " " + strconv.FormatInt(st.size, 10) + " " + strconv.Quote(st.path)
}

// verified tells whether a file of size bytes whose SHA-256 is sum passed
// the check before.
func (s *stamps) verified(sum [sha256.Size]byte, size int64) bool {
	for _, st := range s.read() {
		if st.sum == sum && st.size == size {
			return true
		}
	}
	return false
}

// record adds the file at path, which passed the check, to the stamp file:
// a new file renamed over the old one, so that a reader sees one or the
// other whole. Two processes recording at once may lose one's line: that
// file is checked again at the next start. A failure is logged, not
// returned: the stamp only saves time.
func (s *stamps) record(sum [sha256.Size]byte, size int64, path string) {
	if s == nil {
		return
	}
	lines := []stamp{{sum: sum, size: size, path: path}}
	for _, st := range s.read() {
		if len(lines) < maxStamps && !(st.sum == sum && st.size == size) {
			lines = append(lines, st)
		}
	}
	var b bytes.Buffer
	b.WriteString("# shipper geoip: SHA-256 of the database files whose structure check passed (processors/geoip/README.md); safe to delete\n")
	for _, st := range lines {
		b.WriteString(st.String())
		b.WriteByte('\n')
	}
	if err := writeFileAtomic(s.path, b.Bytes()); err != nil {
		level := slog.LevelWarn
		if errors.Is(err, fs.ErrNotExist) {
			// path.data not made yet: a global processor is built
			// before it on the first start. Nothing is wrong.
			level = slog.LevelDebug
		}
		s.log.Log(context.Background(), level, "geoip: cannot record the verified database; it will be checked again at the next start",
			"path", path, "stamp_file", s.path, "error", err)
	}
}

// writeFileAtomic writes data to a new file (mode 0600) in path's
// directory and renames it over path. No fsync: a stamp lost in a power
// cut only costs a check.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// hashMapped is the SHA-256 of buf, a file mapping; release, as in
// checkMapped, is called with the ranges read, about every `every` bytes.
func hashMapped(buf []byte, every int, release func(lo, hi int)) [sha256.Size]byte {
	h := sha256.New()
	for lo := 0; lo < len(buf); lo += every {
		hi := min(lo+every, len(buf))
		h.Write(buf[lo:hi])
		if release != nil {
			release(lo, hi)
		}
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}
