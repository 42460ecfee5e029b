package config

import (
	"bytes"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// Redacted replaces every secret in an exported configuration.
const Redacted = "[redacted]"

// Export returns the configuration as it was read (`shipper export config`):
// ${NAME} resolved, -E applied, dotted keys nested, disabled outputs left
// out; every secret the permission check knows (secret keys, passwords in
// URLs, credential headers, inline private keys) is replaced by
// "[redacted]", so that the output can be pasted into a bug report.
func (c *Config) Export() ([]byte, error) {
	if c.Root == nil {
		return nil, nil
	}
	budget := maxNodes
	root := maskSecrets(c.Root, "", 0, &budget)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// maskSecrets returns a copy of n with the secrets replaced; key is the
// name n is stored under.
func maskSecrets(n *yaml.Node, key string, depth int, budget *int) *yaml.Node {
	if n == nil {
		return nil
	}
	if depth > maxDepth || *budget <= 0 { // aliases in a cycle or a "billion laughs"
		return redactedScalar(n)
	}
	depth++
	*budget--
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return maskSecrets(n.Alias, key, depth, budget)
	}
	cp := *n
	cp.Anchor = ""
	cp.HeadComment, cp.LineComment, cp.FootComment = "", "", ""
	switch n.Kind {
	case yaml.MappingNode:
		cp.Content = make([]*yaml.Node, len(n.Content))
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			kc := *k
			kc.HeadComment, kc.LineComment, kc.FootComment = "", "", ""
			cp.Content[i] = &kc
			if strings.EqualFold(key, "headers") && secretHeaders[strings.ToLower(k.Value)] && v.Kind == yaml.ScalarNode {
				cp.Content[i+1] = redactedScalar(v)
				continue
			}
			cp.Content[i+1] = maskSecrets(v, k.Value, depth, budget)
		}
	case yaml.SequenceNode:
		cp.Content = make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			cp.Content[i] = maskSecrets(c, key, depth, budget)
		}
	case yaml.ScalarNode:
		switch w := scalarSecret(n.Value, key); {
		case w == "":
		case strings.Contains(w, "URL"):
			cp.Value = redactURL(n.Value)
		default:
			return redactedScalar(n)
		}
	}
	return &cp
}

func redactedScalar(n *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: Redacted, Line: n.Line, Column: n.Column}
}

// redactURL keeps a URL readable (host, port, path) with its password and
// query values masked.
func redactURL(v string) string {
	s := strings.TrimSpace(v)
	noScheme := !strings.Contains(s, "://")
	if noScheme {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return Redacted
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), Redacted)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q.Set(k, Redacted)
		}
		u.RawQuery = q.Encode()
	}
	out, _ := url.PathUnescape(u.String())
	if noScheme {
		out = strings.TrimPrefix(out, "http://")
	}
	return out
}
