package config

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
)

// secretKey finds keys that hold a literal credential in a config file (a
// ${VAR} reference is not one).
var secretKey = regexp.MustCompile(`(?m)(?:^|[\s{,])(password|api_key|community|auth_password|priv_password|key_passphrase)\s*:\s*["']?[^$\s"'{}\[\],]`)

// CheckPerms refuses a config file that anyone but its owner may write, or,
// when it holds a secret, that others may read (Beats' --strict.perms).
func CheckPerms(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	mode := fi.Mode().Perm()
	if mode&0o022 != 0 {
		return &Error{File: path, Msg: fmt.Sprintf("config file is writable by group or others (mode %#o); run chmod go-w %s (or --strict.perms=false)", mode, path)}
	}
	if mode&0o004 != 0 {
		b, err := os.ReadFile(path)
		if err == nil && secretKey.Match(bytes.ToLower(b)) {
			return &Error{File: path, Msg: fmt.Sprintf("config file holds credentials and is readable by others (mode %#o); run chmod 600 %s (or --strict.perms=false)", mode, path)}
		}
	}
	return nil
}
