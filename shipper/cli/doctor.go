package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shipper-project/shipper/dashboards"
	"github.com/shipper-project/shipper/inputs"
	"github.com/shipper-project/shipper/outputs/elasticsearch"
	"github.com/shipper-project/shipper/outputs/elasticsearch/idxmgmt"
	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/geoip"
	"github.com/shipper-project/shipper/shipper/config"
	"github.com/shipper-project/shipper/shipper/runner"
	"github.com/shipper-project/shipper/shipper/setup"
)

// Doctor is `shipper doctor`: it checks the whole chain a running shipper
// depends on and prints one line per check — the config, the files the
// service user must read, the registry directory, the clock, the GeoIP
// databases, Elasticsearch (reachable, credentials, version, privileges,
// index template), Kibana (reachable, dashboards) and the SNMP agents.
// Exit 0 when nothing failed (warnings allowed), 1 when a check failed,
// 2 when the config cannot be loaded.
func Doctor(args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("doctor", stderr)
	userName := fs.String("user", "", "the service user whose access is checked (default: shipper if it exists, else the current user)")
	groups := fs.String("groups", "", "extra groups of the service user, as the unit's SupplementaryGroups= (default: proxy,adm for the shipper user)")
	timeout := fs.Duration("timeout", 10*time.Second, "timeout of each network check")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	d := &doctor{w: stdout, timeout: *timeout, now: time.Now, ntp: timedatectlNTP}
	return d.run(c, *userName, *groups, fs)
}

// Check outcomes.
const (
	docOK   = "[ OK ]"
	docWarn = "[WARN]"
	docFail = "[FAIL]"
	docInfo = "[INFO]"
)

type doctor struct {
	w       io.Writer
	timeout time.Duration
	now     func() time.Time
	// ntp returns timedatectl's NTPSynchronized ("yes"/"no"), or an error
	// when that is unknown (no systemd, a container).
	ntp          func(ctx context.Context) (string, error)
	fails, warns int
	svc          serviceUser
}

func (d *doctor) report(status, what, format string, args ...any) {
	switch status {
	case docFail:
		d.fails++
	case docWarn:
		d.warns++
	}
	fmt.Fprintf(d.w, "%s %s: %s\n", status, what, fmt.Sprintf(format, args...))
}

func (d *doctor) run(c *common, userName, groups string, _ *flag.FlagSet) int {
	fmt.Fprintf(d.w, "shipper doctor: %s\n", c.configFile)
	cfg, err := c.load()
	if err != nil {
		d.report(docFail, "config", "%s", strings.ReplaceAll(err.Error(), "\n", "\n       "))
		fmt.Fprintln(d.w, "the other checks need a configuration that loads")
		return ExitUsage
	}
	if err := checkPlugins(cfg); err != nil {
		d.report(docFail, "config", "%s", strings.ReplaceAll(err.Error(), "\n", "\n       "))
	} else {
		outName := ""
		for k := range cfg.Output {
			outName = k
		}
		d.report(docOK, "config", "valid (%d inputs, output.%s)", len(cfg.Shipper.Inputs), outName)
	}

	d.svc = lookupServiceUser(userName, groups)
	d.report(docInfo, "service user", "%s", d.svc)
	d.checkInputFiles(cfg)
	d.checkRegistry(cfg)
	d.checkClock()
	d.checkGeoIP(cfg)
	ctx := context.Background()
	if sec, ok := cfg.Output["elasticsearch"]; ok {
		tmpl := setup.DefaultConfig().Template
		if sc, err := setup.Decode(cfg.Setup); err == nil {
			tmpl = sc.Template
		}
		d.checkElasticsearch(ctx, sec, tmpl)
	}
	d.checkKibana(ctx, cfg)
	d.checkSNMP(ctx, cfg)

	fmt.Fprintf(d.w, "%d failed, %d warnings\n", d.fails, d.warns)
	if d.fails > 0 {
		return ExitRuntime
	}
	return ExitOK
}

// checkPlugins builds every plugin (runner.Check). A doctor must report,
// not crash: a panic while building is reported as a failed check.
func checkPlugins(cfg *config.Config) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("building the plugins failed (internal error: %v); run shipper test config", p)
		}
	}()
	return runner.Check(cfg, slog.New(slog.DiscardHandler))
}

// serviceUser is the identity whose file access is checked.
type serviceUser struct {
	name    string
	uid     int
	gids    []int
	groups  []string
	current bool // the user running doctor: access is tried for real
}

func (u serviceUser) String() string {
	s := fmt.Sprintf("%s (uid %d, groups %s)", u.name, u.uid, strings.Join(u.groups, " "))
	if !u.current {
		s += "; access computed from owners and modes"
	}
	return s
}

func lookupServiceUser(name, extra string) serviceUser {
	me, _ := user.Current()
	if name == "" {
		if _, err := user.Lookup("shipper"); err == nil {
			name = "shipper"
		} else if me != nil {
			name = me.Username
		}
		if name == "shipper" && extra == "" {
			extra = "proxy,adm" // the unit's SupplementaryGroups=
		}
	}
	u := serviceUser{name: name, uid: -1}
	lu, err := user.Lookup(name)
	if err != nil {
		return u
	}
	u.uid, _ = strconv.Atoi(lu.Uid)
	u.current = me != nil && me.Uid == lu.Uid
	gids, _ := lu.GroupIds()
	for _, g := range strings.Split(extra, ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		if gr, err := user.LookupGroup(g); err == nil {
			gids = append(gids, gr.Gid)
		}
	}
	seen := map[int]bool{}
	for _, g := range gids {
		n, err := strconv.Atoi(g)
		if err != nil || seen[n] {
			continue
		}
		seen[n] = true
		u.gids = append(u.gids, n)
		if gr, err := user.LookupGroupId(g); err == nil {
			u.groups = append(u.groups, gr.Name)
		} else {
			u.groups = append(u.groups, g)
		}
	}
	return u
}

// access reports whether u may access path with the permission bits want
// (4 read, 2 write, 1 execute/search), including search permission on
// every parent directory. For the current user it asks the kernel
// (access(2)), which also knows ACLs; otherwise it computes from modes.
func (u serviceUser) access(path string, want uint32) error {
	if u.current {
		return syscall.Access(path, want)
	}
	if u.uid == 0 {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if err := u.allowed(dir, 1); err != nil {
			return fmt.Errorf("directory %s: %w", dir, err)
		}
		if dir == "/" || dir == "." {
			break
		}
	}
	return u.allowed(abs, want)
}

func (u serviceUser) allowed(path string, want uint32) error {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return err
	}
	mode := st.Mode & 0o777
	var bits uint32
	switch {
	case int(st.Uid) == u.uid:
		bits = mode >> 6 & 7
	case u.inGroup(int(st.Gid)):
		bits = mode >> 3 & 7
	default:
		bits = mode & 7
	}
	if bits&want != want {
		return fmt.Errorf("%s %s %#o: %w", ownerName(st.Uid), groupName(st.Gid), mode, os.ErrPermission)
	}
	return nil
}

func (u serviceUser) inGroup(gid int) bool {
	for _, g := range u.gids {
		if g == gid {
			return true
		}
	}
	return false
}

func ownerName(uid uint32) string {
	if u, err := user.LookupId(strconv.Itoa(int(uid))); err == nil {
		return u.Username
	}
	return strconv.Itoa(int(uid))
}

func groupName(gid uint32) string {
	if g, err := user.LookupGroupId(strconv.Itoa(int(gid))); err == nil {
		return g.Name
	}
	return strconv.Itoa(int(gid))
}

// checkInputFiles checks that every file the inputs' `paths` globs match
// is readable by the service user.
func (d *doctor) checkInputFiles(cfg *config.Config) {
	for i, sec := range cfg.Shipper.Inputs {
		n := sec.Lookup("paths")
		if on, _ := sec.Enabled(); n == nil || n.Kind != yaml.SequenceNode || !on {
			continue
		}
		what := "input " + inputID(sec, i) + " files"
		for _, p := range n.Content {
			matches, err := filepath.Glob(p.Value)
			if err != nil {
				d.report(docFail, what, "bad glob %q: %v", p.Value, err)
				continue
			}
			if len(matches) == 0 {
				d.report(docWarn, what, "%s: no file matches (yet); the input picks it up when it appears, if %s can read it", p.Value, d.svc.name)
				if err := d.svc.access(filepath.Dir(p.Value), 5); err != nil {
					d.report(docFail, what, "%s: directory not readable by %s: %v", filepath.Dir(p.Value), d.svc.name, err)
				}
				continue
			}
			for _, m := range matches {
				if err := d.svc.access(m, 4); err != nil {
					d.report(docFail, what, "%s: not readable by %s: %v", m, d.svc.name, err)
				} else {
					d.report(docOK, what, "%s: readable by %s", m, d.svc.name)
				}
			}
		}
	}
}

func inputID(sec config.Section, i int) string {
	if id := sec.String("id"); id != "" {
		return id
	}
	return fmt.Sprintf("%s-%d", sec.String("type"), i)
}

// checkRegistry checks that path.data is writable by the service user.
func (d *doctor) checkRegistry(cfg *config.Config) {
	dir := cfg.Path.Data
	if !filepath.IsAbs(dir) && cfg.Path.Home != "" {
		dir = filepath.Join(cfg.Path.Home, dir)
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		parent := filepath.Dir(dir)
		if dir == "/var/lib/shipper" {
			d.report(docWarn, "registry", "%s does not exist yet; systemd creates it at start (StateDirectory=shipper)", dir)
		} else if err := d.svc.access(parent, 3); err != nil {
			d.report(docFail, "registry", "%s does not exist and %s cannot create it in %s: %v", dir, d.svc.name, parent, err)
		} else {
			d.report(docOK, "registry", "%s will be created by %s", dir, d.svc.name)
		}
	case err != nil:
		d.report(docFail, "registry", "%s: %v", dir, err)
	case !fi.IsDir():
		d.report(docFail, "registry", "path.data %s is not a directory", dir)
	default:
		if err := d.svc.access(dir, 3); err != nil {
			d.report(docFail, "registry", "%s not writable by %s: %v", dir, d.svc.name, err)
			return
		}
		if d.svc.current {
			f, err := os.CreateTemp(dir, ".doctor-*")
			if err != nil {
				d.report(docFail, "registry", "%s: cannot write: %v", dir, err)
				return
			}
			f.Close()
			os.Remove(f.Name())
		}
		d.report(docOK, "registry", "%s writable by %s", dir, d.svc.name)
	}
}

// checkClock catches routers without a battery-backed clock that start in
// 1970 or 2000: every event would be stamped decades ago, into indices ILM
// deletes at once, and TLS certificates would look not yet valid.
func (d *doctor) checkClock() {
	now := d.now()
	if now.Year() < 2020 {
		d.report(docFail, "clock", "system time is %s: not set (no RTC?); fix NTP before shipping", now.UTC().Format(time.RFC3339))
	} else {
		d.report(docOK, "clock", "%s", now.UTC().Format(time.RFC3339))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	s, err := d.ntp(ctx)
	switch {
	case err != nil:
		d.report(docInfo, "clock sync", "unknown (%v)", err)
	case s == "yes":
		d.report(docOK, "clock sync", "NTP synchronized")
	default:
		d.report(docWarn, "clock sync", "NTP not synchronized (timedatectl: NTPSynchronized=%s)", s)
	}
}

// timedatectlNTP asks systemd-timedated. os/exec here, like in the sysstat
// inputs, always under a context timeout.
func timedatectlNTP(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "timedatectl", "show", "-p", "NTPSynchronized", "--value").Output()
	if err != nil {
		return "", fmt.Errorf("timedatectl: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// checkGeoIP builds every geoip processor of the config (global and per
// input), and the snort inputs' own geoip.database, and reports each
// database's presence and age.
func (d *doctor) checkGeoIP(cfg *config.Config) {
	check := func(what string, secs []config.Section) {
		for _, s := range secs {
			name, body, err := s.PluginName()
			if err != nil || name != "geoip" {
				continue
			}
			p, err := processors.Build([]config.Section{s}, processors.Env{Log: slog.New(slog.DiscardHandler), Name: "doctor"})
			if err != nil {
				d.report(docFail, "geoip "+what, "%s: %v", body.String("database"), err)
				continue
			}
			d.reportGeoIP(what, p)
		}
	}
	check("(global processors)", cfg.Processors)
	for i, sec := range cfg.Shipper.Inputs {
		if on, _ := sec.Enabled(); !on {
			continue
		}
		id := inputID(sec, i)
		var procs []config.Section
		if n := sec.Lookup("processors"); n != nil && n.Kind == yaml.SequenceNode {
			for j, c := range n.Content {
				procs = append(procs, config.Section{Node: c, File: sec.File, Path: fmt.Sprintf("%s.processors[%d]", sec.Path, j)})
			}
		}
		check("input "+id, procs)
		// snort enriches with its own geoip.database / geoip.asn_database.
		if db := sec.String("geoip.database"); db != "" {
			node := &yaml.Node{Kind: yaml.MappingNode}
			kv := func(k, v string) {
				node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, &yaml.Node{Kind: yaml.ScalarNode, Value: v})
			}
			kv("field", "source.ip")
			kv("database", db)
			if asn := sec.String("geoip.asn_database"); asn != "" {
				kv("asn_database", asn)
			}
			wrap := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "geoip"}, node}}
			check("input "+id, []config.Section{{Node: wrap, File: sec.File, Path: sec.Path + ".geoip"}})
		}
	}
}

func (d *doctor) reportGeoIP(what string, ps []processors.Processor) {
	for _, p := range ps {
		if c, ok := p.(processors.Closer); ok {
			defer c.Close()
		}
		gp, ok := p.(interface{ DatabaseInfo() []geoip.DBInfo })
		if !ok {
			continue
		}
		for _, db := range gp.DatabaseInfo() {
			age := db.Age.Round(time.Hour)
			switch {
			case db.Old:
				d.report(docWarn, "geoip "+what, "%s (%s) built %s, %s ago: older than max_age %s; update it (geoipupdate)", db.Path, db.Type, db.BuildTime.Format(time.DateOnly), age, db.MaxAge)
			default:
				d.report(docOK, "geoip "+what, "%s (%s) built %s, %s ago", db.Path, db.Type, db.BuildTime.Format(time.DateOnly), age)
			}
		}
	}
}

// checkElasticsearch: reachable (and Elasticsearch), credentials accepted,
// version, the writer's privileges on the indices output.elasticsearch.index
// names and the index template.
func (d *doctor) checkElasticsearch(ctx context.Context, sec config.Section, tmpl idxmgmt.TemplateConfig) {
	ec := elasticsearch.DefaultConfig()
	if err := sec.Decode(&ec); err != nil {
		d.report(docFail, "elasticsearch", "%v", err)
		return
	}
	out, err := elasticsearch.New(ec, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		d.report(docFail, "elasticsearch", "%v", err)
		return
	}
	defer out.Close()
	hosts := strings.Join(out.Hosts(), ", ")
	cctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	res, err := rawGet(cctx, out, "/")
	if err != nil {
		d.report(docFail, "elasticsearch", "%s unreachable: %v", hosts, err)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	// Elasticsearch (7.14+) names itself in X-Elastic-Product on every
	// answer to an authenticated request; 401/403 may come from a proxy
	// in front of it, and are reported as such below.
	notES := res.Header.Get("X-Elastic-Product") != "Elasticsearch" &&
		res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusForbidden
	switch {
	case notES:
		ct := "no Content-Type"
		if v := res.Header.Get("Content-Type"); v != "" {
			ct = "Content-Type " + v
		}
		d.report(docFail, "elasticsearch", "%s reachable but not Elasticsearch: GET / answered %s, %s, no X-Elastic-Product header: check output.elasticsearch.hosts (port, path, a proxy in front?)", hosts, elasticsearch.StatusLine(res.StatusCode), ct)
		return
	case res.StatusCode == http.StatusUnauthorized:
		d.report(docFail, "elasticsearch auth", "%s refused the credentials (401): check username/password or api_key", hosts)
		return
	case res.StatusCode == http.StatusForbidden:
		d.report(docFail, "elasticsearch auth", "%s: the user may not even read the cluster info (403)", hosts)
		return
	case res.StatusCode >= 300:
		d.report(docFail, "elasticsearch", "%s: %s", hosts, elasticsearch.StatusLine(res.StatusCode))
		return
	}
	var info struct {
		Version struct {
			Number string `json:"number"`
		} `json:"version"`
		ClusterName string `json:"cluster_name"`
	}
	_ = json.Unmarshal(body, &info)
	d.report(docOK, "elasticsearch", "%s reachable, credentials accepted", hosts)
	if major, _ := strconv.Atoi(strings.SplitN(info.Version.Number, ".", 2)[0]); major < 8 {
		d.report(docWarn, "elasticsearch version", "%s: shipper's templates and data streams are written for 8.x", info.Version.Number)
	} else {
		d.report(docOK, "elasticsearch version", "%s (cluster %s)", info.Version.Number, info.ClusterName)
	}
	d.checkPrivileges(ctx, out, indexPattern(ec.Index))

	tctx, tcancel := context.WithTimeout(ctx, d.timeout)
	defer tcancel()
	if !tmpl.Enabled {
		d.report(docInfo, "index template", "setup.template.enabled: false: not checked")
		return
	}
	tres, err := out.Do(tctx, http.MethodGet, "/_index_template/"+url.PathEscape(tmpl.Name), nil)
	if err != nil {
		d.report(docFail, "index template", "GET _index_template/%s: %v", tmpl.Name, err)
		return
	}
	tres.Body.Close()
	switch {
	case tres.StatusCode == http.StatusOK:
		d.report(docOK, "index template", "%s installed", tmpl.Name)
	case tres.StatusCode == http.StatusNotFound:
		d.report(docFail, "index template", "%s is not installed: shipper run installs it when it connects, or run shipper setup --index-management", tmpl.Name)
	default:
		d.report(docFail, "index template", "GET _index_template/%s: %s", tmpl.Name, elasticsearch.StatusLine(tres.StatusCode))
	}
}

// rawGet is GET path on the output's hosts (credentials, TLS, failover)
// without the client's product check, which turns a server that is not
// Elasticsearch into an error with neither status nor headers: doctor
// tells that apart from a server that cannot be reached.
func rawGet(ctx context.Context, out *elasticsearch.Output, path string) (*http.Response, error) {
	var res *http.Response
	err := errors.New("no host")
	for try := 0; err != nil && try < len(out.Hosts()) && ctx.Err() == nil; try++ {
		req, rerr := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
		if rerr != nil {
			return nil, rerr
		}
		res, err = out.Client().Transport.Perform(req)
	}
	return res, err
}

// indexPattern is the index pattern output.elasticsearch.index writes to:
// each %{…} (field or date) becomes *. "shipper-%{[event.dataset]}" is
// "shipper-*".
func indexPattern(index string) string {
	var b strings.Builder
	for index != "" {
		i := strings.Index(index, "%{")
		if i < 0 {
			b.WriteString(index)
			break
		}
		b.WriteString(index[:i])
		if !strings.HasSuffix(b.String(), "*") {
			b.WriteByte('*')
		}
		j := strings.IndexByte(index[i:], '}')
		if j < 0 {
			break // Validate refused it already
		}
		index = index[i+j+1:]
	}
	return b.String()
}

// checkPrivileges asks _has_privileges for what `create_doc` into the
// data streams of pattern needs. A cluster without security answers
// 4xx/5xx here: not a failure. An answer without the keys read here is
// said to be unreadable, with what is missing.
func (d *doctor) checkPrivileges(ctx context.Context, out *elasticsearch.Output, pattern string) {
	pctx, pcancel := context.WithTimeout(ctx, d.timeout)
	defer pcancel()
	want := []string{"create_doc", "auto_configure"}
	preq, _ := json.Marshal(map[string]any{"index": []map[string]any{{"names": []string{pattern}, "privileges": want}}})
	pres, err := out.Do(pctx, http.MethodPost, "/_security/user/_has_privileges", preq)
	if err != nil {
		d.report(docWarn, "elasticsearch privileges", "not checked: POST _security/user/_has_privileges: %v", err)
		return
	}
	pb, _ := io.ReadAll(io.LimitReader(pres.Body, 1<<20))
	pres.Body.Close()
	if pres.StatusCode >= 300 {
		d.report(docInfo, "elasticsearch privileges", "not checked (%s: security disabled?)", elasticsearch.StatusLine(pres.StatusCode))
		return
	}
	var hp struct {
		HasAll   *bool                      `json:"has_all_requested"`
		Username *string                    `json:"username"`
		Index    map[string]map[string]bool `json:"index"`
	}
	if err := json.Unmarshal(pb, &hp); err != nil {
		d.report(docWarn, "elasticsearch privileges", "could not read the _has_privileges answer (not JSON: %v)", err)
		return
	}
	var absent, lacking []string
	if hp.Username == nil || *hp.Username == "" {
		absent = append(absent, "username")
	}
	if hp.HasAll == nil {
		absent = append(absent, "has_all_requested")
	}
	if privs, ok := hp.Index[pattern]; !ok {
		absent = append(absent, "index."+pattern)
	} else {
		for _, p := range want {
			if has, ok := privs[p]; !ok {
				absent = append(absent, "index."+pattern+"."+p)
			} else if !has {
				lacking = append(lacking, p)
			}
		}
	}
	switch {
	case len(absent) > 0:
		d.report(docWarn, "elasticsearch privileges", "could not read the _has_privileges answer (missing %s): privileges not checked", strings.Join(absent, ", "))
	case len(lacking) > 0:
		d.report(docFail, "elasticsearch privileges", "user %s lacks %s on %s", *hp.Username, strings.Join(lacking, ", "), pattern)
	case !*hp.HasAll:
		d.report(docWarn, "elasticsearch privileges", "user %s: has_all_requested is false although every privilege on %s is true: privileges not checked", *hp.Username, pattern)
	default:
		d.report(docOK, "elasticsearch privileges", "user %s may create_doc and auto_configure on %s", *hp.Username, pattern)
	}
}

// checkKibana: setup.kibana.host reachable (GET /api/status) and the
// shipper's dashboards present (GET /api/saved_objects/dashboard/<id>).
// Credentials: setup.kibana.{username,password,api_key}, else the
// Elasticsearch output's, as Beats do.
func (d *doctor) checkKibana(ctx context.Context, cfg *config.Config) {
	host := cfg.Setup.String("kibana.host")
	if host == "" {
		d.report(docInfo, "kibana", "setup.kibana.host not set: not checked")
		return
	}
	if !strings.Contains(host, "://") {
		host = "http://" + host
	}
	host = strings.TrimSuffix(host, "/") + strings.TrimSuffix(cfg.Setup.String("kibana.path"), "/")
	es := cfg.Output["elasticsearch"]
	user, pass, key := cfg.Setup.String("kibana.username"), cfg.Setup.String("kibana.password"), cfg.Setup.String("kibana.api_key")
	if user == "" && key == "" {
		user, pass, key = es.String("username"), es.String("password"), es.String("api_key")
	}
	client := &http.Client{Timeout: d.timeout}
	get := func(path string) (int, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, host+path, nil)
		if err != nil {
			return 0, nil, err
		}
		switch {
		case key != "":
			req.Header.Set("Authorization", "ApiKey "+key)
		case user != "":
			req.SetBasicAuth(user, pass)
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		return res.StatusCode, b, nil
	}
	st, b, err := get("/api/status")
	switch {
	case err != nil:
		d.report(docFail, "kibana", "%s unreachable: %v", host, err)
		return
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		d.report(docFail, "kibana", "%s refused the credentials (%d)", host, st)
		return
	case st != http.StatusOK:
		d.report(docFail, "kibana", "%s: GET /api/status: %d", host, st)
		return
	}
	var status struct {
		Version struct {
			Number string `json:"number"`
		} `json:"version"`
		Status struct {
			Overall struct {
				Level string `json:"level"`
			} `json:"overall"`
		} `json:"status"`
	}
	_ = json.Unmarshal(b, &status)
	d.report(docOK, "kibana", "%s reachable, version %s, status %s", host, status.Version.Number, status.Status.Overall.Level)

	src, err := dashboards.Source()
	if err != nil {
		d.report(docFail, "kibana dashboards", "%v", err)
		return
	}
	var missing []string
	total := 0
	for _, f := range src {
		typ, _ := f.Object["type"].(string)
		id, _ := f.Object["id"].(string)
		if typ != "dashboard" || id == "" {
			continue
		}
		total++
		st, _, err := get("/api/saved_objects/dashboard/" + id)
		if err != nil || st != http.StatusOK {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		d.report(docFail, "kibana dashboards", "%d of %d missing (%s): run shipper setup --dashboards", len(missing), total, strings.Join(missing, ", "))
	} else {
		d.report(docOK, "kibana dashboards", "all %d present", total)
	}
}

// Prober is implemented by inputs that can check their sources answer
// (the snmp input GETs sysUpTime.0 from every agent with its credentials).
// report is called once per source.
type Prober interface {
	Probe(ctx context.Context, report func(source, detail string, err error))
}

// checkSNMP probes every input that can be probed (today: snmp).
func (d *doctor) checkSNMP(ctx context.Context, cfg *config.Config) {
	for i, sec := range cfg.Shipper.Inputs {
		typ := sec.String("type")
		if on, _ := sec.Enabled(); !on {
			continue
		}
		p, ok := inputs.Lookup(typ)
		if !ok {
			continue
		}
		id := inputID(sec, i)
		in, err := p.Factory(sec, inputs.Env{ID: id, Log: slog.New(slog.DiscardHandler), Once: true, Name: "input." + id})
		if err != nil {
			continue // reported by the config check
		}
		pr, ok := in.(Prober)
		if !ok {
			if typ == "snmp" {
				d.report(docInfo, "input "+id, "this build's snmp input cannot be probed: agents not checked")
			}
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 3*d.timeout)
		pr.Probe(pctx, func(source, detail string, err error) {
			if err != nil {
				d.report(docFail, "input "+id, "%s: %v", source, err)
			} else {
				d.report(docOK, "input "+id, "%s: %s", source, detail)
			}
		})
		cancel()
	}
}
