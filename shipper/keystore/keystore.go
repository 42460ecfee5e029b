// Package keystore keeps secrets for the configuration in an encrypted file
// under path.data (shipper.keystore), like the Beats keystore: `${NAME}` in
// the configuration resolves from the keystore first, then from the
// environment, so that passwords and API keys need not be written in
// shipper.yml.
//
// The file is JSON: a header (format version, KDF, iterations, a random
// salt made when the store is created, a fresh nonce per save) and the
// secrets map encrypted with AES-256-GCM. The key is derived with
// PBKDF2-HMAC-SHA256 from the optional password in SHIPPER_KEYSTORE_PASSWORD
// and the salt; the header is authenticated as additional data, so a
// tampered header fails like a wrong password.
//
// Without a password the store is obfuscated, not encrypted: the key is
// derived from the salt in the file alone, so anyone who can read the file
// can read the secrets. Its 0600 mode (owner: the service user) is then the
// only protection, as for the Beats keystore. The password comes from
// SHIPPER_KEYSTORE_PASSWORD or, under systemd, from the credential
// keystore_password ($CREDENTIALS_DIRECTORY/keystore_password, see
// LoadCredential= in the unit), which only the service can read.
package keystore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// FileName is the keystore's name under path.data.
const FileName = "shipper.keystore"

// PasswordEnv names the environment variable holding the keystore password
// (optional; empty means no password).
const PasswordEnv = "SHIPPER_KEYSTORE_PASSWORD"

// CredentialsEnv is the variable systemd sets to the directory of the
// service's credentials (LoadCredential=, LoadCredentialEncrypted=,
// SetCredential=): one file per credential, readable by the service only.
const CredentialsEnv = "CREDENTIALS_DIRECTORY"

// PasswordCredential is the name of the credential holding the keystore
// password.
const PasswordCredential = "keystore_password"

// maxCredential bounds what is read from one credential file.
const maxCredential = 1 << 20

// Password returns the keystore password and where it came from:
// SHIPPER_KEYSTORE_PASSWORD when set and not empty, else the credential
// keystore_password in $CREDENTIALS_DIRECTORY, else "" (no password: the
// store is only obfuscated). getenv is os.Getenv outside tests.
func Password(getenv func(string) string) (password, source string, err error) {
	if p := getenv(PasswordEnv); p != "" {
		return p, PasswordEnv, nil
	}
	if dir := getenv(CredentialsEnv); dir != "" {
		p, ok, err := readCredential(dir, PasswordCredential)
		if err != nil {
			return "", "", err
		}
		if ok {
			return p, filepath.Join("$"+CredentialsEnv, PasswordCredential), nil
		}
	}
	return "", "", nil
}

// readCredential reads the credential name from dir; ok is false when
// there is no such file. One trailing newline is dropped (a file written
// with echo has one).
func readCredential(dir, name string) (value string, ok bool, err error) {
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read credential %s: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCredential))
	if err != nil {
		return "", false, fmt.Errorf("read credential %s: %w", name, err)
	}
	v := string(b)
	if strings.HasSuffix(v, "\n") {
		v = strings.TrimSuffix(strings.TrimSuffix(v, "\n"), "\r")
	}
	return v, true, nil
}

// Credentials returns a ${NAME} lookup that reads the file NAME in the
// systemd credentials directory dir, then asks next (os.LookupEnv when
// nil). An empty dir looks in next alone. A credential that exists but
// cannot be read resolves to nothing and is reported by the returned
// function's caller as "not set"; systemd makes them readable by the
// service, so that is a setup error shown at start.
func Credentials(dir string, next func(string) (string, bool)) func(string) (string, bool) {
	if next == nil {
		next = os.LookupEnv
	}
	if dir == "" {
		return next
	}
	return func(name string) (string, bool) {
		if keyRe.MatchString(name) {
			if v, ok, err := readCredential(dir, name); err == nil && ok {
				return v, true
			}
		}
		return next(name)
	}
}

// Iterations of PBKDF2 for new stores: about 30 ms on a desktop core and a
// few hundred on a router's, paid once per start.
const Iterations = 100_000

const (
	formatVersion = 1
	kdfName       = "pbkdf2-hmac-sha256"
	saltLen       = 16
)

// ErrExists is returned by Create when the file exists and force is false.
var ErrExists = errors.New("keystore already exists")

// ErrWrongPassword is returned when the file cannot be decrypted.
var ErrWrongPassword = errors.New("cannot decrypt the keystore: wrong " + PasswordEnv + " or a damaged file")

// keyRe is what ${NAME} accepts in the configuration.
var keyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// Path returns the keystore's path under dataDir.
func Path(dataDir string) string { return filepath.Join(dataDir, FileName) }

// Store is an opened keystore. It is not safe for concurrent use.
type Store struct {
	path     string
	password string
	salt     []byte
	iter     int
	values   map[string]string
}

type file struct {
	Version    int    `json:"version"`
	KDF        string `json:"kdf"`
	Iterations int    `json:"iterations"`
	Salt       []byte `json:"salt"`
	Nonce      []byte `json:"nonce"`
	Data       []byte `json:"data"`
}

// Create makes an empty store at path (mode 0600; the directory is made if
// needed) and writes it. An existing file is an ErrExists unless force.
func Create(path, password string, force bool) (*Store, error) {
	if _, err := os.Stat(path); err == nil && !force {
		return nil, fmt.Errorf("%s: %w (use --force to overwrite it)", path, ErrExists)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	s := &Store{path: path, password: password, salt: salt, iter: Iterations, values: map[string]string{}}
	if err := s.Save(); err != nil {
		return nil, err
	}
	return s, nil
}

// Open reads and decrypts the store at path. A missing file is an error
// wrapping fs.ErrNotExist; a file others may read is refused.
func Open(path, password string) (*Store, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open keystore: %w", err)
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return nil, fmt.Errorf("keystore %s is accessible by group or others (mode %#o); run chmod 600 %s", path, m, path)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrPermission) {
		uid, _, _ := Owner(path)
		return nil, fmt.Errorf("open keystore: %w: it belongs to uid %d and this process runs as uid %d; run `shipper keystore` as root or as the service user (sudo -u shipper shipper keystore …), or chown the file to the service user", err, uid, os.Geteuid())
	}
	if err != nil {
		return nil, fmt.Errorf("open keystore: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("keystore %s: not a keystore file: %v", path, err)
	}
	if f.Version != formatVersion || f.KDF != kdfName || f.Iterations <= 0 || len(f.Salt) == 0 {
		return nil, fmt.Errorf("keystore %s: unsupported format (version %d, kdf %q)", path, f.Version, f.KDF)
	}
	aead, err := newAEAD(password, f.Salt, f.Iterations)
	if err != nil {
		return nil, err
	}
	if len(f.Nonce) != aead.NonceSize() {
		return nil, fmt.Errorf("keystore %s: %w", path, ErrWrongPassword)
	}
	plain, err := aead.Open(nil, f.Nonce, f.Data, header(f.Iterations, f.Salt))
	if err != nil {
		return nil, fmt.Errorf("keystore %s: %w", path, ErrWrongPassword)
	}
	values := map[string]string{}
	if err := json.Unmarshal(plain, &values); err != nil {
		return nil, fmt.Errorf("keystore %s: damaged content: %v", path, err)
	}
	return &Store{path: path, password: password, salt: f.Salt, iter: f.Iterations, values: values}, nil
}

// header is the authenticated additional data: the parameters the key
// depends on.
func header(iter int, salt []byte) []byte {
	h := []byte("shipper.keystore/" + strconv.Itoa(formatVersion) + "/" + kdfName + "/" + strconv.Itoa(iter) + "/")
	return append(h, salt...)
}

func newAEAD(password string, salt []byte, iter int) (cipher.AEAD, error) {
	key, err := pbkdf2.Key(sha256.New, password, salt, iter, 32)
	if err != nil {
		return nil, fmt.Errorf("keystore key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Save encrypts the store with a fresh nonce and replaces the file
// atomically (write to a temporary file, fsync, rename), mode 0600.
func (s *Store) Save() error {
	plain, err := json.Marshal(s.values)
	if err != nil {
		return err
	}
	aead, err := newAEAD(s.password, s.salt, s.iter)
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	f := file{
		Version: formatVersion, KDF: kdfName, Iterations: s.iter, Salt: s.salt, Nonce: nonce,
		Data: aead.Seal(nil, nonce, plain, header(s.iter, s.salt)),
	}
	clear(plain)
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o750); err != nil {
		return fmt.Errorf("keystore directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), FileName+".tmp*")
	if err != nil {
		return fmt.Errorf("write keystore: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write keystore: %w", err)
	}
	// root writing into the service's path.data (sudo shipper keystore
	// add): the file goes to the directory's owner, or the service could
	// not open its own keystore.
	if err := chownToDir(tmp, filepath.Dir(s.path)); err != nil {
		tmp.Close()
		return fmt.Errorf("write keystore: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write keystore: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write keystore: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write keystore: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("write keystore: %w", err)
	}
	return nil
}

// Path returns the file the store lives in.
func (s *Store) Path() string { return s.path }

// Get returns the value of key.
func (s *Store) Get(key string) (string, bool) {
	v, ok := s.values[key]
	return v, ok
}

// Has reports whether key is set.
func (s *Store) Has(key string) bool {
	_, ok := s.values[key]
	return ok
}

// Set sets key (call Save to write it). Keys are what ${NAME} accepts:
// letters, digits, '_' and '.', not starting with a digit or '.'.
func (s *Store) Set(key, value string) error {
	if !keyRe.MatchString(key) {
		return fmt.Errorf("invalid key %q: use letters, digits, '_' and '.', starting with a letter or '_'", key)
	}
	s.values[key] = value
	return nil
}

// Remove deletes key; false when it was not there.
func (s *Store) Remove(key string) bool {
	_, ok := s.values[key]
	delete(s.values, key)
	return ok
}

// Keys returns the keys, sorted. Values are never listed.
func (s *Store) Keys() []string {
	out := make([]string, 0, len(s.values))
	for k := range s.values {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Resolver returns a lookup for the configuration's ${NAME}: the keystore
// first, then next (os.LookupEnv when nil). A nil store resolves through
// next alone.
func (s *Store) Resolver(next func(string) (string, bool)) func(string) (string, bool) {
	if next == nil {
		next = os.LookupEnv
	}
	return func(name string) (string, bool) {
		if s != nil {
			if v, ok := s.values[name]; ok {
				return v, true
			}
		}
		return next(name)
	}
}

// OpenIfExists opens the store at path, or returns nil and no error when
// there is none.
func OpenIfExists(path, password string) (*Store, error) {
	s, err := Open(path, password)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return s, err
}
