//go:build unix

package keystore

import (
	"os"
	"syscall"
)

// chownToDir gives f to the owner and group of dir when we run as root and
// dir belongs to someone else: the service user's path.data.
func chownToDir(f *os.File, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}

// Owner returns the numeric owner and group of the file at path.
func Owner(path string) (uid, gid int, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return os.Geteuid(), os.Getegid(), nil
	}
	return int(st.Uid), int(st.Gid), nil
}
