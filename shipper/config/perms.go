package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// CheckPerms refuses a config file that its group or others may write, or,
// when it holds a literal secret, that others may read (--strict.perms).
//
// Beats' strict.perms refuses a file writable by group or others (and one
// owned by another user than the Beat's or root); it does not look at the
// content. We add the secret check because the package's config is
// readable by the service group and an operator's `chmod 644` would publish
// its credentials to every local account. Every secret is named with its
// line and key path (never its value), so the operator knows what to move
// to the keystore. A `${NAME}` reference is not a secret in the file; the
// literal default of `${NAME:default}` is.
func CheckPerms(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	mode := fi.Mode().Perm()
	if mode&0o022 != 0 {
		return &Error{File: path, Msg: fmt.Sprintf("config file is writable by group or others (mode %#o); run chmod go-w %s (or --strict.perms=false)", mode, path)}
	}
	if mode&0o004 == 0 {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil // Load reports it
	}
	var errs []error
	for _, s := range FindSecrets(b) {
		errs = append(errs, &Error{File: path, Line: s.Line, Path: s.Path,
			Msg: fmt.Sprintf("%s, and the file is readable by others (mode %#o): run chmod o-rwx %s, or write ${NAME} and keep the value in the keystore (or --strict.perms=false)", s.What, mode, path)})
	}
	return errors.Join(errs...)
}

// CheckOverrides refuses literal secrets in -E key=value overrides: the
// command line of a process is readable by every local user (ps,
// /proc/PID/cmdline). `-E output.elasticsearch.password=${ES_PW}` is fine.
func CheckOverrides(overrides []string) error {
	var errs []error
	for _, o := range overrides {
		k, v, ok := strings.Cut(o, "=")
		if !ok || k == "" {
			continue // Parse reports it
		}
		root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, overrideValue(v)}}
		_ = expandDotted(root, "", "")
		var found []SecretAt
		findSecrets(root, "", "", &found, newWalk())
		for _, s := range found {
			errs = append(errs, fmt.Errorf("-E %s: %s on the command line, which every local user can read (ps): write ${NAME} and keep the value in the keystore or the environment (or --strict.perms=false)", s.Path, s.What))
		}
	}
	return errors.Join(errs...)
}

// overrideValue parses an -E value as Parse does.
func overrideValue(v string) *yaml.Node {
	var val yaml.Node
	if err := yaml.Unmarshal([]byte(v), &val); err != nil || len(val.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	}
	return val.Content[0]
}

// SecretAt locates one literal secret in a configuration.
type SecretAt struct {
	Line int
	Path string // full key path, e.g. output.elasticsearch.hosts[1]
	What string // what kind of secret, e.g. "a literal password"; never the value
}

// FindSecrets returns every literal secret written in the YAML text data:
// under a secret key (password, api_key, community, auth_password,
// priv_password, key_passphrase, token…) nested or dotted, a URL with a
// password (hosts, proxy_url, anywhere) or a secret in its query, a
// credential header (Authorization, X-Api-Key, Cookie…) under a headers
// map, and an inline PEM private key. Text that is not YAML gives nothing
// (loading reports it).
func FindSecrets(data []byte) []SecretAt {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	_ = expandDotted(root, "", "") // duplicate keys are Load's to report; both are still walked
	var out []SecretAt
	findSecrets(root, "", "", &out, newWalk())
	return out
}

// secretKeys are key names (lower case) whose literal value is a secret.
var secretKeys = map[string]bool{
	"password": true, "passwd": true, "api_key": true, "apikey": true, "community": true,
	"auth_password": true, "priv_password": true, "key_passphrase": true, "passphrase": true,
	"token": true, "secret": true, "access_token": true, "bearer_token": true,
	"client_secret": true, "secret_token": true,
}

// secretHeaders are HTTP header names (lower case) that carry credentials.
var secretHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true,
	"x-api-key": true, "api-key": true, "x-auth-token": true,
}

// urlKeys may hold a URL without a scheme ("user:pass@host:9200", which
// the Elasticsearch output accepts).
var urlKeys = map[string]bool{"hosts": true, "host": true, "proxy_url": true, "url": true, "urls": true}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	return secretKeys[k] || strings.HasSuffix(k, "_password") || strings.HasSuffix(k, "_passphrase") ||
		strings.HasSuffix(k, "_token") || strings.HasSuffix(k, "_secret")
}

// walk bounds findSecrets over aliases: cycles are cut, and a document
// whose aliases expand past maxNodes ("billion laughs") is walked that far.
type walk struct {
	expanding map[*yaml.Node]bool
	budget    int
}

func newWalk() *walk { return &walk{expanding: map[*yaml.Node]bool{}, budget: maxNodes} }

// findSecrets walks n; key is the name n is stored under (for a list item,
// the list's).
func findSecrets(n *yaml.Node, path, key string, out *[]SecretAt, w *walk) {
	if w.budget <= 0 {
		return
	}
	w.budget--
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		// An alias inside its own anchor is a cycle: its secrets are
		// reported where the anchor is walked.
		if w.expanding[n.Alias] {
			return
		}
		w.expanding[n.Alias] = true
		defer delete(w.expanding, n.Alias)
		// *anchor: the secret is written at the anchor, used here; name
		// the line that uses it (the key path is this one).
		before := len(*out)
		findSecrets(n.Alias, path, key, out, w)
		for i := before; i < len(*out); i++ {
			(*out)[i].Line = n.Line
		}
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			if strings.EqualFold(key, "headers") && secretHeaders[strings.ToLower(k.Value)] && literal(v) {
				*out = append(*out, SecretAt{Line: k.Line, Path: p, What: "a literal credential header"})
				continue
			}
			findSecrets(v, p, k.Value, out, w)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			findSecrets(c, fmt.Sprintf("%s[%d]", path, i), key, out, w)
		}
	case yaml.ScalarNode:
		if w := scalarSecret(n.Value, key); w != "" {
			*out = append(*out, SecretAt{Line: n.Line, Path: path, What: w})
		}
	}
}

// scalarSecret says what kind of secret the value v of key is, or "".
func scalarSecret(v, key string) string {
	lit := stripRefs(v)
	if strings.TrimSpace(lit) == "" {
		return ""
	}
	if isSecretKey(key) {
		return "a literal " + strings.ToLower(key)
	}
	if strings.Contains(lit, "-----BEGIN") && strings.Contains(lit, "PRIVATE KEY") {
		return "an inline private key"
	}
	if strings.Contains(v, "://") || urlKeys[strings.ToLower(key)] {
		return urlSecret(v)
	}
	return ""
}

// urlSecret finds a literal password or a secret query parameter in a URL.
func urlSecret(v string) string {
	s := strings.TrimSpace(v)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		// e.g. "https://${U}:${P}@es" before expansion: look at the
		// userinfo by hand.
		rest := s[strings.Index(s, "://")+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok && strings.TrimSpace(stripRefs(pw)) != "" {
				return "a password in a URL"
			}
		}
		return ""
	}
	if pw, ok := u.User.Password(); ok && strings.TrimSpace(stripRefs(pw)) != "" {
		return "a password in a URL"
	}
	for k, vs := range u.Query() {
		if isSecretKey(k) || secretHeaders[strings.ToLower(k)] {
			for _, x := range vs {
				if strings.TrimSpace(stripRefs(x)) != "" {
					return "a secret in a URL's query (" + k + ")"
				}
			}
		}
	}
	return ""
}

// literal reports whether the scalar node holds text besides ${NAME}
// references.
func literal(n *yaml.Node) bool {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n.Kind == yaml.ScalarNode && strings.TrimSpace(stripRefs(n.Value)) != ""
}

// stripRefs removes ${NAME} references from v, keeping the literal default
// of ${NAME:default} (that default is written in the file).
func stripRefs(v string) string {
	if !strings.Contains(v, "${") {
		return v
	}
	return envRe.ReplaceAllString(v, "$2")
}
