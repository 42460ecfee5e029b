// Command gen writes N synthetic squid "native" access.log lines (the
// generator of the shared side-by-side harness, internal/squidgen, kept here
// so that scripts/bench/cpu-per-event.sh and scripts/figures.sh run from the
// repo).
//
// Output is deterministic for a given -seed so every peer reads the same input.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/shipper-project/shipper/internal/squidgen"
)

func main() {
	n := flag.Int("n", 1000000, "number of lines")
	out := flag.String("o", "-", "output file (- for stdout)")
	seed := flag.Int64("seed", 42, "random seed")
	start := flag.Int64("start", squidgen.DefaultStart, "first timestamp (unix seconds)")
	flag.Parse()

	var f *os.File = os.Stdout
	if *out != "-" {
		var err error
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	w := bufio.NewWriterSize(f, 1<<20)
	g := squidgen.New(*seed, *start)
	buf := make([]byte, 0, 512)
	for i := 0; i < *n; i++ {
		buf = g.Append(buf[:0])
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if f != os.Stdout {
		f.Close()
	}
}
