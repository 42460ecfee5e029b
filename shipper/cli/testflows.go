package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/inputs/flowcap"
	"github.com/shipper-project/shipper/inputs/netflow"
	"github.com/shipper-project/shipper/inputs/sflow"
	"github.com/shipper-project/shipper/shipper/event"
)

const testFlowsUsage = `Usage: shipper test-flows [--type netflow|sflow] [--port N]... [-c FILE [--id ID]] [--format auto|json|ndjson] [--summary-only] FILE.pcap|-

Decodes the NetFlow v5/v9/IPFIX and sFlow v5 export datagrams of a packet
capture (tcpdump -s 0 -w FILE udp port 2055) with the netflow and sflow
inputs' own decoders, and prints each document (JSON, pretty on a terminal,
NDJSON when piped) on stdout, then a summary on stderr: datagrams per kind and
exporter, packets skipped and why, templates, flows, decode errors, sequence
gaps. With -c, the options of the configuration's netflow and sflow inputs
(custom_definitions, protocols, internal_networks) apply; --id picks one.
Without --type, a datagram's kind comes from its destination port (2055,
4739, 9995, 9996: NetFlow/IPFIX; 6343: sFlow), else from its version field.
Exit status 1 when a datagram did not decode or data waited for a template
the capture does not hold.
`

// TestFlows is `shipper test-flows`.
func TestFlows(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, c := newFlags("test-flows", stderr)
	fs.Usage = func() { fmt.Fprint(stderr, testFlowsUsage) }
	typ := fs.String("type", "", "decode every datagram as netflow or sflow (default: by port, then by version)")
	var ports multiFlag
	fs.Var(&ports, "port", "only datagrams sent to this UDP port (repeatable)")
	id := fs.String("id", "", "with -c: the netflow/sflow input whose options apply")
	format := fs.String("format", "auto", "output format: auto, json (pretty) or ndjson")
	summaryOnly := fs.Bool("summary-only", false, "print only the summary")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprint(stdout, testFlowsUsage)
			fs.PrintDefaults()
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprint(stderr, testFlowsUsage)
		return ExitUsage
	}
	opt := flowcap.Options{}
	switch *typ {
	case "", "netflow", "sflow":
		opt.Type = *typ
	default:
		fmt.Fprintf(stderr, "shipper test-flows: --type %q: want netflow or sflow\n", *typ)
		return ExitUsage
	}
	for _, p := range ports {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			fmt.Fprintf(stderr, "shipper test-flows: --port %q: want a UDP port (1-65535)\n", p)
			return ExitUsage
		}
		opt.Ports = append(opt.Ports, uint16(n))
	}
	docs, err := newDocPrinter("test-flows", *format, stdout)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	configGiven := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "c" {
			configGiven = true
		}
	})
	if *id != "" && !configGiven {
		fmt.Fprintln(stderr, "shipper test-flows: --id needs -c FILE")
		return ExitUsage
	}
	if configGiven {
		if code := flowOptionsFromConfig(c, *id, &opt, stderr); code != ExitOK {
			return code
		}
	}

	in, name := stdin, "stdin"
	if a := fs.Arg(0); a != "" && a != "-" {
		f, err := os.Open(a)
		if err != nil {
			fmt.Fprintf(stderr, "shipper test-flows: %v\n", err)
			return ExitRuntime
		}
		defer f.Close()
		in, name = f, a
	}
	sum, err := flowcap.Inspect(in, opt, func(e *event.Event) error {
		if *summaryOnly {
			return nil
		}
		return docs.print(e)
	})
	docs.flush()
	printFlowSummary(stderr, sum)
	if err != nil {
		fmt.Fprintf(stderr, "shipper test-flows: %s: %v\n", name, err)
		return ExitRuntime
	}
	if sum.Failed() {
		return ExitRuntime
	}
	return ExitOK
}

// flowOptionsFromConfig takes the netflow and sflow options of the
// configuration's inputs (the one named by id, or the first of each type).
func flowOptionsFromConfig(c *common, id string, opt *flowcap.Options, stderr io.Writer) int {
	cfg, err := c.load()
	if err != nil {
		printErr(stderr, "", err)
		return ExitUsage
	}
	found := false
	for _, sec := range cfg.Shipper.Inputs {
		typ := sec.String("type")
		if typ != "netflow" && typ != "sflow" || id != "" && sec.String("id") != id {
			continue
		}
		switch typ {
		case "netflow":
			if opt.NetFlow != nil {
				continue
			}
			nc := netflow.DefaultConfig()
			if err := sec.Decode(&nc, inputs.CommonKeys...); err != nil {
				printErr(stderr, "", err)
				return ExitUsage
			}
			opt.NetFlow = &nc
		case "sflow":
			if opt.SFlow != nil {
				continue
			}
			sc := sflow.DefaultConfig()
			if err := sec.Decode(&sc, inputs.CommonKeys...); err != nil {
				printErr(stderr, "", err)
				return ExitUsage
			}
			opt.SFlow = &sc
		}
		found = true
	}
	if !found {
		what := "no netflow or sflow input"
		if id != "" {
			what = fmt.Sprintf("no netflow or sflow input with id %q", id)
		}
		fmt.Fprintf(stderr, "shipper test-flows: %s in %s\n", what, cfg.File)
		return ExitUsage
	}
	return ExitOK
}

func printFlowSummary(w io.Writer, s flowcap.Summary) {
	fmt.Fprintf(w, "%d packets, %d documents\n", s.Packets, s.Documents)
	if len(s.Datagrams) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(s.Datagrams)) {
			label := k
			switch k {
			case "other":
				label = "other (not a flow export: see --type)"
			case "filtered":
				label = "other ports (--port)"
			}
			parts = append(parts, fmt.Sprintf("%s %d", label, s.Datagrams[k]))
		}
		fmt.Fprintf(w, "UDP datagrams: %s\n", strings.Join(parts, ", "))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Skipped)) {
		fmt.Fprintf(w, "skipped %d packets: %s\n", s.Skipped[k], k)
	}
	if len(s.Exporters) > 0 {
		fmt.Fprintln(w, "exporters (datagrams):")
		for _, k := range slices.Sorted(maps.Keys(s.Exporters)) {
			fmt.Fprintf(w, "  %s %d\n", k, s.Exporters[k])
		}
	}
	if len(s.Counters) > 0 {
		fmt.Fprintln(w, "decoder counters (the input's /stats names):")
		for _, k := range slices.Sorted(maps.Keys(s.Counters)) {
			fmt.Fprintf(w, "  %s %d\n", k, s.Counters[k])
		}
	}
	for k, v := range s.Counters {
		if strings.HasSuffix(k, ".flowsets_pending") && v > 0 {
			fmt.Fprintf(w, "%d data sets wait for a template this capture does not hold: capture from before the exporter starts, or longer than its template interval\n", v)
		}
	}
}
