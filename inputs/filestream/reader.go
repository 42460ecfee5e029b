package filestream

import (
	"bytes"
	"io"
)

// lineReader splits a file into lines on '\n' only. A last line without its
// newline is not returned (it waits for the writer to finish it). A line
// longer than max is cut to max bytes and reported truncated once its
// newline arrives, so the cursor always lands on a line boundary and a huge
// line can neither exhaust memory nor stall the file.
type lineReader struct {
	r      io.Reader
	buf    []byte
	start  int   // first unread byte in buf
	end    int   // end of valid data in buf
	offset int64 // file offset of buf[start]
	max    int

	// while skipping the rest of an over-long line
	skipping  bool
	long      []byte // the first max bytes of that line
	longStart int64
}

func newLineReader(r io.Reader, offset int64, bufSize, max int) *lineReader {
	if bufSize > max+1 {
		bufSize = max + 1
	}
	return &lineReader{r: r, buf: make([]byte, bufSize), offset: offset, max: max}
}

// next returns the next complete line (without '\n' and a trailing '\r'
// kept as is), the file offset where it starts, the offset just after its
// newline, and whether it was truncated. io.EOF means no complete line is
// available yet. The returned slice is valid until the next call.
func (l *lineReader) next() (line []byte, start, end int64, truncated bool, err error) {
	for {
		data := l.buf[l.start:l.end]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			start := l.offset
			l.start += i + 1
			l.offset += int64(i + 1)
			if l.skipping {
				l.skipping = false
				return l.long, l.longStart, l.offset, true, nil
			}
			return data[:i], start, l.offset, false, nil
		}
		// no newline in the buffer
		if l.skipping {
			l.offset += int64(len(data))
			l.start, l.end = 0, 0
		} else if len(data) >= l.max {
			l.skipping = true
			l.long = append(l.long[:0], data[:l.max]...)
			l.longStart = l.offset
			l.offset += int64(len(data))
			l.start, l.end = 0, 0
		} else if l.start > 0 {
			copy(l.buf, data)
			l.start, l.end = 0, len(data)
		}
		if l.end == len(l.buf) {
			// the buffer is full of one partial line: grow up to max+1
			nb := make([]byte, min(2*len(l.buf), l.max+1))
			copy(nb, l.buf[:l.end])
			l.buf = nb
		}
		n, rerr := l.r.Read(l.buf[l.end:])
		l.end += n
		if n == 0 {
			if rerr == nil {
				rerr = io.EOF
			}
			return nil, 0, 0, false, rerr
		}
	}
}

// reset moves the reader to offset after a seek (truncation).
func (l *lineReader) reset(offset int64) {
	l.start, l.end, l.offset, l.skipping = 0, 0, offset, false
}

// pending is the number of bytes read but not yet returned as a line.
func (l *lineReader) pending() int64 { return int64(l.end - l.start) }

// rest returns the bytes of an unfinished last line (no newline yet) and
// consumes them; nil when there are none. An over-long one comes cut to
// max, with truncated set.
func (l *lineReader) rest() (line []byte, start, end int64, truncated bool) {
	if l.skipping {
		l.offset += int64(l.end - l.start)
		l.start, l.end, l.skipping = 0, 0, false
		return l.long, l.longStart, l.offset, true
	}
	if l.end == l.start {
		return nil, 0, 0, false
	}
	line = l.buf[l.start:l.end]
	start = l.offset
	l.offset += int64(len(line))
	l.start = l.end
	return line, start, l.offset, false
}
