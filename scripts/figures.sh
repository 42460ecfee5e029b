#!/usr/bin/env bash
# Every figure the README states, measured now, printed in the README's
# format with the date and the commit (issue 17: figures regenerate).
#
#   scripts/figures.sh [-n LINES] [-r PAIRS] [-i IDLE_SECONDS] [-s] [-c] [-g] [-d] [-f] [-q]
#
#   -s  binary sizes only      -c  CPU per event only (plain and GeoIP)
#   -g  skip GeoIP             -d  idle CPU/RSS only
#   -f  against Filebeat only (scripts/bench/vs-filebeat.sh; needs a Filebeat
#       binary, see that script: without one the section says it was not run)
#   -q  queue.mem.bytes only (scripts/bench/queue-bytes.sh: peak RSS with
#       large lines and Elasticsearch unreachable, with and without the
#       bound, and the bound's CPU cost; these figures go in the README's
#       Memory section, not in Figures)
#   -m  memory_limit and gc_percent only, not part of the default run (30
#       runs; scripts/bench/memory-limit.sh: the Memory section's table)
#   -w  flows only, not part of the default run (minutes; needs x-pack
#       Filebeat, see scripts/bench/flows-vs-filebeat.sh, else shipper only):
#       the tables of inputs/netflow/README.md ("Side by side with
#       Filebeat's netflow input"), scripts/bench/flows-vs-filebeat.sh -b 4194304
#   -n LINES (300000), -r PAIRS (5), -i IDLE_SECONDS (30)
#
# Sizes: the stripped release binaries (CGO_ENABLED=0 -trimpath -ldflags
# "-s -w", as scripts/build-cross.sh and scripts/size-report.sh build them;
# size-report.sh says what they are made of). CPU per event, events/s and
# RSS: scripts/bench/cpu-per-event.sh (the shipper's squid input → file
# against the hand-split floor, interleaved pairs; with GeoIP against a real
# GeoLite2 City database fetched at run time). Idle: `shipper run` with a
# squid input on a file it has read, over IDLE_SECONDS, from /proc.
# Paste the output over the README's "Figures" section.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
n=300000 pairs=5 idle=30 only="" geo=1
while getopts n:r:i:scdgfqmw o; do
	case $o in
	n) n=$OPTARG ;;
	r) pairs=$OPTARG ;;
	i) idle=$OPTARG ;;
	s) only=sizes ;;
	c) only=cpu ;;
	d) only=idle ;;
	f) only=filebeat ;;
	q) only=queue ;;
	m) only=memory ;;
	w) only=flows ;;
	g) geo=0 ;;
	*) exit 2 ;;
	esac
done
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

commit=$(git rev-parse --short HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] || commit="$commit (with uncommitted changes)"
W=$(mktemp -d /tmp/shipper-figures.XXXXXX)
trap 'rm -rf "$W"' EXIT

echo "Figures measured $(date -u '+%F %H:%M UTC') on commit $commit, $(go env GOVERSION), $(nproc) cores ($(uname -m))."
echo

if want sizes; then
	echo "Binary sizes (stripped: CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' ./shipper):"
	echo
	echo "| target | bytes | MB |"
	echo "|---|---|---|"
	for t in amd64 arm64 armv7 mipsle; do
		case $t in
		amd64) e=(GOARCH=amd64) ;;
		arm64) e=(GOARCH=arm64) ;;
		armv7) e=(GOARCH=arm GOARM=7) ;;
		mipsle) e=(GOARCH=mipsle GOMIPS=softfloat) ;;
		esac
		env "${e[@]}" GOOS=linux CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$W/shipper-$t" ./shipper
		b=$(stat -c %s "$W/shipper-$t")
		printf '| %s | %d | %.1f |\n' "$t" "$b" "$(echo "$b / 1000000" | bc -l)"
	done
	echo
fi

if want cpu; then
	echo "CPU per event, squid native access.log → file, and the shipper on every core (max_procs: 0) beside it (scripts/bench/cpu-per-event.sh -n $n -r $pairs -C 'max_procs: 0'):"
	echo
	scripts/bench/cpu-per-event.sh -n "$n" -r "$pairs" -C 'max_procs: 0' | sed -n '/^| peer/,$p'
	echo
	echo "The same with two busy loops on the cores (sh -c 'while :; do :; done'), as on a router at work (scripts/bench/cpu-per-event.sh -B -n $n -r $pairs -C 'max_procs: 0'):"
	echo
	scripts/bench/cpu-per-event.sh -B -n "$n" -r "$pairs" -C 'max_procs: 0' | sed -n '/^| peer/,$p'
	echo
	if [ "$geo" = 1 ]; then
		echo "The same with GeoIP (real GeoLite2 City database; scripts/bench/cpu-per-event.sh -g -n $n -r $pairs):"
		echo
		scripts/bench/cpu-per-event.sh -g -n "$n" -r "$pairs" | sed -n '/^| peer/,$p'
		echo
	fi
fi

if want idle; then
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$W/shipper" ./shipper
	go run ./scripts/bench/gen -n 1000 -o "$W/access.log"
	mkdir -p "$W/data" "$W/out"
	cat >"$W/shipper.yml" <<EOF
shipper.inputs:
  - type: squid
    id: idle
    paths: ["$W/access.log"]
path.data: "$W/data"
logging.level: error
output.file: {path: "$W/out", filename: out.ndjson}
EOF
	chmod 600 "$W/shipper.yml"
	"$W/shipper" run -c "$W/shipper.yml" >"$W/log" 2>&1 &
	pid=$!
	# Idle once the file is read and delivered.
	for _ in $(seq 1 600); do
		[ "$(cat "$W/out/out.ndjson" 2>/dev/null | wc -l)" -ge 1000 ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$W/log" >&2; exit 1; }
		sleep 0.1
	done
	sleep 2
	tck=$(getconf CLK_TCK)
	ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
	t0=$(ticks)
	s0=$(date +%s.%N)
	sleep "$idle"
	t1=$(ticks)
	s1=$(date +%s.%N)
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid" || true
	echo "Idle (squid input on a file already read, file output, after start-up), over ${idle} s:"
	echo
	echo "| CPU % of one core | RSS MiB |"
	echo "|---|---|"
	printf '| %.3f | %.1f |\n' "$(echo "($t1 - $t0) / $tck * 100 / ($s1 - $s0)" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
	echo
fi

if want filebeat; then
	echo "Against Filebeat 7.17 (squid → file; Filebeat parses with dissect only; scripts/bench/vs-filebeat.sh -n $n -r 3):"
	echo
	if out=$(scripts/bench/vs-filebeat.sh -n "$n" -r 3 2>&1); then
		echo "| peer | events/s | CPU µs/event | RSS MiB |"
		echo "|---|---|---|---|"
		echo "$out" | awk -F' *\\| *' '/^\| (filebeat|shipper)-file / { printf "| %s | %s | %s | %s |\n", $2, $6, $8, $9 }'
		echo
		echo "$out" | sed -n 's/^CPU per event, shipper\/Filebeat (file sink): /Ratio of CPU per event, shipper\/Filebeat: /p'
	else
		echo "Not measured: $(echo "$out" | tail -1)"
	fi
	echo
fi

if want queue; then
	echo "For the README's Memory section, queue.mem.bytes (scripts/bench/queue-bytes.sh -n $n -r $pairs):"
	echo
	scripts/bench/queue-bytes.sh -n "$n" -r "$pairs"
	echo
fi

# memory_limit and gc_percent only on request (-m): 30 runs.
if [ "$only" = memory ]; then
	echo "For the README's Memory section, memory_limit and gc_percent (scripts/bench/memory-limit.sh -n $n -r $pairs):"
	echo
	scripts/bench/memory-limit.sh -n "$n" -r "$pairs"
	echo
fi

# Flows only on request (-w): they take minutes.
if [ "$only" = flows ]; then
	echo "For inputs/netflow/README.md, side by side with Filebeat's netflow input (scripts/bench/flows-vs-filebeat.sh -b 4194304):"
	echo
	scripts/bench/flows-vs-filebeat.sh -b 4194304 | sed -n '/^### /,$p' | sed 's/^### /#### /'
fi
