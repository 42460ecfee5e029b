package main

// The data views, one per data stream (index shipper-%{[event.dataset]}),
// plus one over all of them for the overview.
var (
	dvSquid   = dataView{"shipper-squid.access", "shipper-squid.access*", "shipper: squid access", catSquid}
	dvSnort   = dataView{"shipper-snort.alert", "shipper-snort.alert*", "shipper: snort3 alerts", catSnort}
	dvSNMP    = dataView{"shipper-snmp.interface", "shipper-snmp.interface*", "shipper: SNMP interfaces", catSNMP}
	dvCore    = dataView{"shipper-system.core", "shipper-system.core*", "shipper: CPU per core (mpstat)", catMpstat}
	dvCPU     = dataView{"shipper-system.cpu", "shipper-system.cpu*", "shipper: CPU all (mpstat)", catMpstat}
	dvMemory  = dataView{"shipper-system.memory", "shipper-system.memory*", "shipper: memory (meminfo)", catMeminfo}
	dvProcess = dataView{"shipper-system.process", "shipper-system.process*", "shipper: processes (pidstat)", catPidstat}
	// NetFlow/IPFIX and sFlow flow samples: both write Filebeat's netflow
	// shape (source/destination/network.bytes/packets, observer.ip); sFlow
	// counter samples (sflow.counters) go to the Interfaces dashboard.
	dvFlows = dataView{"shipper-flows", "shipper-netflow.log*,shipper-sflow.flow*", "shipper: flows (NetFlow, IPFIX, sFlow)", catFlows}
	// The flow inputs' exporter_stats documents (event.kind: metric): per
	// exporter and period, datagrams and flows received, lost (sequence
	// gaps) and dropped (socket, queue, size). Their own view, so that they
	// are never counted as flows.
	dvFlowStats = dataView{"shipper-flows.exporter_stats", "shipper-netflow.exporter_stats*,shipper-sflow.exporter_stats*", "shipper: flow exporters (received, lost, dropped)", catFlows}
	dvAll       = dataView{"shipper-all", "shipper-*", "shipper: all sources",
		concat(catSquid, catSnort, catSNMP, catMpstat, catMeminfo, catPidstat, catFlows)}
)

// The fields.yml each data view's documents come from (paths from the
// repository root), for its field formats.
var (
	catSquid   = []string{"inputs/squid/fields.yml"}
	catSnort   = []string{"inputs/snort/fields.yml"}
	catSNMP    = []string{"inputs/snmp/fields.yml"}
	catMpstat  = []string{"inputs/mpstat/fields.yml"}
	catMeminfo = []string{"inputs/meminfo/fields.yml"}
	catPidstat = []string{"inputs/pidstat/fields.yml"}
	catFlows   = []string{"inputs/netflow/fields.yml", "inputs/sflow/fields.yml"}
)

func concat(ls ...[]string) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l...)
	}
	return out
}

var dataViews = []dataView{dvAll, dvSquid, dvSnort, dvSNMP, dvCore, dvCPU, dvMemory, dvProcess, dvFlows, dvFlowStats}

// Dashboard ids: stable, so that `shipper setup --dashboards` overwrites.
const (
	idOverview   = "shipper-overview"
	idSquid      = "shipper-squid"
	idSnort      = "shipper-snort"
	idInterfaces = "shipper-interfaces"
	idCPU        = "shipper-cpu"
	idMemory     = "shipper-memory"
	idFlows      = "shipper-flows"
)

func dashboardsAll() []dashboard {
	return []dashboard{overview(), squid(), snort(), interfaces(), cpu(), memory(), flows()}
}

// lens is a shorthand for a Lens panel.
func lens(dv dataView, title string, w, h int, visType string, vis func(string, func(string) string) obj, cols ...column) panel {
	return panel{title: title, w: w, h: h, dataView: dv.id, visType: visType, vis: vis, cols: cols}
}

func topBars(dv dataView, title, field, dataType string, size, w, h int) panel {
	return lens(dv, title, w, h, "lnsXY", xy("bar_horizontal", "k", "", "n"),
		terms("k", field, dataType, size, field, "n"), count("n", "Events"))
}

func overview() dashboard {
	links := "### shipper dashboards\n\n" +
		"- [Squid proxy](#/view/" + idSquid + ") — requests, cache results, destinations on a map\n" +
		"- [Snort3 alerts](#/view/" + idSnort + ") — classifications, priorities, rules, sources\n" +
		"- [Interfaces (SNMP)](#/view/" + idInterfaces + ") — bits/s, utilisation, errors, status\n" +
		"- [CPU (mpstat)](#/view/" + idCPU + ") — per core and all CPUs\n" +
		"- [Memory and processes](#/view/" + idMemory + ") — meminfo, pidstat RSS and disk I/O\n" +
		"- [Flows](#/view/" + idFlows + ") — NetFlow/IPFIX and sFlow: top talkers, destinations on a map, protocols, exporters\n"
	return dashboard{
		id: idOverview, title: "[shipper] Overview",
		desc: "What the shipper sends, per source, with links to each source's dashboard.",
		panels: []panel{
			{title: "Dashboards", w: 16, h: 14, markdown: links},
			lens(dvAll, "Events per data set", 32, 14, "lnsXY", xy("bar_stacked", "x-time", "ds", "n"),
				dateHistogram(), terms("ds", "event.dataset", dtString, 10, "Data set", "n"), count("n", "Events")),
			lens(dvSquid, "Squid requests", 12, 7, "lnsMetric", metricVis("n"), count("n", "Requests")),
			lens(dvSnort, "Snort3 alerts", 12, 7, "lnsMetric", metricVis("n"), count("n", "Alerts")),
			lens(dvCPU, "CPU busy (all CPUs, average)", 12, 7, "lnsMetric", metricVis("m"),
				metric("m", "average", "system.cpu.total.norm.pct", "CPU busy", fmtPercent)),
			lens(dvMemory, "Available memory (last)", 12, 7, "lnsMetric", metricVis("m"),
				lastValue("m", "system.memory.actual.free", dtNumber, "Available memory", fmtBytes)),
			lens(dvFlows, "Flow traffic", 12, 7, "lnsMetric", metricVis("b"),
				metric("b", "sum", "network.bytes", "Bytes in flows", fmtBytes)),
			lens(dvFlows, "Flow traffic over time", 36, 7, "lnsXY", xy("area_stacked", "x-time", "t", "b"),
				dateHistogram(), terms("t", "network.transport", dtString, 5, "Transport", "b"),
				metric("b", "sum", "network.bytes", "Bytes", fmtBytes)),
			lens(dvAll, "Events per host and data set", 48, 12, "lnsDatatable", table("host", "ds", "n"),
				terms("host", "host.name", dtString, 20, "Host", "n"),
				terms("ds", "event.dataset", dtString, 20, "Data set", "n"),
				count("n", "Events")),
		},
	}
}

func squid() dashboard {
	dv := dvSquid
	return dashboard{
		id: idSquid, title: "[shipper] Squid proxy",
		desc: "Squid access.log: requests by cache result and status, destinations (GeoIP map), URLs, bytes, response time, clients and users.",
		panels: []panel{
			lens(dv, "Requests", 12, 6, "lnsMetric", metricVis("n"), count("n", "Requests")),
			lens(dv, "Bytes served", 12, 6, "lnsMetric", metricVis("b"),
				metric("b", "sum", "http.response.bytes", "Bytes served", fmtBytes)),
			lens(dv, "Median response time", 12, 6, "lnsMetric", metricVis("d"),
				metric("d", "median", "squid.request.duration", "Median response time", fmtMs)),
			lens(dv, "Clients", 12, 6, "lnsMetric", metricVis("c"),
				metric("c", "unique_count", "source.ip", "Distinct clients", nil)),
			lens(dv, "Requests over time by cache result", 28, 14, "lnsXY", xy("bar_stacked", "x-time", "r", "n"),
				dateHistogram(), terms("r", "event.action", dtString, 10, "Cache result", "n"), count("n", "Requests")),
			lens(dv, "Cache results", 20, 14, "lnsPie", pie("donut", "r", "n"),
				terms("r", "event.action", dtString, 10, "Cache result", "n"), count("n", "Requests")),
			lens(dv, "Status codes over time", 28, 12, "lnsXY", xy("bar_stacked", "x-time", "s", "n"),
				dateHistogram(), terms("s", "http.response.status_code", dtNumber, 10, "HTTP status", "n"), count("n", "Requests")),
			lens(dv, "Status code breakdown", 20, 12, "lnsPie", pie("donut", "s", "n"),
				terms("s", "http.response.status_code", dtNumber, 10, "HTTP status", "n"), count("n", "Requests")),
			lens(dv, "Destinations (GeoIP)", 48, 20, "", nil).withMap(
				mapLayer{label: "Destinations", dataView: dv.id, geoField: "destination.geo.location", color: "Blues"}),
			topBars(dv, "Top destinations", "url.domain", dtString, 15, 16, 14),
			topBars(dv, "Top destination countries", "destination.geo.country_name", dtString, 10, 16, 14),
			lens(dv, "Top destinations by bytes", 16, 14, "lnsXY", xy("bar_horizontal", "k", "", "b"),
				terms("k", "url.domain", dtString, 15, "Destination", "b"),
				metric("b", "sum", "http.response.bytes", "Bytes served", fmtBytes)),
			lens(dv, "Top URLs", 48, 14, "lnsDatatable", table("u", "n", "b", "d"),
				terms("u", "url.original", dtString, 20, "URL", "n"), count("n", "Requests"),
				metric("b", "sum", "http.response.bytes", "Bytes", fmtBytes),
				metric("d", "median", "squid.request.duration", "Median time", fmtMs)),
			lens(dv, "Bytes served over time", 24, 12, "lnsXY", xy("area_stacked", "x-time", "r", "b"),
				dateHistogram(), terms("r", "event.action", dtString, 5, "Cache result", "b"),
				metric("b", "sum", "http.response.bytes", "Bytes served", fmtBytes)),
			lens(dv, "Response time", 24, 12, "lnsXY", xy("line", "x-time", "", "p50", "p95"),
				dateHistogram(),
				metric("p50", "median", "squid.request.duration", "Median", fmtMs),
				percentile("p95", "squid.request.duration", 95, "95th percentile", fmtMs)),
			lens(dv, "Top clients", 16, 14, "lnsXY", xy("bar_horizontal", "k", "", "n"),
				terms("k", "source.ip", dtIP, 15, "Client", "n"), count("n", "Requests")),
			topBars(dv, "Top users", "user.name", dtString, 15, 16, 14),
			withQuery(topBars(dv, "Denied requests by client", "source.ip", dtIP, 10, 16, 14),
				`event.action : TCP_DENIED* or http.response.status_code >= 400`),
		},
	}
}

func snort() dashboard {
	dv := dvSnort
	return dashboard{
		id: idSnort, title: "[shipper] Snort3 alerts",
		desc: "Snort3 alert_json: activity by classification, priority vs classification, activity over time, packet sizes, top rules, sources and destinations.",
		panels: []panel{
			lens(dv, "Alerts", 12, 6, "lnsMetric", metricVis("n"), count("n", "Alerts")),
			lens(dv, "Distinct rules", 12, 6, "lnsMetric", metricVis("r"),
				metric("r", "unique_count", "rule.id", "Distinct rules", nil)),
			lens(dv, "Distinct sources", 12, 6, "lnsMetric", metricVis("s"),
				metric("s", "unique_count", "source.ip", "Distinct sources", nil)),
			withQuery(lens(dv, "High priority alerts (1)", 12, 6, "lnsMetric", metricVis("n"), count("n", "Priority 1 alerts")),
				"event.severity <= 1"),
			lens(dv, "Activity by classification", 24, 14, "lnsXY", xy("bar_horizontal", "c", "", "n"),
				terms("c", "rule.category", dtString, 15, "Classification", "n"), count("n", "Alerts")),
			lens(dv, "Event priority vs classification", 24, 14, "lnsHeatmap", heatmap("c", "p", "n"),
				terms("c", "rule.category", dtString, 10, "Classification", "n"),
				terms("p", "event.severity", dtNumber, 5, "Priority", "n"), count("n", "Alerts")),
			lens(dv, "Activity over time", 48, 12, "lnsXY", xy("bar_stacked", "x-time", "c", "n"),
				dateHistogram(), terms("c", "rule.category", dtString, 8, "Classification", "n"), count("n", "Alerts")),
			lens(dv, "Histogram of logged packet sizes", 24, 12, "lnsXY", xy("bar", "len", "", "n"),
				rangeHistogram("len", "snort.packet.length", "Packet length (bytes)"), count("n", "Alerts")),
			lens(dv, "Actions", 12, 12, "lnsPie", pie("donut", "a", "n"),
				terms("a", "event.action", dtString, 10, "Action", "n"), count("n", "Alerts")),
			lens(dv, "Transport", 12, 12, "lnsPie", pie("donut", "t", "n"),
				terms("t", "network.transport", dtString, 10, "Transport", "n"), count("n", "Alerts")),
			lens(dv, "Top rules", 48, 14, "lnsDatatable", table("msg", "sid", "n", "src"),
				terms("msg", "rule.description", dtString, 20, "Rule", "n"),
				terms("sid", "rule.id", dtString, 3, "SID", "n"),
				count("n", "Alerts"),
				metric("src", "unique_count", "source.ip", "Sources", nil)),
			lens(dv, "Top sources", 16, 14, "lnsXY", xy("bar_horizontal", "k", "", "n"),
				terms("k", "source.ip", dtIP, 15, "Source", "n"), count("n", "Alerts")),
			lens(dv, "Top destinations", 16, 14, "lnsXY", xy("bar_horizontal", "k", "", "n"),
				terms("k", "destination.ip", dtIP, 15, "Destination", "n"), count("n", "Alerts")),
			lens(dv, "Top destination ports", 16, 14, "lnsXY", xy("bar_horizontal", "k", "", "n"),
				terms("k", "destination.port", dtNumber, 15, "Port", "n"), count("n", "Alerts")),
			lens(dv, "Alert sources (GeoIP)", 48, 20, "", nil).withMap(
				mapLayer{label: "Sources", dataView: dv.id, geoField: "source.geo.location", color: "Reds"},
				mapLayer{label: "Destinations", dataView: dv.id, geoField: "destination.geo.location", color: "Blues"}),
		},
	}
}

func interfaces() dashboard {
	dv := dvSNMP
	perIf := func(title, field, label string, format obj) panel {
		return lens(dv, title, 24, 13, "lnsXY", xy("line", "x-time", "if", "v"),
			dateHistogram(), terms("if", "system.network.name", dtString, 10, "Interface", "v"),
			metric("v", "average", field, label, format))
	}
	return dashboard{
		id: idInterfaces, title: "[shipper] Interfaces (SNMP)",
		desc: "IF-MIB interface counters polled by the snmp input: bits per second, utilisation, errors and discards per interface, operational status.",
		panels: []panel{
			perIf("Inbound bits per second", "snmp.rate.in.bps", "In", fmtBits),
			perIf("Outbound bits per second", "snmp.rate.out.bps", "Out", fmtBits),
			perIf("Inbound utilisation", "snmp.utilization.in.pct", "In utilisation", fmtPercent),
			perIf("Outbound utilisation", "snmp.utilization.out.pct", "Out utilisation", fmtPercent),
			lens(dv, "Errors per second", 24, 12, "lnsXY", xy("bar_stacked", "x-time", "if", "in", "out"),
				dateHistogram(), terms("if", "system.network.name", dtString, 10, "Interface", "in"),
				metric("in", "average", "snmp.rate.in.errors_ps", "In errors/s", fmtNumber),
				metric("out", "average", "snmp.rate.out.errors_ps", "Out errors/s", fmtNumber)),
			lens(dv, "Discards per second", 24, 12, "lnsXY", xy("bar_stacked", "x-time", "if", "in", "out"),
				dateHistogram(), terms("if", "system.network.name", dtString, 10, "Interface", "in"),
				metric("in", "average", "snmp.rate.in.discards_ps", "In discards/s", fmtNumber),
				metric("out", "average", "snmp.rate.out.discards_ps", "Out discards/s", fmtNumber)),
			lens(dv, "Interface status", 48, 14, "lnsDatatable", table("dev", "if", "oper", "admin", "speed", "in", "out"),
				terms("dev", "snmp.agent.address", dtString, 10, "Agent", "in"),
				terms("if", "system.network.name", dtString, 50, "Interface", "in"),
				lastValue("oper", "snmp.interface.oper_status", dtString, "Oper status", nil),
				lastValue("admin", "snmp.interface.admin_status", dtString, "Admin status", nil),
				lastValue("speed", "snmp.interface.speed_bps", dtNumber, "Speed", fmtBits),
				metric("in", "max", "snmp.rate.in.bps", "Peak in", fmtBits),
				metric("out", "max", "snmp.rate.out.bps", "Peak out", fmtBits)),
		},
	}
}

// cpuStates are mpstat's columns in the order the talk shows them.
var cpuStates = []struct{ key, label string }{
	{"user", "user"}, {"system", "sys"}, {"nice", "nice"}, {"irq", "irq"},
	{"softirq", "softirq"}, {"iowait", "iowait"}, {"steal", "steal"}, {"guest", "guest"},
}

func cpu() dashboard {
	coreCols := []column{terms("core", "system.core.id", dtNumber, 64, "Core", "user")}
	allCols := []column{dateHistogram()}
	var keys []string
	for _, s := range cpuStates {
		keys = append(keys, s.key)
		coreCols = append(coreCols, metric(s.key, "average", "system.core."+s.key+".pct", s.label, fmtPercent))
		allCols = append(allCols, metric(s.key, "average", "system.cpu."+s.key+".norm.pct", s.label, fmtPercent))
	}
	return dashboard{
		id: idCPU, title: "[shipper] CPU (mpstat)",
		desc: "mpstat -P ALL: usage per core over time, the user/sys/nice/irq/softirq/iowait/steal/guest breakdown of each core, and all CPUs together.",
		panels: []panel{
			lens(dvCore, "Per-core CPU usage (mpstat)", 48, 14, "lnsXY", xy("line", "x-time", "core", "t"),
				dateHistogram(), terms("core", "system.core.id", dtNumber, 64, "Core", "t"),
				metric("t", "average", "system.core.total.pct", "Busy", fmtPercent)),
			lens(dvCore, "CPU breakdown per core", 24, 16, "lnsXY", xy("bar_horizontal_stacked", "core", "", keys...), coreCols...),
			lens(dvCore, "CPU breakdown per core (table)", 24, 16, "lnsDatatable", table(append([]string{"core"}, keys...)...), coreCols...),
			lens(dvCPU, "All-CPU usage", 32, 14, "lnsXY", xy("area_stacked", "x-time", "", keys...), allCols...),
			lens(dvCPU, "All-CPU busy", 16, 14, "lnsMetric", metricVis("t"),
				metric("t", "average", "system.cpu.total.norm.pct", "Busy (all CPUs)", fmtPercent)),
			lens(dvCore, "Busiest cores", 48, 12, "lnsXY", xy("bar_stacked", "x-time", "core", "io", "irq", "soft"),
				dateHistogram(), terms("core", "system.core.id", dtNumber, 8, "Core", "io"),
				metric("io", "max", "system.core.iowait.pct", "max iowait", fmtPercent),
				metric("irq", "max", "system.core.irq.pct", "max irq", fmtPercent),
				metric("soft", "max", "system.core.softirq.pct", "max softirq", fmtPercent)),
		},
	}
}

func memory() dashboard {
	return dashboard{
		id: idMemory, title: "[shipper] Memory and processes",
		desc: "meminfo: available memory over time; pidstat -r: RSS by process name; pidstat -d: disk read/write per task; pidstat -u: CPU per process.",
		panels: []panel{
			lens(dvMemory, "Available memory", 32, 13, "lnsXY", xy("area", "x-time", "", "a"),
				dateHistogram(), metric("a", "average", "system.memory.actual.free", "Available (MemAvailable)", fmtBytes)),
			lens(dvMemory, "Memory in use", 16, 13, "lnsXY", xy("line", "x-time", "", "u", "s"),
				dateHistogram(),
				metric("u", "average", "system.memory.actual.used.pct", "Used", fmtPercent),
				metric("s", "average", "system.memory.swap.used.pct", "Swap used", fmtPercent)),
			lens(dvProcess, "RSS by process name", 48, 14, "lnsXY", xy("area_stacked", "x-time", "p", "rss"),
				dateHistogram(), terms("p", "process.name", dtString, 10, "Process", "rss"),
				metric("rss", "average", "system.process.memory.rss.bytes", "Average RSS per process", fmtBytes)),
			lens(dvProcess, "Disk read per task", 24, 13, "lnsXY", xy("line", "x-time", "p", "r"),
				dateHistogram(), terms("p", "process.name", dtString, 10, "Task", "r"),
				metric("r", "average", "system.process.io.read_bytes_per_sec", "Read", fmtBytesPS)),
			lens(dvProcess, "Disk write per task", 24, 13, "lnsXY", xy("line", "x-time", "p", "w"),
				dateHistogram(), terms("p", "process.name", dtString, 10, "Task", "w"),
				metric("w", "average", "system.process.io.write_bytes_per_sec", "Write", fmtBytesPS)),
			lens(dvProcess, "Top processes by memory", 24, 14, "lnsDatatable", table("p", "rss", "pct", "vsz"),
				terms("p", "process.name", dtString, 20, "Process", "rss"),
				metric("rss", "max", "system.process.memory.rss.bytes", "Max RSS", fmtBytes),
				metric("pct", "max", "system.process.memory.rss.pct", "Max %MEM", fmtPercent),
				metric("vsz", "max", "system.process.memory.size", "Max VSZ", fmtBytes)),
			lens(dvProcess, "Top processes by CPU", 24, 14, "lnsXY", xy("bar_horizontal", "p", "", "c"),
				terms("p", "process.name", dtString, 15, "Process", "c"),
				metric("c", "average", "system.process.cpu.total.pct", "Average CPU", fmtPercent)),
		},
	}
}

func withQuery(p panel, kql string) panel {
	p.query = kql
	return p
}

func (p panel) withMap(layers ...mapLayer) panel {
	p.mapLayers = layers
	p.visType = ""
	return p
}

// flows is the NetFlow/IPFIX and sFlow dashboard. Bytes and packets are
// network.bytes/packets: the flow's totals for NetFlow/IPFIX, the traffic a
// sample stands for (frame length × sampling rate) for sFlow.
func flows() dashboard {
	dv, st := dvFlows, dvFlowStats
	bytesBy := func(title, field, dataType string, size, w, h int) panel {
		return lens(dv, title, w, h, "lnsXY", xy("bar_horizontal", "k", "", "b"),
			terms("k", field, dataType, size, field, "b"),
			metric("b", "sum", "network.bytes", "Bytes", fmtBytes))
	}
	return dashboard{
		id: idFlows, title: "[shipper] Flows",
		desc: "NetFlow v5/v9, IPFIX and sFlow flow samples: traffic over time, top talkers and destinations by bytes, destinations on a map, protocols and ports, flows per exporter, datagrams lost on the way (sequence gaps) or dropped by the shipper (from the inputs' exporter_stats documents), samples dropped by sFlow agents.",
		panels: []panel{
			lens(dv, "Flows", 12, 6, "lnsMetric", metricVis("n"), count("n", "Flow records")),
			lens(dv, "Bytes", 12, 6, "lnsMetric", metricVis("b"),
				metric("b", "sum", "network.bytes", "Bytes", fmtBytes)),
			lens(dv, "Packets", 12, 6, "lnsMetric", metricVis("p"),
				metric("p", "sum", "network.packets", "Packets", fmtNumber)),
			lens(dv, "Exporters", 12, 6, "lnsMetric", metricVis("e"),
				metric("e", "unique_count", "observer.ip", "Exporters and agents", nil)),
			lens(dv, "Bytes over time", 24, 12, "lnsXY", xy("area_stacked", "x-time", "t", "b"),
				dateHistogram(), terms("t", "network.transport", dtString, 5, "Transport", "b"),
				metric("b", "sum", "network.bytes", "Bytes", fmtBytes)),
			lens(dv, "Packets over time", 24, 12, "lnsXY", xy("area_stacked", "x-time", "t", "p"),
				dateHistogram(), terms("t", "network.transport", dtString, 5, "Transport", "p"),
				metric("p", "sum", "network.packets", "Packets", fmtNumber)),
			bytesBy("Top talkers (sources by bytes)", "source.ip", dtIP, 15, 16, 14),
			bytesBy("Top destinations by bytes", "destination.ip", dtIP, 15, 16, 14),
			bytesBy("Top destination countries by bytes", "destination.geo.country_name", dtString, 10, 16, 14),
			lens(dv, "Destinations (GeoIP)", 48, 20, "", nil).withMap(
				mapLayer{label: "Destinations", dataView: dv.id, geoField: "destination.geo.location", color: "Blues"},
				mapLayer{label: "Sources", dataView: dv.id, geoField: "source.geo.location", color: "Reds"}),
			lens(dv, "Protocols", 16, 14, "lnsPie", pie("donut", "t", "b"),
				terms("t", "network.transport", dtString, 10, "Transport", "b"),
				metric("b", "sum", "network.bytes", "Bytes", fmtBytes)),
			bytesBy("Top destination ports by bytes", "destination.port", dtNumber, 15, 16, 14),
			lens(dv, "Top conversations", 16, 14, "lnsDatatable", table("s", "d", "b", "p"),
				terms("s", "source.ip", dtIP, 10, "Source", "b"),
				terms("d", "destination.ip", dtIP, 5, "Destination", "b"),
				metric("b", "sum", "network.bytes", "Bytes", fmtBytes),
				metric("p", "sum", "network.packets", "Packets", fmtNumber)),
			// From the exporter_stats documents: flows received per
			// exporter, and every way a datagram went missing. The counts
			// are per period, so sums over a bucket are exact.
			lens(st, "Flows per exporter", 24, 12, "lnsXY", xy("bar_stacked", "x-time", "e", "n"),
				dateHistogram(), terms("e", "observer.ip", dtIP, 10, "Exporter", "n"),
				metric("n", "sum", "flow.stats.flows", "Flows (records or samples)", fmtNumber)),
			lens(st, "Lost datagrams", 24, 12, "lnsXY", xy("bar_stacked", "x-time", "", "l", "k", "q", "b", "r"),
				dateHistogram(),
				metric("l", "sum", "flow.stats.lost.datagrams", "Lost on the way (sequence gaps)", fmtNumber),
				metric("k", "sum", "flow.stats.dropped.kernel", "Dropped: socket buffer full (read_buffer)", fmtNumber),
				metric("q", "sum", "flow.stats.dropped.queue_full", "Dropped: decode queue full (output too slow)", fmtNumber),
				metric("b", "sum", "flow.stats.dropped.too_big", "Dropped: larger than max_message_size", fmtNumber),
				metric("r", "sum", "flow.stats.lost.flows", "Flow records lost on the way (v5, IPFIX sequence gaps)", fmtNumber)),
			lens(st, "Received and lost per exporter", 24, 12, "lnsDatatable", table("e", "d", "n", "l", "r", "x"),
				terms("e", "observer.ip", dtIP, 20, "Exporter", "d"),
				metric("d", "sum", "flow.stats.datagrams", "Datagrams", fmtNumber),
				metric("n", "sum", "flow.stats.flows", "Flows", fmtNumber),
				metric("l", "sum", "flow.stats.lost.datagrams", "Datagrams lost", fmtNumber),
				metric("r", "sum", "flow.stats.lost.flows", "Flow records lost", fmtNumber),
				metric("x", "sum", "flow.stats.dropped.queue_full", "Dropped (queue full)", fmtNumber)),
			lens(dv, "Samples dropped by sFlow agents", 24, 12, "lnsXY", xy("line", "x-time", "a", "d"),
				dateHistogram(), terms("a", "sflow.agent.address", dtIP, 10, "Agent", "d"),
				metric("d", "max", "sflow.sample.drops", "Dropped samples (agent's count)", fmtNumber)),
		},
	}
}
