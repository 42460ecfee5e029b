#!/usr/bin/env bash
# memory_limit and gc_percent measured (issue 17): what the README's Memory
# section states of them.
#
#   scripts/bench/memory-limit.sh [-n LINES] [-r ROUNDS]
#
#   -n LINES   generated squid lines per run (default 300000)
#   -r ROUNDS  interleaved rounds (default 5, at least 5)
#
# One binary, `shipper run --once`, squid → file, in rounds of three runs:
# the defaults (memory_limit 24MiB, gc_percent 200), GOMEMLIMIT=off (no
# limit; the environment wins over the file) and GOGC=100 (Go's and Beats'
# heap growth), each timed by /usr/bin/time (user+sys CPU, peak RSS). The
# rounds run twice: on the machine as it is, then with two busy loops on the
# cores (the peak RSS grew when the runs shared the cores with other work).
# Ratios are medians of the rounds' ratios, with their range.
#
# It prints the README's table and the gc_percent sentence, with the date
# and the commit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
n=300000 rounds=5
while getopts n:r: o; do
	case $o in
	n) n=$OPTARG ;;
	r) rounds=$OPTARG ;;
	*) exit 2 ;;
	esac
done
if [ "$rounds" -lt 5 ]; then
	echo "memory-limit: -r must be at least 5" >&2
	exit 2
fi
for p in /usr/bin/time bc; do
	command -v "$p" >/dev/null || { echo "memory-limit: needs $p (apt-get install ${p##*/})" >&2; exit 2; }
done

W=$(mktemp -d /tmp/shipper-memory-limit.XXXXXX)
busypids=()
cleanup() {
	for p in "${busypids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$W/shipper" ./shipper &&
	go build -trimpath -o "$W/gen" ./scripts/bench/gen)
commit=$(cd "$ROOT" && git rev-parse --short HEAD)
[ -z "$(cd "$ROOT" && git status --porcelain --untracked-files=no)" ] || commit="$commit (with uncommitted changes)"
"$W/gen" -n "$n" -o "$W/access.log"
cat >"$W/shipper.yml" <<EOF
shipper.inputs:
  - type: squid
    id: bench
    paths: ["$W/access.log"]
path.data: "$W/data"
logging.level: error
output.file: {path: "$W/out", filename: shipper.ndjson, rotate_every_kb: 100000000}
EOF
chmod 600 "$W/shipper.yml"

# run MACHINE VARIANT ENV…: one timed run, appended to $W/runs.
run() {
	local machine=$1 variant=$2
	shift 2
	rm -rf "$W/out" "$W/data"
	env "$@" /usr/bin/time -f '%U %S %M' -o "$W/time" "$W/shipper" run --once -c "$W/shipper.yml" >"$W/run.out" 2>&1 || {
		echo "memory-limit: the $variant run failed:" >&2
		cat "$W/run.out" >&2
		exit 1
	}
	got=$(wc -l <"$W/out/shipper.ndjson")
	[ "$got" = "$n" ] || { echo "memory-limit: the $variant run wrote $got documents, want $n" >&2; exit 1; }
	read -r u s m <"$W/time"
	echo "$machine $variant $(echo "$u + $s" | bc) $m" >>"$W/runs"
}

: >"$W/runs"
for machine in as-is busy; do
	if [ "$machine" = busy ]; then
		for _ in 1 2; do
			sh -c 'while :; do :; done' &
			busypids+=($!)
		done
	fi
	for i in $(seq 1 "$rounds"); do
		# The order rotates from round to round: running first, second or
		# third is no bias.
		for j in 0 1 2; do
			case $(((i + j) % 3)) in
			0) run "$machine" default ;;
			1) run "$machine" nolimit GOMEMLIMIT=off ;;
			2) run "$machine" gogc100 GOGC=100 ;;
			esac
		done
	done
done
for p in "${busypids[@]}"; do kill "$p" 2>/dev/null || true; done
busypids=()

awk -v n="$n" -v date="$(date -u +%F)" -v commit="$commit" -v rounds="$rounds" '
function median(a, k,   i, j, t) {  # sorts a[1..k] in place
	for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
	return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2
}
function span(a, k,   i, lo, hi) {  # "lo–hi" of a[1..k]
	for (i = 1; i <= k; i++) { lo = (i == 1 || a[i] < lo) ? a[i] : lo; hi = (i == 1 || a[i] > hi) ? a[i] : hi }
	return sprintf("%.2f–%.2f", lo, hi)
}
function rssrange(m, v,   i, lo, hi) {  # peak RSS range in MiB over the rounds
	for (i = 1; i <= cnt[m, v]; i++) { x = rss[m, v, i] / 1024; lo = (i == 1 || x < lo) ? x : lo; hi = (i == 1 || x > hi) ? x : hi }
	return sprintf("%.1f–%.1f", lo, hi)
}
function commas(x,   s) {
	s = sprintf("%d", x)
	while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
	return s
}
{ k = ++cnt[$1, $2]; cpu[$1, $2, k] = $3; rss[$1, $2, k] = $4 }
END {
	printf "Measured %s on commit %s, %s squid lines → file, %d interleaved rounds of the shipper with the default limit, without one (`GOMEMLIMIT=off`) and with `GOGC=100`, on the machine as it was and with two busy loops on its cores (`scripts/bench/memory-limit.sh`):\n\n", date, commit, commas(n), rounds
	print "| machine | peak RSS MiB, no limit | peak RSS MiB, 24MiB | CPU ratio 24MiB / no limit, median (range) |"
	print "|---|---|---|---|"
	split("as-is busy", ms, " ")
	for (j = 1; j <= 2; j++) {
		m = ms[j]
		for (i = 1; i <= cnt[m, "default"]; i++) a[i] = cpu[m, "default", i] / cpu[m, "nolimit", i]
		printf "| %s | %s | %s | %.2f× (%s) |\n", (m == "busy" ? "+ two busy loops" : "as it was"), rssrange(m, "nolimit"), rssrange(m, "default"), median(a, rounds), span(a, rounds)
	}
	m = "as-is"
	for (i = 1; i <= rounds; i++) { a[i] = cpu[m, "default", i] / cpu[m, "gogc100", i]; c1[i] = cpu[m, "gogc100", i]; c2[i] = cpu[m, "default", i]; r1[i] = rss[m, "gogc100", i] / 1024; r2[i] = rss[m, "default", i] / 1024 }
	printf "\ngc_percent, Go'\''s 100 (`GOGC=100`) → the default 200, both with the default limit, %s squid lines: %.2f → %.2f CPU-s, peak RSS %.1f → %.1f MiB (medians); CPU ratio 200/100 %.2f× (%s) (%s, commit %s).\n", commas(n), median(c1, rounds), median(c2, rounds), median(r1, rounds), median(r2, rounds), median(a, rounds), span(a, rounds), date, commit
}' "$W/runs"
