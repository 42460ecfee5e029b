package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/keystore"
)

const keystoreUsage = `Usage:
  shipper keystore create [--force]          create an empty keystore under path.data
  shipper keystore add KEY [--stdin] [--force]  add a secret (read from stdin)
  shipper keystore list                      list the keys (never the values)
  shipper keystore remove KEY...             remove keys

The keystore is path.data/shipper.keystore (mode 0600). ${KEY} in the
configuration resolves from it first, then from $CREDENTIALS_DIRECTORY/KEY
(systemd credentials), then from the environment.

It is encrypted only with a password: SHIPPER_KEYSTORE_PASSWORD, or under
systemd the credential keystore_password (LoadCredential=). Without one it
is merely obfuscated: whoever can read the file can read the secrets.
Run as root on the service's path.data, the file is given to the owner of
that directory (the service user). Typed values are not echoed.
Flags: -c FILE and --path.data DIR locate path.data.
`

// obfuscationWarning is printed by create when there is no password.
const obfuscationWarning = `warning: no keystore password (` + keystore.PasswordEnv + ` or the systemd
credential ` + keystore.PasswordCredential + `): the keystore is obfuscated, not encrypted;
anyone who can read the file can read the secrets, and its 0600 mode is the only
protection. See "Secrets" in the README.
`

// Keystore is `shipper keystore create|add|list|remove`, as in Beats.
func Keystore(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, keystoreUsage)
		return ExitUsage
	}
	sub := args[0]
	fs, c := newFlags("keystore "+sub, stderr)
	force := fs.Bool("force", false, "overwrite an existing keystore or key")
	fromStdin := fs.Bool("stdin", false, "read the value from stdin (all of it, without the final newline)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return ExitUsage
	}
	path, err := c.keystorePath()
	if err != nil {
		printErr(stderr, "", err)
		return ExitUsage
	}
	password, _, err := keystore.Password(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "shipper keystore %s: %v\n", sub, err)
		return ExitRuntime
	}
	created := func() {
		fmt.Fprintf(stdout, "Created shipper keystore at %s\n", path)
		if password == "" {
			fmt.Fprint(stderr, obfuscationWarning)
		}
	}
	switch sub {
	case "create":
		if len(pos) != 0 {
			fmt.Fprint(stderr, keystoreUsage)
			return ExitUsage
		}
		if _, err := keystore.Create(path, password, *force); err != nil {
			fmt.Fprintf(stderr, "shipper keystore create: %v\n", err)
			return ExitRuntime
		}
		created()
		tellOwner(stdout, path)
		return ExitOK
	case "add":
		if len(pos) != 1 {
			fmt.Fprint(stderr, keystoreUsage)
			return ExitUsage
		}
		key := pos[0]
		s, err := keystore.OpenIfExists(path, password)
		if err != nil {
			fmt.Fprintf(stderr, "shipper keystore add: %v\n", err)
			return ExitRuntime
		}
		if s == nil {
			if s, err = keystore.Create(path, password, false); err != nil {
				fmt.Fprintf(stderr, "shipper keystore add: %v\n", err)
				return ExitRuntime
			}
			created()
		}
		if s.Has(key) && !*force {
			fmt.Fprintf(stderr, "shipper keystore add: %s already exists (use --force to replace it)\n", key)
			return ExitRuntime
		}
		value, err := readSecret(stdin, stdout, key, *fromStdin)
		if err != nil {
			fmt.Fprintf(stderr, "shipper keystore add: %v\n", err)
			return ExitRuntime
		}
		if err := s.Set(key, value); err != nil {
			fmt.Fprintf(stderr, "shipper keystore add: %v\n", err)
			return ExitUsage
		}
		if err := s.Save(); err != nil {
			fmt.Fprintf(stderr, "shipper keystore add: %v\n", err)
			return ExitRuntime
		}
		fmt.Fprintf(stdout, "Added %s to the keystore\n", key)
		tellOwner(stdout, path)
		return ExitOK
	case "list", "remove":
		s, err := keystore.Open(path, password)
		if errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "shipper keystore %s: no keystore at %s (create one with `shipper keystore create`)\n", sub, path)
			return ExitRuntime
		}
		if err != nil {
			fmt.Fprintf(stderr, "shipper keystore %s: %v\n", sub, err)
			return ExitRuntime
		}
		if sub == "list" {
			for _, k := range s.Keys() {
				fmt.Fprintln(stdout, k)
			}
			return ExitOK
		}
		if len(pos) == 0 {
			fmt.Fprint(stderr, keystoreUsage)
			return ExitUsage
		}
		code := ExitOK
		for _, k := range pos {
			if !s.Remove(k) {
				fmt.Fprintf(stderr, "shipper keystore remove: %s is not in the keystore\n", k)
				code = ExitRuntime
			}
		}
		if err := s.Save(); err != nil {
			fmt.Fprintf(stderr, "shipper keystore remove: %v\n", err)
			return ExitRuntime
		}
		tellOwner(stdout, path)
		return code
	}
	fmt.Fprintf(stderr, "shipper keystore: unknown command %q\n\n%s", sub, keystoreUsage)
	return ExitUsage
}

// parseInterleaved parses flags placed before, between or after the
// positional arguments ("add KEY --stdin").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// tellOwner says so when root wrote a keystore that belongs to another
// user (the owner of path.data, see keystore.Save).
func tellOwner(stdout io.Writer, path string) {
	if os.Geteuid() != 0 {
		return
	}
	if uid, gid, err := keystore.Owner(path); err == nil && uid > 0 {
		name := strconv.Itoa(uid)
		if u, err := user.LookupId(name); err == nil {
			name = u.Username + " (uid " + name + ")"
		}
		fmt.Fprintf(stdout, "The keystore belongs to %s, gid %d: the owner of %s, so that the service can read it\n", name, gid, filepath.Dir(path))
	}
}

// readSecret reads the value: all of stdin with --stdin, otherwise one line
// after a prompt. The value is never echoed back: on a terminal, echo is
// off while it is typed.
func readSecret(stdin io.Reader, stdout io.Writer, key string, all bool) (string, error) {
	if f, ok := stdin.(*os.File); ok {
		if restore, ok := noEcho(f); ok {
			defer restore()
		}
	}
	if all {
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			return "", err
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	fmt.Fprintf(stdout, "Enter value for %s: ", key)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("no value read for %s: %v", key, err)
	}
	fmt.Fprintln(stdout)
	return strings.TrimRight(line, "\r\n"), nil
}

// dataDir finds path.data the way a run does, without resolving secrets:
// --path.data, then -E path.data=…, then the configuration file (path.home
// joins a relative path.data), then "data".
func (c *common) dataDir() (string, error) {
	if c.pathData != "" {
		return c.pathData, nil
	}
	var home, data string
	if b, err := os.ReadFile(c.configFile); err == nil {
		// Every ${NAME} resolves to "" here: only path.* is read.
		root, err := config.Parse(b, c.configFile, nil, config.WithResolver(func(string) (string, bool) { return "", true }))
		if err == nil {
			var p struct {
				Path struct {
					Home string `yaml:"home"`
					Data string `yaml:"data"`
				} `yaml:"path"`
			}
			_ = root.Decode(&p)
			home, data = p.Path.Home, p.Path.Data
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read config: %w", err)
	}
	for _, o := range c.overrides {
		if k, v, ok := strings.Cut(o, "="); ok {
			switch k {
			case "path.data":
				data = v
			case "path.home":
				home = v
			}
		}
	}
	if data == "" {
		data = config.Defaults().Path.Data
	}
	if !filepath.IsAbs(data) && home != "" {
		data = filepath.Join(home, data)
	}
	return data, nil
}

func (c *common) keystorePath() (string, error) {
	d, err := c.dataDir()
	if err != nil {
		return "", err
	}
	return keystore.Path(d), nil
}

// loadOptions returns the config options of a run: ${NAME} resolves from
// the keystore (when there is one), then from the systemd credentials
// directory ($CREDENTIALS_DIRECTORY/NAME, when set), then the environment. The keystore is
// opened only when the configuration uses ${…} at all.
func (c *common) loadOptions() ([]config.Option, error) {
	b, err := os.ReadFile(c.configFile)
	if err != nil || !strings.Contains(string(b), "${") && !strings.Contains(strings.Join(c.overrides, "\n"), "${") {
		return nil, nil // Load reports a read error itself
	}
	path, err := c.keystorePath()
	if err != nil {
		return nil, err
	}
	password, _, err := keystore.Password(os.Getenv)
	if err != nil {
		return nil, err
	}
	s, err := keystore.OpenIfExists(path, password)
	if err != nil {
		return nil, err
	}
	creds := os.Getenv(keystore.CredentialsEnv)
	if s == nil && creds == "" {
		return nil, nil
	}
	return []config.Option{config.WithResolver(s.Resolver(keystore.Credentials(creds, nil)))}, nil
}
