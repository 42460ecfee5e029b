package monitoring

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// The status page is server-rendered HTML with no script: it works in any
// browser (and in `curl | lynx -stdin` on the router), refreshes itself every
// 10 s, and costs one template execution per view.
var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"bytes":  humanBytes,
	"dur":    humanDuration,
	"rate":   func(f float64) string { return fmt.Sprintf("%.1f/s", f) },
	"pct":    func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"pctw":   func(f float64) string { return fmt.Sprintf("%.0f", min(f, 1)*100) },
	"secs":   func(s int64) string { return humanDuration(time.Duration(s) * time.Second) },
	"ms":     func(ms int64) string { return humanDuration(time.Duration(ms) * time.Millisecond) },
	"tstamp": func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") },
	"join":   strings.Join,
	"cpu":    func(m Millis) string { return humanDuration(time.Duration(m) * time.Millisecond) },
}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="10">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shipper {{.Beat.Info.Name}} — status</title>
<style>
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
</style></head>
<body>
<header><h1>shipper · {{.Beat.Info.Name}}</h1>
<span>version {{.Beat.Info.Version}}{{with .Beat.Info.Commit}} ({{.}}){{end}}</span>
<span>up {{ms .Beat.Info.Uptime.MS}}</span>
<span>RSS {{bytes .Beat.Memstats.RSS}} · heap {{bytes .Beat.Memstats.HeapAlloc}}</span>
<span>CPU {{cpu .Beat.CPU.Total}}</span>
</header>
<main>
<section id="output"><h2>Output: {{or .Output.Type "none"}} <span class="badge {{.Output.Health}}">{{.Output.Health}}</span></h2>
<table>
{{with .Output.Hosts}}<tr><td>hosts</td><td class="n">{{join . ", "}}</td></tr>{{end}}
<tr><td>rate</td><td class="n">{{rate .Output.Rate}}</td></tr>
<tr><td>acked</td><td class="n">{{.Output.Events.Acked}}</td></tr>
<tr><td>duplicates</td><td class="n">{{.Output.Events.Duplicates}}</td></tr>
<tr><td>dead-lettered</td><td class="n">{{.Output.Events.DeadLetter}}</td></tr>
<tr><td>retried</td><td class="n">{{.Output.Events.Retried}}</td></tr>
<tr><td>batches sent / failed</td><td class="n">{{.Output.Batches.Sent}} / {{.Output.Batches.Failed}}</td></tr>
<tr><td>bytes written</td><td class="n">{{bytes .Output.WriteBytes}}</td></tr>
</table></section>
<section id="pipeline"><h2>Pipeline</h2>
<table>
<tr><td>queue</td><td class="n">{{.Pipeline.Queue.Filled}} / {{.Pipeline.Queue.MaxEvents}} ({{pct .Pipeline.Queue.Pct}})</td></tr>
<tr><td colspan="2"><div class="bar"><div style="width:{{pctw .Pipeline.Queue.Pct}}%"></div></div></td></tr>
<tr><td>published</td><td class="n">{{.Pipeline.Events.Published}}</td></tr>
<tr><td>in flight</td><td class="n">{{.Pipeline.Events.Active}}</td></tr>
<tr><td>dropped by processors</td><td class="n">{{.Pipeline.Events.Filtered}}</td></tr>
<tr><td>processor errors</td><td class="n">{{.Pipeline.Events.ProcessorErrors}}</td></tr>
<tr><td>registry writes</td><td class="n">{{.Registry.Writes}} ({{bytes .Registry.BytesWritten}})</td></tr>
<tr><td>dead-letter file</td><td class="n">{{bytes .DeadLetter.Bytes}}, {{.DeadLetter.Events}} events{{if .DeadLetter.Dropped}}, {{.DeadLetter.Dropped}} dropped{{end}}</td></tr>
{{range .GeoIP}}<tr><td>GeoIP {{.Database}} database age</td><td class="n">{{secs .AgeSeconds}}</td></tr>{{end}}
</table></section>
<section id="inputs" class="wide"><h2>Inputs</h2>
<table><tr><th>id</th><th>type</th><th class="n">rate</th><th class="n">published</th><th class="n">acked</th><th class="n">processor errors</th><th>other counters</th></tr>
{{range .Inputs}}<tr><td>{{.ID}}</td><td>{{.Type}}</td><td class="n">{{rate .Rate}}</td><td class="n">{{.Events.Published}}</td><td class="n">{{.Events.Acked}}</td><td class="n">{{.Events.ProcessorErrors}}</td>
<td class="muted">{{range $k, $v := .Metrics}}{{$k}}={{$v}} {{end}}</td></tr>
{{else}}<tr><td colspan="7" class="muted">no inputs</td></tr>{{end}}
</table></section>
<section id="errors" class="wide"><h2>Last errors</h2>
<table class="err">
{{range .Errors}}<tr><td>{{tstamp .Time}}</td><td class="{{.Level}}">{{.Level}}</td><td>{{.Message}} <span class="muted">{{.Attrs}}</span></td></tr>
{{else}}<tr><td class="muted">no warnings or errors since start</td></tr>{{end}}
</table></section>
</main>
<footer style="padding:0 24px 16px" class="muted">JSON: <a href="stats?pretty">/stats</a> · Prometheus: <a href="metrics">/metrics</a> · refreshes every 10 s</footer>
</body></html>
`

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	snap, st, now, rt := h.snapshot()
	s := buildStats(snap, st, now, rt)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pageTmpl.Execute(w, s); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func humanBytes(n any) string {
	var v float64
	switch x := n.(type) {
	case int64:
		v = float64(x)
	case uint64:
		v = float64(x)
	case int:
		v = float64(x)
	}
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
