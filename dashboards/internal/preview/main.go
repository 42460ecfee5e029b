// Command preview draws the layout of every shipped dashboard (panel
// titles, visualisation types, the fields each panel uses, the 48-column
// grid) into one HTML page, so that a reviewer can see the dashboards
// without a Kibana. scripts/preview-dashboards.sh also screenshots it.
//
//	go run ./dashboards/internal/preview -o /tmp/dashboards.html
package main

import (
	"flag"
	"fmt"
	"html/template"
	"os"
	"sort"
	"strings"

	"github.com/shipper-project/shipper/dashboards"
	"github.com/shipper-project/shipper/dashboards/internal/inspect"
)

const rowPx = 20 // Kibana's grid row height

type boxView struct {
	inspect.Panel
	Left, Width    float64 // percent of the grid width
	Top, Height    int     // px
	Kind           string  // CSS class
	Label          string
	Fields         []string
	DataViews      string
	Markdown       []string
	PanelQueryNote string
}

type dashView struct {
	ID, Title, Description string
	Boxes                  []boxView
	HeightPx               int
}

var page = template.Must(template.New("p").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>shipper dashboards preview</title>
<style>
body{font:13px/1.35 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:#f1f4fa;margin:16px;color:#1a1c21}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:26px 0 2px} .desc{color:#555;margin:0 0 8px}
.note{color:#555;margin-bottom:12px}
.grid{position:relative;background:#fff;border:1px solid #d3dae6;border-radius:6px}
.box{position:absolute;box-sizing:border-box;border:1px solid #c5cfe0;border-radius:4px;padding:4px 6px;overflow:hidden;background:#fff}
.box .t{font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.box .k{display:inline-block;font-size:10px;padding:0 5px;border-radius:8px;color:#fff;margin:2px 0}
.box ul{margin:2px 0 0 14px;padding:0;font-size:11px} .box li{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.box .dv{font-size:10px;color:#69707d}
.xy{background:#f5f9ff} .xy .k{background:#006bb8}
.metric{background:#f4fbf8} .metric .k{background:#00805e}
.pie{background:#fff8f3} .pie .k{background:#c4407c}
.heatmap{background:#fff5f5} .heatmap .k{background:#bd271e}
.table{background:#fafafa} .table .k{background:#535966}
.map{background:linear-gradient(180deg,#cfe6f7,#e4f1e0)} .map .k{background:#6a4c93}
.markdown{background:#fffbea} .markdown .k{background:#8a6a0a}
code{font-size:11px}
</style></head><body>
<h1>shipper dashboards — layout preview</h1>
<div class="note">Drawn from the saved objects in dashboards/ (Kibana {{.Min}}+): each box is a panel at its grid position (48 columns, {{.Row}} px rows); the list shows the fields it aggregates.</div>
{{range .Dashboards}}
<h2>{{.Title}} <small style="color:#888">({{.ID}})</small></h2>
<div class="desc">{{.Description}}</div>
<div class="grid" style="height:{{.HeightPx}}px">
{{range .Boxes}}<div class="box {{.Kind}}" style="left:{{printf "%.3f" .Left}}%;width:{{printf "%.3f" .Width}}%;top:{{.Top}}px;height:{{.Height}}px">
<div class="t" title="{{.Title}}">{{.Title}}</div>
<span class="k">{{.Label}}</span> <span class="dv">{{.DataViews}}</span>
{{if .Fields}}<ul>{{range .Fields}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Markdown}}<ul>{{range .Markdown}}<li>{{.}}</li>{{end}}</ul>{{end}}
</div>{{end}}
</div>
{{end}}
</body></html>
`))

func main() {
	out := flag.String("o", "dashboards-preview.html", "HTML file to write")
	flag.Parse()
	src, err := dashboards.Source()
	if err != nil {
		fail(err)
	}
	var views []dashView
	for _, f := range src {
		if f.Object["type"] != "dashboard" {
			continue
		}
		ps, err := inspect.Panels(f.Object)
		if err != nil {
			fail(fmt.Errorf("%s: %w", f.Name, err))
		}
		attrs := f.Object["attributes"].(map[string]any)
		v := dashView{ID: f.Object["id"].(string), Title: attrs["title"].(string)}
		v.Description, _ = attrs["description"].(string)
		for _, p := range ps {
			b := boxView{Panel: p, Left: float64(p.X) * 100 / 48, Width: float64(p.W) * 100 / 48,
				Top: p.Y*rowPx + 4, Height: p.H*rowPx - 4}
			b.Kind, b.Label = kind(p)
			b.DataViews = strings.Join(p.DataViews, ", ")
			b.Fields = append(b.Fields, p.Columns...)
			for _, u := range p.Uses {
				if u.Op == "geo" {
					b.Fields = append(b.Fields, fmt.Sprintf("%s (%s)", u.Field, u.Where))
				}
			}
			if p.Query != "" {
				b.Fields = append(b.Fields, "query: "+p.Query)
			}
			for _, l := range strings.Split(p.Markdown, "\n") {
				if strings.HasPrefix(l, "- ") {
					b.Markdown = append(b.Markdown, strings.TrimPrefix(l, "- "))
				}
			}
			if bottom := (p.Y + p.H) * rowPx; bottom+8 > v.HeightPx {
				v.HeightPx = bottom + 8
			}
			v.Boxes = append(v.Boxes, b)
		}
		views = append(views, v)
	}
	order := map[string]int{"shipper-overview": 0, "shipper-squid": 1, "shipper-snort": 2, "shipper-interfaces": 3, "shipper-cpu": 4, "shipper-memory": 5}
	sort.SliceStable(views, func(i, j int) bool { return order[views[i].ID] < order[views[j].ID] })
	f, err := os.Create(*out)
	if err != nil {
		fail(err)
	}
	if err := page.Execute(f, map[string]any{"Dashboards": views, "Min": dashboards.MinKibana, "Row": rowPx}); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
	fmt.Fprintln(os.Stderr, "wrote", *out)
	// The page height, for a screenshot of all of it.
	h := 120
	for _, v := range views {
		h += v.HeightPx + 100
	}
	fmt.Println(h)
}

func kind(p inspect.Panel) (string, string) {
	switch p.VisType {
	case "lnsXY":
		return "xy", "XY " + p.Series
	case "lnsMetric":
		return "metric", "metric"
	case "lnsPie":
		return "pie", "donut"
	case "lnsHeatmap":
		return "heatmap", "heat map"
	case "lnsDatatable":
		return "table", "table"
	case "map":
		return "map", "map (grid of documents)"
	case "markdown":
		return "markdown", "markdown"
	}
	return "table", p.VisType
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "preview:", err)
	os.Exit(1)
}
