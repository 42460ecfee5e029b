// Command flowreplay sends a deterministic series of NetFlow v9 or IPFIX
// export datagrams to a UDP collector at a given rate, then (with -watch)
// waits for the collector's NDJSON output and reports what arrived and
// what it cost: the benchmark driver of scripts/bench/flows-vs-filebeat.sh,
// which feeds the shipper's netflow input and Filebeat's the same bytes.
//
//	flowreplay -proto v9|ipfix -to 127.0.0.1:2055 -n DATAGRAMS -k FLOWS [-rate FLOWS/S]
//	           [-template-every N] [-watch DIR -pid PID [-settle 3s]]
//
// The series: a template datagram, then N data datagrams of K flows each
// (softflowd's IPv4 record; v9 with uptimes, IPFIX with absolute
// milliseconds), the template again every -template-every data datagrams.
// -rate paces the data in flows per second (0: as fast as the socket
// takes them); the pacing is a token bucket checked every 200 µs, so a
// burst is at most a few datagrams.
//
// With -watch, after sending it counts the lines of the files in DIR
// (reading only what was appended) until there are N×K, or until none has
// been added for -settle. With -pid it samples that process's CPU
// (utime+stime of all its threads, /proc/PID/stat) when sending starts and
// each time the output grows, so the CPU is the window's, without start-up
// or shutdown. It prints one line of key=value pairs:
//
//	proto=v9 datagrams=… template_datagrams=… flows=… packets=… bytes=…
//	rate=… send_s=… received=… lost_flows=… elapsed_s=… flows_per_s=…
//	cpu_s=… cpu_us_per_flow=… rss_kb=… udp_rcvbuf_errors=…
//
// elapsed_s runs from the first datagram to the last output growth seen
// (polled every 20 ms); flows_per_s is received/elapsed_s.
// udp_rcvbuf_errors is the machine-wide kernel counter's increase
// (/proc/net/snmp Udp RcvbufErrors): datagrams the kernel dropped because a
// socket buffer was full.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "flowreplay:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("flowreplay", flag.ContinueOnError)
	proto := fs.String("proto", "v9", "v9 or ipfix")
	to := fs.String("to", "127.0.0.1:2055", "collector UDP address")
	n := fs.Int("n", 10000, "data datagrams")
	k := fs.Int("k", 30, "flows per data datagram")
	rate := fs.Float64("rate", 0, "flows per second (0: unpaced)")
	every := fs.Int("template-every", 100, "data datagrams between template refreshes (0: only the first)")
	domain := fs.Uint("domain", 1, "v9 source id / IPFIX observation domain")
	watch := fs.String("watch", "", "directory of the collector's NDJSON output to count")
	pid := fs.Int("pid", 0, "collector process whose CPU to sample (with -watch)")
	settle := fs.Duration("settle", 3*time.Second, "with -watch: give up waiting after this long without output growth")
	waitListen := fs.Duration("wait-listen", 60*time.Second, "wait this long for a socket bound to -to's port (0: do not wait)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	g := &Generator{K: *k, TemplateEvery: *every, Domain: uint32(*domain)}
	switch *proto {
	case "v9":
		g.Version = 9
	case "ipfix":
		g.Version = 10
	default:
		return fmt.Errorf("-proto %q: want v9 or ipfix", *proto)
	}
	if err := g.Validate(); err != nil {
		return err
	}
	if *n < 1 || *rate < 0 {
		return errors.New("-n must be ≥ 1 and -rate ≥ 0")
	}
	addr, err := net.ResolveUDPAddr("udp", *to)
	if err != nil {
		return err
	}
	if *waitListen > 0 {
		if err := waitBound(addr.Port, *pid, *waitListen); err != nil {
			return err
		}
	}
	conn, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		return err
	}
	defer conn.Close()

	var w *watcher
	if *watch != "" {
		w = &watcher{dir: *watch, pid: *pid}
		if err := w.start(); err != nil {
			return err
		}
	}
	errs0 := rcvbufErrors()
	start := time.Now()
	templates, err := send(conn, g, *n, *rate, start)
	if err != nil {
		return err
	}
	sendDur := time.Since(start)
	res := fmt.Sprintf("proto=%s datagrams=%d template_datagrams=%d flows=%d packets=%d bytes=%d rate=%.0f send_s=%.3f",
		*proto, g.DataDatagrams(), templates, g.Flows(), g.Packets, g.Bytes, *rate, sendDur.Seconds())
	if w != nil {
		got, last, cpu, rss, err := w.wait(int64(g.Flows()), *settle)
		if err != nil {
			return err
		}
		el := last.Sub(start).Seconds()
		if el <= 0 {
			el = sendDur.Seconds()
		}
		res += fmt.Sprintf(" received=%d lost_flows=%d elapsed_s=%.3f flows_per_s=%.0f", got, int64(g.Flows())-got, el, float64(got)/el)
		if *pid != 0 {
			per := 0.0
			if got > 0 {
				per = cpu.Seconds() * 1e6 / float64(got)
			}
			res += fmt.Sprintf(" cpu_s=%.3f cpu_us_per_flow=%.2f rss_kb=%d", cpu.Seconds(), per, rss)
		}
	}
	res += fmt.Sprintf(" udp_rcvbuf_errors=%d", rcvbufErrors()-errs0)
	fmt.Println(res)
	return nil
}

// send writes the template and n data datagrams, pacing the data at rate
// flows per second from start. It returns the template datagrams sent.
func send(conn *net.UDPConn, g *Generator, n int, rate float64, start time.Time) (templates int, err error) {
	buf := make([]byte, 0, 65536)
	for g.DataDatagrams() < n {
		if rate > 0 {
			// Token bucket: the flows due by now, checked every 200 µs.
			for float64(g.Flows()) >= rate*time.Since(start).Seconds() {
				time.Sleep(200 * time.Microsecond)
			}
		}
		var data bool
		buf, data = g.Next(buf)
		if !data {
			templates++
		}
		if _, err := conn.Write(buf); err != nil {
			// Loopback ICMP port unreachable (the collector went away)
			// or ENOBUFS: the run is void.
			return templates, fmt.Errorf("send datagram %d: %w", g.DataDatagrams(), err)
		}
	}
	return templates, nil
}
