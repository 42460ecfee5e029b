package filestream

import (
	"time"

	"github.com/shipper-project/shipper/shipper/event"
)

// message is what flows through the reader chain: one line, or several
// joined by multiline, with what the parsers found in it.
type message struct {
	raw       []byte // the bytes its _id is computed from
	content   []byte // becomes `message` (when not empty)
	start     int64  // file offset of its first byte
	end       int64  // offset after its last line: the cursor once it is acknowledged
	truncated bool
	lines     int
	fields    event.Fields // set by ndjson; written over log.* as Filebeat does
	ts        time.Time    // ndjson @timestamp with overwrite_keys
	id        string       // ndjson document_id
}

// stage is one parser of the chain. A stage may hold messages (multiline);
// it hands on what is ready through next.
type stage interface {
	push(m message, next func(message) error) error
	// flush hands on what the stage holds (timeout, end of file, close).
	flush(next func(message) error) error
	// held reports the start offset of the oldest message the stage holds
	// and when it must be flushed (zero: only at the end of the file).
	held() (start int64, deadline time.Time, ok bool)
}

// chain runs one file's lines through the configured stages (Filebeat's
// order: encoding, line, parsers, include/exclude lines) into sink.
type chain struct {
	stages  []stage
	sink    func(message) error
	enc     encoding
	stripCR bool
	decBuf  []byte
	next    []func(message) error // next[i] pushes into stage i (next[len] = sink)
}

func newChain(cfg *Config, maxBytes int, sink func(message) error, now func() time.Time) *chain {
	c := &chain{sink: sink, enc: cfg.Encoding, stripCR: cfg.LineTerminator == "auto"}
	for _, p := range cfg.Parsers {
		switch {
		case p.Multiline != nil:
			c.stages = append(c.stages, newMultiline(p.Multiline, maxBytes, now))
		case p.NDJSON != nil:
			c.stages = append(c.stages, &ndjson{c: p.NDJSON})
		}
	}
	c.next = make([]func(message) error, len(c.stages)+1)
	c.next[len(c.stages)] = sink
	for i := len(c.stages) - 1; i >= 0; i-- {
		st, nx := c.stages[i], c.next[i+1]
		c.next[i] = func(m message) error { return st.push(m, nx) }
	}
	return c
}

// line feeds one line read from the file.
func (c *chain) line(line []byte, start, end int64, truncated bool) error {
	content := line
	if c.stripCR && len(content) > 0 && content[len(content)-1] == '\r' {
		content = content[:len(content)-1]
	}
	if c.enc != "plain" && c.enc != "" {
		content = c.enc.decode(content, c.decBuf)
		if cap(content) > cap(c.decBuf) {
			c.decBuf = content[:0]
		}
	}
	m := message{raw: line, content: content, start: start, end: end, truncated: truncated, lines: 1}
	if len(c.stages) == 0 {
		return c.sink(m)
	}
	return c.next[0](m)
}

// flush empties every stage, in order (what the first one hands on may be
// held by a later one, which is flushed after it).
func (c *chain) flush() error {
	for i, st := range c.stages {
		if err := st.flush(c.next[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// held is the start of the oldest message a stage holds.
func (c *chain) held() (int64, bool) {
	first, any := int64(0), false
	for _, st := range c.stages {
		if s, _, ok := st.held(); ok && (!any || s < first) {
			first, any = s, true
		}
	}
	return first, any
}

// resume is where a next reader must start when this one stops now
// (off, or before what the stages hold and will drop).
func (c *chain) resume(off int64) int64 {
	if s, ok := c.held(); ok && s < off {
		return s
	}
	return off
}

// deadline is the earliest time a held message times out.
func (c *chain) deadline() (time.Time, bool) {
	var d time.Time
	for _, st := range c.stages {
		if _, dl, ok := st.held(); ok && !dl.IsZero() && (d.IsZero() || dl.Before(d)) {
			d = dl
		}
	}
	return d, !d.IsZero()
}
