package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Support says how shipper reads one family of filebeat.yml keys.
type Support string

// The kinds of support, as the README's compatibility table writes them.
const (
	Same         Support = "same"          // accepted, same meaning as in Filebeat
	Different    Support = "different"     // accepted, with the difference in Note
	NotSupported Support = "not supported" // refused at load; Note says why
)

// CompatEntry is one row of the compatibility table for a key family. Key is
// a dotted key path; for NotSupported entries the loader refuses the key
// (and everything under it) with Note as the reason.
type CompatEntry struct {
	Key     string
	Support Support
	Note    string
}

// Compat lists filebeat.yml's top-level key families (filebeat.reference.yml
// of Filebeat 8.x/9.x) and how shipper reads them. It is the single source of
// the README's table (generated and checked by shipper/cli's
// TestREADMECompatibilityTable) and of the loader's "not supported" errors,
// so the two cannot drift. Inputs, processors and outputs are listed from
// their registries; see BeatsInputs, BeatsProcessors and BeatsOutputs.
var Compat = []CompatEntry{
	{"filebeat.inputs", Same, "also spelled `shipper.inputs`; both at once is an error"},
	{"filebeat.inputs[].enabled", Same, "`enabled: false` skips the input (not validated, as in Filebeat)"},
	{"filebeat.inputs[].index", Different, "a format string as in Filebeat (`squid-%{[agent.version]}-%{+yyyy.MM.dd}`: the agent's name and version, the event's own date; lower-cased), but `%{[agent.name]}` is `shipper` (Filebeat: `filebeat`) and the version shipper's; a field it cannot see (`%{[host.name]}`) is a configuration error, where Filebeat drops every event of the input"},
	{"filebeat.registry.path", Different, "the directory of shipper's own `registry.json` (relative to `path.data`); Filebeat's registry files are not read"},
	{"filebeat.registry.flush", Same, "default 1s in both; also spelled `shipper.registry.flush`"},
	{"filebeat.registry.file_permissions", Different, "only `0600` is accepted: the registry is always written 0600"},
	{"filebeat.registry.migrate_file", NotSupported, "there is no older Filebeat registry to migrate; inputs start from their configured position"},
	{"filebeat.config.inputs", NotSupported, "inputs are listed in the one configuration file; reload it with SIGHUP (`systemctl reload shipper`)"},
	{"filebeat.config.modules", NotSupported, "Filebeat modules are not shipped; the `squid` and `snort` inputs parse on the router"},
	{"filebeat.modules", NotSupported, "Filebeat modules are not shipped; the `squid` and `snort` inputs parse on the router"},
	{"filebeat.autodiscover", NotSupported, "no container runtime to discover on a router"},
	{"filebeat.overwrite_pipelines", NotSupported, "no module ingest pipelines: documents are parsed on the router"},
	{"filebeat.shutdown_timeout", Different, "same meaning, but shipper's default is 10s (`shipper.shutdown_timeout`), Filebeat's 0 (no wait)"},
	{"name", Same, "`agent.name`; default: the host name"},
	{"tags", Same, "added to every event's `tags`"},
	{"fields", Same, "under `fields.*` unless `fields_under_root: true`; an input's `fields` win over the global ones"},
	{"fields_under_root", Same, ""},
	{"processors", Same, "global processors, after each input's own; see the processors below"},
	{"max_procs", Different, "default 1 (Filebeat: every CPU): one of the router's cores, and less CPU per event; 0: every CPU, as in Filebeat; `GOMAXPROCS` in the environment wins; see CPU"},
	{"gc_percent", Different, "default 200 (Filebeat: Go's 100); 0: the default, as in Beats; a negative value is refused (Beats ignores it); `GOGC` in the environment wins (in Beats the setting does); see Memory"},
	{"queue.mem.events", Same, "default 1024 (Filebeat: 3200): a router's RAM, and less CPU per event; see CPU"},
	{"queue.mem.bytes", Different, "default 8MiB (Filebeat: none; the key is in Beats' source, undocumented): bounds the events' estimated size beside `queue.mem.events`, which stays in force; see Memory"},
	{"queue.mem.flush.min_events", Same, ""},
	{"queue.mem.flush.timeout", Same, ""},
	{"queue.disk", Different, "`max_size` (default 32MiB, flash), `segment_size`, `sync_interval`, `path`; Filebeat's `read_ahead`, `write_ahead`, `retry_interval` are not read"},
	{"output.elasticsearch.index", Different, "a format string as in Beats (`%{[field]}`, `%{[field]:default}`, Beats' date patterns `%{+yyyy.MM.dd}`), every name lower-cased as Beats does (literals, field values, an event's own index); default `shipper-%{[event.dataset]:generic}` (Filebeat: `filebeat-%{[agent.version]}-%{+yyyy.MM.dd}`); an event whose `%{[field]}` has no value goes to the dead-letter file (in Beats Elasticsearch refuses it); see [elasticsearch](outputs/elasticsearch)"},
	{"output.elasticsearch.indices", NotSupported, "not implemented: one `index` format string; route with a processor that sets the field it names"},
	{"output.*.enabled", Same, "exactly one enabled output; `-E output.console.enabled=false -E output.file.enabled=true` switches outputs"},
	{"path.home", Same, "`--path.home`"},
	{"path.config", Same, "`--path.config`: the directory of a relative `-c` file"},
	{"path.data", Same, "`--path.data`: registry, dead-letter file, keystore, disk queue"},
	{"path.logs", Same, "`--path.logs`: where `logging.to_files: true` writes"},
	{"logging.level", Same, ""},
	{"logging.selectors", Different, "any selector turns on debug logging for everything (as `-d`)"},
	{"logging.to_stderr", Same, "`-e`"},
	{"logging.json", Same, ""},
	{"logging.metrics", Same, "`enabled`, `period`"},
	{"logging.to_files", Different, "default false (Filebeat: true): logs go to stderr (the journal), to spare the router's flash"},
	{"logging.files", Different, "`path` (default `path.logs`), `name` (default `shipper`), `rotateeverybytes`, `keepfiles`, `permissions`; not `interval`, `rotateonstartup`"},
	{"logging.to_syslog", NotSupported, "log to stderr; systemd's journal forwards to syslog"},
	{"logging.to_eventlog", NotSupported, "Windows only"},
	{"http", Same, "`enabled`, `host`, `port`: `/stats` (Beats-like), `/metrics` (Prometheus), `/` (status page)"},
	{"monitoring", NotSupported, "metrics are served on `http.*` (`/stats`, `/metrics`), not shipped to a monitoring cluster"},
	{"cloud.id", NotSupported, "write `output.elasticsearch.hosts` and `api_key`"},
	{"cloud.auth", NotSupported, "write `output.elasticsearch.username`/`password` or `api_key`"},
	{"seccomp", NotSupported, "the systemd unit's `SystemCallFilter=` confines the process"},
	{"instrumentation", NotSupported, "no APM agent in the binary"},
	{"keystore.path", NotSupported, "the keystore is `path.data/shipper.keystore` (see Secrets)"},
	{"setup.template", Different, "installed on connect when missing, as Beats (`overwrite: true` replaces it), and by `shipper setup --index-management`; checked by `test config` and `run`; the template comes from shipper's field catalog (name `shipper`, pattern `shipper-*`, 0 replicas); `settings.index.*`/`_source` passed through"},
	{"setup.ilm", Different, "installed on connect when missing, as Beats (Beats' default policy: rollover at 50gb/30d, no delete; `policy_file`, `overwrite`, `check_exists` as Beats); policy name `shipper`; extra keys `rollover.*`, `delete_after`"},
	{"setup.dashboards", Different, "`shipper export dashboards` / `shipper setup --dashboards`"},
	{"setup.kibana", Same, ""},
}

// BeatsInputs are Filebeat's input types; those not registered in shipper
// are refused with the reason given here.
var BeatsInputs = map[string]string{
	"filestream":       "",
	"log":              "deprecated in Filebeat 7.16; use `type: filestream` (same `paths`)",
	"container":        "no container runtime on a router",
	"stdin":            "not implemented: the shipper runs as a service",
	"tcp":              "not implemented",
	"udp":              "not implemented",
	"syslog":           "not implemented; read the file syslog writes with filestream",
	"journald":         "not implemented",
	"netflow":          "not implemented",
	"http_endpoint":    "not implemented",
	"httpjson":         "not implemented",
	"kafka":            "not implemented",
	"redis":            "not implemented",
	"mqtt":             "not implemented",
	"unix":             "not implemented",
	"aws-s3":           "cloud sources are out of scope for a router",
	"aws-cloudwatch":   "cloud sources are out of scope for a router",
	"azure-eventhub":   "cloud sources are out of scope for a router",
	"gcp-pubsub":       "cloud sources are out of scope for a router",
	"cel":              "not implemented",
	"entity-analytics": "cloud sources are out of scope for a router",
}

// BeatsProcessors are the processors Filebeat documents; those not
// registered in shipper are refused with the reason given here ("" when a
// plain "not implemented" is all there is to say).
var BeatsProcessors = map[string]string{
	"add_cloud_metadata": "no cloud metadata service on a router", "add_docker_metadata": "no container runtime on a router",
	"add_kubernetes_metadata": "no container runtime on a router", "add_nomad_metadata": "no container runtime on a router",
	"add_fields": "", "add_host_metadata": "", "add_id": "", "add_labels": "", "add_locale": "", "add_tags": "",
	"add_network_direction": "", "add_observer_metadata": "", "add_process_metadata": "", "add_session_metadata": "Linux audit sessions are out of scope",
	"append": "", "community_id": "", "convert": "", "copy_fields": "", "decode_base64_field": "", "decode_cef": "",
	"decode_csv_fields": "", "decode_duration": "", "decode_json_fields": "", "decode_xml": "", "decode_xml_wineventlog": "Windows only",
	"decompress_gzip_field": "", "detect_mime_type": "", "dissect": "", "dns": "", "drop_event": "", "drop_fields": "",
	"extract_array": "", "fingerprint": "", "include_fields": "", "move_fields": "", "rate_limit": "", "registered_domain": "",
	"rename": "", "replace": "", "script": "no JavaScript engine in the binary (size, CPU)", "syslog": "", "timestamp": "",
	"translate_ldap_attribute": "no directory service on a router", "translate_sid": "Windows only", "truncate_fields": "", "urldecode": "",
}

// BeatsOutputs are Filebeat's outputs; those not registered in shipper are
// refused with the reason given here.
var BeatsOutputs = map[string]string{
	"elasticsearch": "", "console": "", "file": "",
	"logstash": "not implemented: ship to Elasticsearch directly (parsing happens on the router)",
	"kafka":    "not implemented", "redis": "not implemented", "discard": "not implemented",
}

// NotImplemented is the reason given for a Beats plugin without one.
const NotImplemented = "not implemented"

// refuseUnsupported reports every key of root that Compat marks as not
// supported, each with its line and reason, and removes it so that the
// strict decoder does not report it a second time as unknown.
func refuseUnsupported(root *yaml.Node, file string) []error {
	var errs []error
	for _, c := range Compat {
		if c.Support != NotSupported {
			continue
		}
		if k := removeKey(root, strings.Split(c.Key, ".")); k != nil {
			errs = append(errs, &Error{File: file, Line: k.Line, Path: c.Key,
				Msg: fmt.Sprintf("not supported: %s", plain(c.Note))})
		}
	}
	return errs
}

// removeKey deletes the dotted key from the mapping n and returns its key
// node (nil when absent). A mapping left empty by the removal goes too, so
// that filebeat.config with only modules under it is not then reported as
// an unknown, empty filebeat.config.
func removeKey(n *yaml.Node, parts []string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != parts[0] {
			continue
		}
		k, v := n.Content[i], n.Content[i+1]
		if len(parts) > 1 {
			found := removeKey(v, parts[1:])
			if found != nil && len(v.Content) == 0 {
				n.Content = append(n.Content[:i:i], n.Content[i+2:]...)
			}
			return found
		}
		n.Content = append(n.Content[:i:i], n.Content[i+2:]...)
		return k
	}
	return nil
}

// lookupParent returns the mapping holding the last part of a dotted key.
func lookupParent(root *yaml.Node, key string) (*yaml.Node, string) {
	parts := strings.Split(key, ".")
	n := root
	for _, p := range parts[:len(parts)-1] {
		n = Section{Node: n}.Lookup(p)
		if n == nil || n.Kind != yaml.MappingNode {
			return nil, ""
		}
	}
	return n, parts[len(parts)-1]
}

// plain drops the Markdown backquotes of a table note for an error message.
func plain(s string) string { return strings.ReplaceAll(s, "`", "") }
