#!/usr/bin/env bash
# queue.mem.bytes measured (issue 17): what the README's Memory section states.
#
#   scripts/bench/queue-bytes.sh [-l LINES] [-k KIB] [-n SQUID_LINES] [-r PAIRS]
#
#   -l LINES        large lines for the peak RSS (default 3000)
#   -k KIB          size of each large line in KiB (default 100)
#   -n SQUID_LINES  squid lines per run for the CPU cost (default 300000)
#   -r PAIRS        interleaved pairs for the CPU cost (default 5, at least 5)
#
# Peak RSS: `shipper run` tails a file of LINES lines of KIB KiB (filestream)
# into output.elasticsearch at an address that refuses connections (a port
# on 127.0.0.1 nothing listens on, checked before and after), once with the
# default queue.mem.bytes and once with `queue.mem.bytes: 0`. A run ends when
# /stats shows the queue full, in bytes (pipeline.queue.filled.bytes at the
# bound) or in events (pipeline.queue.filled at queue.mem.events), or every
# line published (fewer lines than the queue holds): from then on the input
# waits and nothing more is read. Its peak RSS is VmHWM from
# /proc at that moment. It fails if the shipper ends, if any event was
# acknowledged (Elasticsearch was not unreachable), or if /stats showed no
# progress for 60 s.
#
# A squid line's estimated size: the same kind of run on the generated
# squid lines, ended when the queue is full in events (queue.mem.events
# comes first for them); /stats' pipeline.queue.filled.bytes over
# pipeline.queue.filled, and the JSON document's size from the file runs.
#
# CPU cost of the bound: `shipper run --once`, squid → file, SQUID_LINES
# generated lines, with the default bound and with `queue.mem.bytes: 0` (no
# size estimated), the same binary, alternately A B B A …, each timed by
# /usr/bin/time (user+sys, peak RSS); the ratio is the median of the pairs'
# ratios, with their range.
#
# It prints the figures as the README's Memory section states them, with
# the date and the commit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
lines=3000 kib=100 n=300000 pairs=5
while getopts l:k:n:r: o; do
	case $o in
	l) lines=$OPTARG ;;
	k) kib=$OPTARG ;;
	n) n=$OPTARG ;;
	r) pairs=$OPTARG ;;
	*) exit 2 ;;
	esac
done
if [ "$pairs" -lt 5 ]; then
	echo "queue-bytes: -r must be at least 5" >&2
	exit 2
fi
for p in /usr/bin/time curl bc; do
	command -v "$p" >/dev/null || { echo "queue-bytes: needs $p (apt-get install ${p##*/})" >&2; exit 2; }
done

W=$(mktemp -d /tmp/shipper-queue-bytes.XXXXXX)
pid=""
cleanup() {
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$W/shipper" ./shipper &&
	go build -trimpath -o "$W/gen" ./scripts/bench/gen)
commit=$(cd "$ROOT" && git rev-parse --short HEAD)
[ -z "$(cd "$ROOT" && git status --porcelain --untracked-files=no)" ] || commit="$commit (with uncommitted changes)"

# refuses PORT: nothing accepts connections on 127.0.0.1:PORT.
refuses() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# freeport: a port nothing listens on (the shipper's HTTP port, or the
# unreachable Elasticsearch), different from $1.
freeport() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 30000))
		[ "$p" != "${1:-}" ] && refuses "$p" && { echo "$p"; return; }
	done
	echo "queue-bytes: no free port found" >&2
	exit 1
}

# counter NAME: the counter's value in the last /stats document ($W/stats).
counter() {
	local v
	v=$(grep -o "\"$1\":[0-9-]*" "$W/stats" | head -1 | cut -d: -f2)
	echo "${v:-0}"
}

# queue KEY: pipeline.queue.KEY in the last /stats document.
queue() {
	grep -o '"queue":{[^}]*}' "$W/stats" | head -1 | grep -o "\"$1\":[0-9]*" | cut -d: -f2
}

# The large lines: "<i> " then KIB KiB of one letter.
awk -v n="$lines" -v size=$((kib * 1024)) 'BEGIN {
	s = "x"; while (length(s) < size) s = s s; s = substr(s, 1, size)
	for (i = 0; i < n; i++) print i, s
}' >"$W/big.log"

# peak BYTES_SETTING: one run; sets hwm to its peak RSS in KiB.
peak() {
	local setting=$1 input=${2:-"{type: filestream, id: big, paths: [\"$W/big.log\"]}"} lines=${3:-$lines} esport httpport
	httpport=$(freeport)
	esport=$(freeport "$httpport")
	rm -rf "$W/data"
	mkdir -p "$W/data"
	cat >"$W/big.yml" <<EOF
shipper.inputs:
  - $input
output.elasticsearch: {hosts: ["http://127.0.0.1:$esport"]}
setup.template.enabled: false
setup.ilm.enabled: false
path.data: "$W/data"
logging.level: error
http: {enabled: true, host: 127.0.0.1, port: $httpport}
$setting
EOF
	chmod 600 "$W/big.yml"
	"$W/shipper" run -c "$W/big.yml" >"$W/big.out" 2>&1 &
	pid=$!
	local last="" since=$SECONDS
	while :; do
		kill -0 "$pid" 2>/dev/null || { echo "queue-bytes: the shipper ended:" >&2; cat "$W/big.out" >&2; exit 1; }
		if curl -sf "http://127.0.0.1:$httpport/stats" >"$W/stats" 2>/dev/null; then
			# The bounds in force, as the shipper reports them.
			local filled bytes published maxev maxbytes
			maxev=$(queue max_events)
			maxbytes=$(queue max_bytes)
			filled=$(counter pipeline.queue.filled)
			bytes=$(counter pipeline.queue.filled.bytes)
			published=$(counter pipeline.events.published)
			if [ "$filled" -ge "$maxev" ] || { [ "$maxbytes" -gt 0 ] && [ "$bytes" -ge "$maxbytes" ]; } || [ "$published" -ge "$lines" ]; then
				break
			fi
			# Progress: anything published or queued moved; else 60 s and out.
			local now
			now="$published $filled $bytes"
			[ "$now" = "$last" ] || { last=$now since=$SECONDS; }
		fi
		if [ $((SECONDS - since)) -gt 60 ]; then
			echo "queue-bytes: no progress for 60 s ($setting): $last" >&2
			cat "$W/big.out" >&2
			exit 1
		fi
		sleep 0.2
	done
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	qevents=$(counter pipeline.queue.filled)
	qbytes=$(counter pipeline.queue.filled.bytes)
	if [ "$(counter output.events.acked)" != 0 ] || ! refuses "$esport"; then
		echo "queue-bytes: Elasticsearch at 127.0.0.1:$esport was reachable" >&2
		exit 1
	fi
	# The events queued are lost by design here: a second signal ends it at
	# once instead of waiting shipper.shutdown_timeout for Elasticsearch.
	kill -TERM "$pid"
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
}
peak ""
with=$hwm
peak "queue.mem.bytes: 0"
without=$hwm

# The CPU cost: squid → file, with the default bound (A) and without (B).
"$W/gen" -n "$n" -o "$W/access.log"

# What a squid line's event is estimated at: the same, on squid lines, until
# the queue is full in events (queue.mem.events comes first for them).
peak "" "{type: squid, id: squid, paths: [\"$W/access.log\"]}" "$n"
sqevents=$qevents sqbytes=$qbytes
for b in on off; do
	setting=""
	[ "$b" = off ] && setting="queue.mem.bytes: 0"
	cat >"$W/squid-$b.yml" <<EOF
shipper.inputs:
  - type: squid
    id: bench
    paths: ["$W/access.log"]
path.data: "$W/data-$b"
logging.level: error
output.file: {path: "$W/out", filename: shipper.ndjson, rotate_every_kb: 100000000}
$setting
EOF
	chmod 600 "$W/squid-$b.yml"
done
: >"$W/runs"
for i in $(seq 1 "$pairs"); do
	# A B, then B A: the order within a pair is no bias.
	order="on off"
	[ $((i % 2)) = 0 ] && order="off on"
	for b in $order; do
		rm -rf "$W/out" "$W/data-$b"
		/usr/bin/time -f '%U %S %M' -o "$W/time" "$W/shipper" run --once -c "$W/squid-$b.yml" >"$W/squid.out" 2>&1 || {
			echo "queue-bytes: the squid run ($b) failed:" >&2
			cat "$W/squid.out" >&2
			exit 1
		}
		got=$(wc -l <"$W/out/shipper.ndjson")
		[ "$got" = "$n" ] || { echo "queue-bytes: the squid run ($b) wrote $got documents, want $n" >&2; exit 1; }
		docbytes=$(stat -c %s "$W/out/shipper.ndjson")
		read -r u s m <"$W/time"
		echo "$b $(echo "$u + $s" | bc) $m" >>"$W/runs"
	done
done

kibs() { echo "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }
awk -v lines="$lines" -v kib="$kib" -v n="$n" -v pairs="$pairs" -v with="$(kibs "$with")" -v without="$(kibs "$without")" \
	-v date="$(date -u +%F)" -v commit="$commit" -v sqevents="$sqevents" -v sqbytes="$sqbytes" -v docbytes="$docbytes" '
function median(a, k,   i, j, t) {  # sorts a[1..k] in place
	for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
	return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2
}
function commas(x,   s) {  # 300000 → 300,000
	s = sprintf("%d", x)
	while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
	return s
}
function range(a, k,   i, lo, hi) {
	for (i = 1; i <= k; i++) { lo = (i == 1 || a[i] < lo) ? a[i] : lo; hi = (i == 1 || a[i] > hi) ? a[i] : hi }
	return sprintf("%.2f–%.2f", lo, hi)
}
{ c[$1] = $2; r[$1] = $3 }
NR % 2 == 0 { k++; rc[k] = c["on"] / c["off"]; rm[k] = r["on"] / r["off"] }
END {
	for (i = 1; i <= k; i++) { a[i] = rc[i]; b[i] = rm[i] }
	rcr = range(a, k); rmr = range(b, k)
	printf "Measured with %s lines of %d KiB (filestream) and Elasticsearch unreachable (connection refused), once /stats showed the queue full: peak RSS %s MiB with the default, %s MiB with `queue.mem.bytes: 0` (%s, commit %s).\n\n", commas(lines), kib, with, without, date, commit
	printf "A squid line'\''s event is estimated at %.1f KB (its JSON document is %.1f KB): %s of them are %.1f MB (/stats with the queue full in events, %s generated lines; %s, commit %s).\n\n", sqbytes / sqevents / 1000, docbytes / n / 1000, commas(sqevents), sqbytes / 1e6, commas(n), date, commit
	printf "CPU per event, squid → file with the default bound against `queue.mem.bytes: 0` (no size estimated), %s lines, %d interleaved pairs: %.2f× (%s); peak RSS %.2f× (%s) (%s, commit %s).\n", commas(n), k, median(a, k), rcr, median(b, k), rmr, date, commit
}' "$W/runs"
