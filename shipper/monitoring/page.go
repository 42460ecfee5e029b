package monitoring

import (
	"bytes"
	"fmt"
	"html"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The status page is server-rendered HTML with no script: it works in any
// browser (and in `curl | lynx -stdin` on the router) and refreshes itself
// every 10 s.
//
// It is written by hand, not with html/template (issue 17): text/template
// calls methods by name (reflect.Value.MethodByName with a name known only
// at run time), and once such a call is reachable the linker keeps every
// exported method of every reachable type, since it cannot tell which one a
// template will call. That was 10 MB of a 26 MB binary, mostly the methods
// of go-elasticsearch's esapi. TestBinarySize (shipper/size_integration_test.go)
// fails if the binary grows past its budget again.

// markup is HTML written to the page as is. Only constants convert to it
// implicitly, so a value (an input ID, an error message: anything from the
// config, the log or the counters) cannot reach the page unescaped by
// accident: values go through pageWriter.text, which escapes them.
type markup string

type pageWriter struct{ b bytes.Buffer }

func (p *pageWriter) raw(m markup)  { p.b.WriteString(string(m)) }
func (p *pageWriter) text(s string) { p.b.WriteString(html.EscapeString(s)) }

// row writes a two-column table row: a fixed label and an escaped value.
func (p *pageWriter) row(label markup, value string) {
	p.raw("<tr><td>")
	p.raw(label)
	p.raw(`</td><td class="n">`)
	p.text(value)
	p.raw("</td></tr>\n")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func rate(f float64) string { return fmt.Sprintf("%.1f/s", f) }

const pageStyle = `<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:14px 24px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:20px;margin:0}
header span{color:#b8c0cc}
main{padding:16px 24px;display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:16px}
section{background:#fff;border-radius:6px;padding:12px 16px;box-shadow:0 1px 2px rgba(0,0,0,.12)}
section.wide{grid-column:1/-1}
h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e6e8eb}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.ok{background:#2e8540}.idle{background:#6b7280}.backpressure{background:#c77700}.failing{background:#c62828}
.bar{background:#e6e8eb;border-radius:4px;height:10px;width:100%}
.bar div{background:#3b6fd4;height:10px;border-radius:4px}
.err td{font-family:ui-monospace,monospace;font-size:12px;vertical-align:top}
.err td:nth-child(-n+2){width:1%;white-space:nowrap}
.WARN{color:#c77700}.ERROR{color:#c62828}
.muted{color:#6b7280}
</style>`

// renderPage writes the status page for s.
func renderPage(s *Stats) []byte {
	p := &pageWriter{}
	info := &s.Beat.Info
	p.raw(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="10">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shipper `)
	p.text(info.Name)
	p.raw(" — status</title>\n" + pageStyle + "</head>\n<body>\n<header><h1>shipper · ")
	p.text(info.Name)
	p.raw("</h1>\n<span>version ")
	p.text(info.Version)
	if info.Commit != "" {
		p.raw(" (")
		p.text(info.Commit)
		p.raw(")")
	}
	p.raw("</span>\n<span>up ")
	p.text(humanDuration(time.Duration(info.Uptime.MS) * time.Millisecond))
	p.raw("</span>\n<span>RSS ")
	p.text(humanBytes(float64(s.Beat.Memstats.RSS)))
	p.raw(" · heap ")
	p.text(humanBytes(float64(s.Beat.Memstats.HeapAlloc)))
	p.raw("</span>\n<span>CPU ")
	p.text(humanDuration(time.Duration(s.Beat.CPU.Total) * time.Millisecond))
	p.raw("</span>\n</header>\n<main>\n")

	o := &s.Output
	typ := o.Type
	if typ == "" {
		typ = "none"
	}
	p.raw(`<section id="output"><h2>Output: `)
	p.text(typ)
	p.raw(` <span class="badge `)
	p.text(o.Health)
	p.raw(`">`)
	p.text(o.Health)
	p.raw("</span></h2>\n<table>\n")
	if len(o.Hosts) > 0 {
		p.row("hosts", strings.Join(o.Hosts, ", "))
	}
	p.row("rate", rate(o.Rate))
	p.row("acked", itoa(o.Events.Acked))
	p.row("duplicates", itoa(o.Events.Duplicates))
	p.row("dead-lettered", itoa(o.Events.DeadLetter))
	p.row("retried", itoa(o.Events.Retried))
	p.row("batches sent / failed", itoa(o.Batches.Sent)+" / "+itoa(o.Batches.Failed))
	p.row("bytes written", humanBytes(float64(o.WriteBytes)))
	p.raw("</table></section>\n")

	pl := &s.Pipeline
	p.raw("<section id=\"pipeline\"><h2>Pipeline</h2>\n<table>\n")
	p.row("queue", fmt.Sprintf("%d / %d (%.0f%%)", pl.Queue.Filled, pl.Queue.MaxEvents, pl.Queue.Pct*100))
	if pl.Queue.MaxBytes > 0 {
		p.row("queue bytes", humanBytes(float64(pl.Queue.FilledBytes))+" / "+humanBytes(float64(pl.Queue.MaxBytes)))
	} else {
		p.row("queue bytes", "not bounded (queue.mem.bytes: 0)")
	}
	p.raw(`<tr><td colspan="2"><div class="bar"><div style="width:`)
	p.text(fmt.Sprintf("%.0f", min(pl.Queue.Pct, 1)*100))
	p.raw("%\"></div></div></td></tr>\n")
	p.row("published", itoa(pl.Events.Published))
	p.row("in flight", itoa(pl.Events.Active))
	p.row("dropped by processors", itoa(pl.Events.Filtered))
	p.row("processor errors", itoa(pl.Events.ProcessorErrors))
	p.row("registry writes", itoa(s.Registry.Writes)+" ("+humanBytes(float64(s.Registry.BytesWritten))+")")
	dl := humanBytes(float64(s.DeadLetter.Bytes)) + ", " + itoa(s.DeadLetter.Events) + " events"
	if s.DeadLetter.Dropped != 0 {
		dl += ", " + itoa(s.DeadLetter.Dropped) + " dropped"
	}
	p.row("dead-letter file", dl)
	for _, g := range s.GeoIP {
		p.raw("<tr><td>GeoIP ")
		p.text(g.Database)
		p.raw(` database age</td><td class="n">`)
		p.text(humanDuration(time.Duration(g.AgeSeconds) * time.Second))
		p.raw("</td></tr>\n")
	}
	p.raw("</table></section>\n")

	p.raw(`<section id="inputs" class="wide"><h2>Inputs</h2>
<table><tr><th>id</th><th>type</th><th class="n">rate</th><th class="n">published</th><th class="n">acked</th><th class="n">processor errors</th><th>other counters</th></tr>
`)
	for _, in := range s.Inputs {
		p.raw("<tr><td>")
		p.text(in.ID)
		p.raw("</td><td>")
		p.text(in.Type)
		p.raw(`</td><td class="n">`)
		p.text(rate(in.Rate))
		p.raw(`</td><td class="n">`)
		p.text(itoa(in.Events.Published))
		p.raw(`</td><td class="n">`)
		p.text(itoa(in.Events.Acked))
		p.raw(`</td><td class="n">`)
		p.text(itoa(in.Events.ProcessorErrors))
		p.raw("</td>\n<td class=\"muted\">")
		for _, k := range slices.Sorted(maps.Keys(in.Metrics)) {
			p.text(k)
			p.raw("=")
			p.text(itoa(in.Metrics[k]))
			p.raw(" ")
		}
		p.raw("</td></tr>\n")
	}
	if len(s.Inputs) == 0 {
		p.raw("<tr><td colspan=\"7\" class=\"muted\">no inputs</td></tr>\n")
	}
	p.raw("</table></section>\n")

	p.raw("<section id=\"errors\" class=\"wide\"><h2>Last errors</h2>\n<table class=\"err\">\n")
	for _, e := range s.Errors {
		p.raw("<tr><td>")
		p.text(e.Time.Local().Format("2006-01-02 15:04:05"))
		p.raw(`</td><td class="`)
		p.text(e.Level)
		p.raw(`">`)
		p.text(e.Level)
		p.raw("</td><td>")
		p.text(e.Message)
		p.raw(` <span class="muted">`)
		p.text(e.Attrs)
		p.raw("</span></td></tr>\n")
	}
	if len(s.Errors) == 0 {
		p.raw("<tr><td class=\"muted\">no warnings or errors since start</td></tr>\n")
	}
	p.raw(`</table></section>
</main>
<footer style="padding:0 24px 16px" class="muted">JSON: <a href="stats?pretty">/stats</a> · Prometheus: <a href="metrics">/metrics</a> · refreshes every 10 s</footer>
</body></html>
`)
	return p.b.Bytes()
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	snap, st, now, rt := h.snapshot()
	s := buildStats(snap, st, now, rt)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(renderPage(s))
}

func humanBytes(v float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", v)
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}
