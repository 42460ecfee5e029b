package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/shipper-project/shipper/shipper/fields"
)

// Field formats of the data views (their fieldFormatMap), so that Discover,
// tooltips and new Lens panels show bytes, percentages and durations
// instead of raw numbers. The format ids and params are those of Kibana's
// field formatters (src/platform/plugins/shared/field_formats/common/
// converters/bytes.ts, percent.ts, duration.ts); Beats builds the same map
// from its fields.yml `format:` (libbeat/kibana/fields_transformer.go).
var (
	ffBytes   = obj{"id": "bytes"}
	ffPercent = obj{"id": "percent"} // our *.pct are 0–1 fractions (Metricbeat's convention)
	ffDurNs   = obj{"id": "duration", "params": obj{"inputFormat": "nanoseconds", "outputFormat": "humanizePrecise", "outputPrecision": 1, "showSuffix": true, "useShortSuffix": true}}
	ffDurMs   = obj{"id": "duration", "params": obj{"inputFormat": "milliseconds", "outputFormat": "humanizePrecise", "outputPrecision": 1, "showSuffix": true, "useShortSuffix": true}}
	ffDurS    = obj{"id": "duration", "params": obj{"inputFormat": "seconds", "outputFormat": "humanizePrecise", "outputPrecision": 1, "showSuffix": true, "useShortSuffix": true}}
)

// Amounts in bytes whose names do not say so (Metricbeat's system.memory.*
// and system.process.memory.size, in bytes like theirs).
var bytesFields = map[string]bool{
	"system.memory.total": true, "system.memory.free": true, "system.memory.actual.free": true,
	"system.memory.buffers": true, "system.memory.cached": true,
	"system.memory.swap.total": true, "system.memory.swap.free": true,
	"system.process.memory.size": true,
	"sflow.sample.frame_length":  true, "sflow.sample.header_length": true,
}

// Durations, by unit, as their fields.yml describe them.
var durationFields = map[string]obj{
	"event.duration":         ffDurNs, // ECS: nanoseconds
	"squid.request.duration": ffDurMs,
	"snmp.agent.uptime":      ffDurS,
	"snmp.rate.interval_s":   ffDurS,
}

// Flow fields (IANA information elements as netflow.<snake_case>): octet
// counts are bytes; durations, jitters, delta times and uptimes carry
// their unit in the name. Absolute times (min_flow_start_seconds,
// max_export_seconds, monitoring_interval_*) are instants, not durations.
var (
	octetCount = regexp.MustCompile(`(^|[._])(\w+_)?octet_(delta|total)_count$|_octets$`)
	durUnit    = regexp.MustCompile(`(_duration|jitter|_delta|uptime)_(nanoseconds|microseconds|milliseconds|millis|seconds)$`)
	unitOf     = map[string]string{"nanoseconds": "nanoseconds", "microseconds": "microseconds", "milliseconds": "milliseconds", "millis": "milliseconds", "seconds": "seconds"}
)

func durationIn(unit string) obj {
	return obj{"id": "duration", "params": obj{"inputFormat": unit, "outputFormat": "humanizePrecise", "outputPrecision": 1, "showSuffix": true, "useShortSuffix": true}}
}

// fieldFormat returns the data view format of a catalog field, or nil.
func fieldFormat(name, typ string) obj {
	switch typ {
	case "long", "integer", "short", "float", "double", "scaled_float", "half_float", "unsigned_long":
	default:
		return nil
	}
	switch {
	case durationFields[name] != nil:
		return durationFields[name]
	case strings.HasSuffix(name, ".pct"):
		return ffPercent
	case strings.HasSuffix(name, ".bytes"), strings.HasSuffix(name, "_bytes"),
		strings.HasSuffix(name, "_bytes_per_sec"), bytesFields[name],
		octetCount.MatchString(name):
		return ffBytes
	}
	if m := durUnit.FindStringSubmatch(name); m != nil {
		return durationIn(unitOf[m[2]])
	}
	return nil
}

// formatMap is the fieldFormatMap of a data view: the fields with a format
// among those of the fields.yml files it covers (paths from the repository
// root). The files are read directly, not through the input registry, so
// that registering an input does not change the generated data views.
func formatMap(root string, catalogs []string) (obj, error) {
	src := map[string][]byte{}
	for _, c := range catalogs {
		b, err := os.ReadFile(filepath.Join(root, c))
		if err != nil {
			return nil, err
		}
		src[c] = b
	}
	c, err := fields.Parse(src)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	m := obj{}
	for _, n := range names {
		if f := fieldFormat(n, c[n].Type); f != nil {
			m[n] = f
		}
	}
	return m, nil
}
