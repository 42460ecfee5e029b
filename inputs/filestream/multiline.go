package filestream

import (
	"time"
)

// multiline joins lines into one event, as libbeat/reader/multiline does
// (pattern.go, counter.go, while.go): same matchers, limits and flags.
type multiline struct {
	c        *multilineConf
	maxBytes int
	maxLines int
	now      func() time.Time

	buf     message // the event being built (lines == 0: none)
	added   int     // lines whose bytes are in buf.content
	cut     bool    // bytes or lines left out (max_bytes, max_lines)
	last    []byte  // content of the last line added
	lastAdd time.Time
}

func newMultiline(c *multilineConf, maxBytes int, now func() time.Time) *multiline {
	m := &multiline{c: c, maxBytes: maxBytes, maxLines: c.MaxLines, now: now}
	if c.Type == "count" {
		m.maxLines = c.CountLines
	}
	return m
}

// matches applies pattern and negate to one line.
func (m *multiline) matches(line []byte) bool {
	return m.c.Pattern.Match(line) != m.c.Negate
}

// continues reports whether cur belongs to the event being built (pattern
// type): `match: after` looks at the new line, `before` at the last one.
func (m *multiline) continues(cur []byte) bool {
	if m.c.Match == "before" {
		return m.matches(m.last)
	}
	return m.matches(cur)
}

func (m *multiline) push(l message, next func(message) error) error {
	switch m.c.Type {
	case "count":
		if m.buf.lines == 0 {
			m.start(l)
		} else {
			m.add(l)
		}
		if m.buf.lines >= m.c.CountLines {
			return next(m.finish())
		}
		return nil
	case "while_pattern":
		match := m.matches(l.content)
		if m.buf.lines == 0 {
			if !match {
				return next(l)
			}
			m.start(l)
			return nil
		}
		if !match {
			if err := next(m.finish()); err != nil {
				return err
			}
			return next(l)
		}
		m.add(l)
		return nil
	}
	// pattern
	if m.buf.lines == 0 {
		m.start(l)
		return nil
	}
	if m.c.FlushPattern.Regexp != nil && m.c.FlushPattern.Match(l.content) {
		m.add(l)
		return next(m.finish())
	}
	if !m.continues(l.content) {
		out := m.finish()
		if err := next(out); err != nil {
			return err
		}
		m.start(l)
		return nil
	}
	m.add(l)
	return nil
}

func (m *multiline) flush(next func(message) error) error {
	if m.buf.lines == 0 {
		return nil
	}
	return next(m.finish())
}

func (m *multiline) held() (int64, time.Time, bool) {
	if m.buf.lines == 0 {
		return 0, time.Time{}, false
	}
	var dl time.Time
	if m.c.Timeout > 0 && m.c.Type != "count" { // Filebeat's count reader has no timeout
		dl = m.lastAdd.Add(m.c.Timeout)
	}
	return m.buf.start, dl, true
}

// start begins a new event with l (its bytes are copied: l's slices belong
// to the line reader).
func (m *multiline) start(l message) {
	m.buf = message{start: l.start, end: l.start, ts: l.ts, id: l.id}
	m.added, m.cut = 0, false
	m.add(l)
}

// add appends a line within max_bytes and max_lines; what does not fit is
// left out and the event flagged truncated, as Filebeat's messageBuffer.
func (m *multiline) add(l message) {
	sep := len(m.buf.content) > 0 && !m.c.SkipNewline
	sz := len(m.buf.content)
	if sep {
		sz++
	}
	space := m.maxBytes - sz
	if space > 0 && (m.maxLines <= 0 || m.added < m.maxLines) {
		if space > len(l.content) {
			space = len(l.content)
		}
		if sep {
			m.buf.content = append(m.buf.content, '\n')
		}
		m.buf.content = append(m.buf.content, l.content[:space]...)
		m.added++
		if space < len(l.content) {
			m.cut = true
		}
	} else {
		m.cut = true
	}
	if l.truncated {
		m.cut = true
	}
	for _, f := range l.fields { // ndjson before multiline: Filebeat merges them
		m.buf.fields.Put(f.Key, f.Value)
	}
	m.buf.lines++
	m.buf.end = l.end
	m.last = append(m.last[:0], l.content...)
	m.lastAdd = m.now()
}

// finish hands the event over and starts empty.
func (m *multiline) finish() message {
	out := m.buf
	out.raw = out.content
	out.truncated = m.cut
	m.buf = message{}
	m.added, m.cut = 0, false
	return out
}
