package elasticsearch

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shipper-project/shipper/shipper/pipeline"
)

// secretsOf lists every form in which the configured credentials could
// travel: the password, the API key as written and as sent (base64), and
// the basic-auth token. Short values are skipped: replacing "a" everywhere
// would garble messages without protecting anything.
func secretsOf(cfg Config) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 4 {
			out = append(out, s)
		}
	}
	add(cfg.Password.Reveal())
	add(cfg.APIKey.Reveal())
	add(apiKey(cfg.APIKey.Reveal()))
	if _, key, ok := strings.Cut(cfg.APIKey.Reveal(), ":"); ok {
		add(key) // the id before ':' is not secret
	}
	if cfg.Username != "" && cfg.Password != "" {
		add(base64Std(cfg.Username + ":" + cfg.Password.Reveal()))
	}
	add(cfg.SSL.KeyPassphrase.Reveal())
	return out
}

// redactedError carries a message cleaned of secrets; Unwrap keeps
// errors.Is/As working (context.DeadlineExceeded, net errors).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with every configured secret replaced by [redacted].
// Errors leave this package only through it: a server or a library may echo
// a header or a URL back.
func (o *Output) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := redactString(msg, o.secrets)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: errors.Unwrap(err)}
}

func (o *Output) redactf(format string, args ...any) error {
	return o.redact(fmt.Errorf(format, args...))
}

func redactString(s string, secrets []string) string {
	for _, sec := range secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return s
}

// deadLetter marks item i for the dead-letter file, recording the index it
// was sent to so that `shipper dlq replay` sends it to the same place.
func (o *Output) deadLetter(b *pipeline.Batch, i, status int, why string) {
	e := b.Event(i)
	if e.Meta.Index == "" {
		// Unless it has none: replay renders it again.
		if idx, why := o.index.render(nil, e); why == "" {
			e.Meta.Index = string(idx)
		}
	}
	b.DeadLetter(i, status, redactString(why, o.secrets))
	o.forget(e) // final: its pointer may be recycled
}
