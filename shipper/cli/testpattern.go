package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/shipper-project/shipper/dashboards"
	"github.com/shipper-project/shipper/inputs/filestream"
	"github.com/shipper-project/shipper/inputs/squid"
	"github.com/shipper-project/shipper/processors"
	"github.com/shipper-project/shipper/processors/grok"
	"github.com/shipper-project/shipper/shipper/event"
	"github.com/shipper-project/shipper/shipper/fields"
)

// patternModules are the bundled whole-line patterns per source, for
// --module. The squid module also turns squid's epoch timestamp into
// @timestamp, like the squid input.
var patternModules = map[string][]string{
	"squid":          {"%{SQUID_NATIVE}"},
	"squid-common":   {"%{SQUID_COMMON}"},
	"squid-combined": {"%{SQUID_COMBINED}"},
	"snort":          {"%{SNORT3_ALERT_FAST}"},
	"syslog":         {"%{SYSLOG3164}"},
}

const testPatternUsage = `Usage: shipper test-pattern [--pattern NAME|EXPR]... [--module NAME] [--patterns-dir DIR]... [FILE|-]

Matches each line of FILE (or stdin) and prints, per line, the resulting
document (JSON, pretty on a terminal, NDJSON when piped) on stdout, or on
stderr why it failed (which element of the pattern stopped matching, and at
which column); then a summary on stderr. Exit status 1 when a line failed.

Modules: squid (default), squid-common, squid-combined, snort, syslog.
`

// TestPattern is `shipper test-pattern`.
func TestPattern(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("test-pattern", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, testPatternUsage) }
	var pats, dirs multiFlag
	fs.Var(&pats, "pattern", "pattern NAME or grok EXPR (repeatable; tried in order)")
	fs.Var(&dirs, "patterns-dir", "directory of pattern files (repeatable)")
	module := fs.String("module", "", "bundled patterns of a source: squid, squid-common, squid-combined, snort, syslog")
	pretty := fs.String("format", "auto", "output format: auto, json (pretty) or ndjson")
	maxFail := fs.Int("max-failures", 20, "explain at most N failed lines, then only count them (0: explain all)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprint(stdout, testPatternUsage)
			fs.PrintDefaults()
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprint(stderr, testPatternUsage)
		return ExitUsage
	}
	lib := grok.NewLibrary()
	for _, d := range dirs {
		if err := lib.AddDir(d); err != nil {
			fmt.Fprintf(stderr, "shipper test-pattern: patterns-dir: %v\n", err)
			return ExitUsage
		}
	}
	var patterns []string
	for _, p := range pats {
		if _, _, ok := lib.Lookup(p); ok {
			p = "%{" + p + "}"
		}
		patterns = append(patterns, p)
	}
	if *module == "" && len(patterns) == 0 {
		*module = "squid"
	}
	if *module != "" {
		m, ok := patternModules[*module]
		if !ok {
			fmt.Fprintf(stderr, "shipper test-pattern: unknown module %q (want squid, squid-common, squid-combined, snort or syslog)\n", *module)
			return ExitUsage
		}
		if len(patterns) == 0 {
			patterns = m
		}
	}
	g, err := grok.CompileWith(lib, patterns, true)
	if err != nil {
		fmt.Fprintf(stderr, "shipper test-pattern: %v\n", err)
		return ExitUsage
	}

	in, size, name := stdin, int64(-1), "stdin"
	if a := fs.Arg(0); a != "" && a != "-" {
		f, err := os.Open(a)
		if err != nil {
			fmt.Fprintf(stderr, "shipper test-pattern: %v\n", err)
			return ExitRuntime
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		in, name = f, a
	}
	docs, err := newDocPrinter("test-pattern", *pretty, stdout)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	var bar *progress
	if size > 8<<20 && testPatternIsTerminal(stderr) {
		bar = &progress{w: stderr, total: size}
	}

	r := bufio.NewReaderSize(in, 64<<10)
	st := newPatternStats(g)
	produced := map[string]bool{} // every key of the documents printed
	defer docs.flush()
	var read int64
	var unexplained int // failed lines past --max-failures
	for n := 1; ; n++ {
		if r.Buffered() == 0 {
			// About to wait for input (typed or slow): show what is done.
			docs.flush()
		}
		line, err := r.ReadString('\n')
		if line == "" && err != nil {
			if err != io.EOF {
				fmt.Fprintf(stderr, "shipper test-pattern: read %s: %v\n", name, err)
				return ExitRuntime
			}
			break
		}
		read += int64(len(line))
		line = strings.TrimRight(line, "\r\n")
		e := event.New(time.Now(), 16) // the time it was read, as an input does; a module's mapping may set the line's own
		e.Fields.Add("message", line)
		idx := st.match(line, &e.Fields)
		if idx < 0 {
			if *maxFail > 0 && st.failed > *maxFail {
				unexplained++
				continue
			}
			docs.flush()
			if bar != nil {
				bar.clear() // the explanation starts on a clean line
			}
			explainFailure(stderr, g, n, line)
			continue
		}
		if *module == "squid" || *module == "squid-common" || *module == "squid-combined" {
			squid.MapECS(e, 1) // captures follow message: the input's own ECS step
		}
		for _, f := range e.Fields {
			produced[f.Key] = true
		}
		docs.print(e)
		if bar != nil {
			bar.update(read)
		}
	}
	docs.flush()
	if bar != nil {
		bar.done()
	}
	if unexplained > 0 {
		fmt.Fprintf(stderr, "%d more lines failed (not shown: --max-failures %d; 0 shows all)\n", unexplained, *maxFail)
	}
	st.summary(stderr, patternModules[*module])
	dashboardGaps(stderr, *module, produced)
	if st.failed > 0 {
		return ExitRuntime
	}
	return ExitOK
}

// explainFailure prints why no pattern matched line n: for each pattern,
// the element that stopped matching and a caret under its column.
func explainFailure(w io.Writer, g *grok.Grok, n int, line string) {
	fmt.Fprintf(w, "line %d: no pattern matched\n", n)
	for i, p := range g.Patterns() {
		ex := p.Explain(line)
		// Show at most 100 bytes of the line around the column.
		from := 0
		if ex.Column > 70 {
			from = ex.Column - 70
		}
		to := min(len(line), from+100)
		shown := strings.Map(func(r rune) rune {
			if r < ' ' {
				return '.'
			}
			return r
		}, line[from:to])
		prefix := "  "
		if from > 0 {
			prefix = "  …"
		}
		fmt.Fprintf(w, "%s%s\n", prefix, shown)
		col := min(len(line), max(from, ex.Column-1)) // byte offset of the column
		pad := len(prefix) + len([]rune(line[from:col]))
		if from > 0 {
			pad -= 2 // "…" is one column, three bytes
		}
		fmt.Fprintf(w, "%s^ column %d\n", strings.Repeat(" ", pad), ex.Column)
		fmt.Fprintf(w, "  pattern %d %s: %s\n", i, p.Source, ex)
	}
}

// patternStats counts matches, time and fields per pattern.
type patternStats struct {
	g       *grok.Grok
	lines   int
	failed  int
	matched []int
	nanos   []int64
	tried   []int
	fields  map[string]*fieldStat
}

type fieldStat struct {
	typ   string
	count int
}

func newPatternStats(g *grok.Grok) *patternStats {
	n := len(g.Patterns())
	return &patternStats{g: g, matched: make([]int, n), nanos: make([]int64, n), tried: make([]int, n), fields: map[string]*fieldStat{}}
}

func (s *patternStats) match(line string, dst *event.Fields) int {
	s.lines++
	from := len(*dst)
	for i, p := range s.g.Patterns() {
		start := time.Now()
		ok := p.Match(line, dst)
		s.nanos[i] += int64(time.Since(start))
		s.tried[i]++
		if !ok {
			continue
		}
		s.matched[i]++
		for _, f := range (*dst)[from:] {
			fs := s.fields[f.Key]
			if fs == nil {
				fs = &fieldStat{}
				s.fields[f.Key] = fs
			}
			fs.typ = jsonType(f.Value)
			fs.count++
		}
		return i
	}
	s.failed++
	return -1
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "long"
	case float64:
		return "float"
	}
	return fmt.Sprintf("%T", v)
}

func (s *patternStats) summary(w io.Writer, modulePatterns []string) {
	pct := 0.0
	if s.lines > 0 {
		pct = 100 * float64(s.lines-s.failed) / float64(s.lines)
	}
	fmt.Fprintf(w, "\nlines: %d, matched: %d (%.1f%%), failed: %d\n", s.lines, s.lines-s.failed, pct, s.failed)
	for i, p := range s.g.Patterns() {
		per := int64(0)
		if s.tried[i] > 0 {
			per = s.nanos[i] / int64(s.tried[i])
		}
		fmt.Fprintf(w, "pattern %d %s: matched %d of %d tried, %d ns/line\n", i, p.Source, s.matched[i], s.tried[i], per)
	}
	names := make([]string, 0, len(s.fields))
	for k := range s.fields {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) > 0 {
		fmt.Fprintln(w, "fields produced (name, type, lines):")
	}
	for _, k := range names {
		fmt.Fprintf(w, "  %-28s %-8s %d\n", k, s.fields[k].typ, s.fields[k].count)
	}
	// Fields the patterns can produce but no line did: for a module these
	// are the fields its dashboards expect.
	var missing []string
	seen := map[string]bool{}
	for _, p := range s.g.Patterns() {
		for _, f := range p.Fields() {
			if s.fields[f.Name] == nil && !seen[f.Name] {
				seen[f.Name] = true
				missing = append(missing, f.Name)
			}
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "fields never produced: %s\n", strings.Join(missing, ", "))
	}
}

// progress is a one-line progress bar on a terminal.
type progress struct {
	w     io.Writer
	total int64
	last  time.Time
}

func (p *progress) update(n int64) {
	if now := time.Now(); now.Sub(p.last) > 200*time.Millisecond {
		p.last = now
		const width = 30
		done := int(int64(width) * n / p.total)
		fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d MiB", strings.Repeat("#", done), strings.Repeat(" ", width-done), 100*n/p.total, n>>20, p.total>>20)
	}
}

func (p *progress) done() { p.clear() }

// clear erases the bar's line; the next update draws it again.
func (p *progress) clear() {
	fmt.Fprint(p.w, "\r\033[K")
	p.last = time.Time{}
}

// testPatternIsTerminal reports whether w is a terminal.
func testPatternIsTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// moduleDataView maps a --module to the data view its dashboards read.
var moduleDataView = map[string]string{
	"squid": "shipper-squid.access", "squid-common": "shipper-squid.access", "squid-combined": "shipper-squid.access",
}

// dashboardGaps prints the fields the module's dashboards use that no line
// produced: the panels that would stay empty with this data.
func dashboardGaps(w io.Writer, module string, produced map[string]bool) {
	dv := moduleDataView[module]
	if dv == "" {
		return
	}
	used, err := dashboards.FieldsUsed(dv)
	if err != nil {
		fmt.Fprintf(w, "dashboard fields: %v\n", err)
		return
	}
	// Fields the tail engine and the pipeline add (base ECS fields,
	// log.*) are not the pattern's job; GeoIP fields need a database.
	later, err := fields.WithBase(filestream.Fields)
	if err != nil {
		fmt.Fprintf(w, "dashboard fields: %v\n", err)
		return
	}
	var geo fields.Catalog
	if p, ok := processors.Lookup("geoip"); ok {
		geo, _ = fields.Parse(map[string][]byte{"geoip": p.Fields})
	}
	var gaps []string
	for _, f := range used {
		_, isLater := later[f]
		_, isGeo := geo[f]
		switch {
		case produced[f] || isLater:
		case isGeo:
			gaps = append(gaps, f+" (needs geoip.database)")
		default:
			gaps = append(gaps, f)
		}
	}
	if len(gaps) > 0 {
		fmt.Fprintf(w, "dashboard fields (%s) no line produced: %s\n", dv, strings.Join(gaps, ", "))
	}
}
