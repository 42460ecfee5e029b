package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/shipper-project/shipper/shipper/event"
)

// docPrinter writes documents for test-pattern and test-flows: pretty JSON
// (--format json, or auto on a terminal) or NDJSON (ndjson, or auto when
// piped).
type docPrinter struct {
	out      *bufio.Writer
	indent   bool
	buf, ind bytes.Buffer
}

// newDocPrinter checks --format; the error names the command.
func newDocPrinter(cmd, format string, stdout io.Writer) (*docPrinter, error) {
	p := &docPrinter{out: bufio.NewWriter(stdout)}
	switch format {
	case "auto":
		p.indent = testPatternIsTerminal(stdout)
	case "json":
		p.indent = true
	case "ndjson":
	default:
		return nil, fmt.Errorf("shipper %s: --format %q: want auto, json or ndjson", cmd, format)
	}
	return p, nil
}

func (p *docPrinter) print(e *event.Event) error {
	b := event.AppendJSON(p.buf.Bytes()[:0], e)
	if p.indent {
		p.ind.Reset()
		if json.Indent(&p.ind, b, "", "  ") == nil {
			b = p.ind.Bytes()
		}
	}
	p.out.Write(b)
	return p.out.WriteByte('\n')
}

func (p *docPrinter) flush() { p.out.Flush() }
