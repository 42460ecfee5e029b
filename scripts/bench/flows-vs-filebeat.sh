#!/usr/bin/env bash
# Flows per second decoded to NDJSON, and CPU per flow, of the shipper's
# netflow input against Filebeat's (x-pack) netflow input, for NetFlow v9
# and IPFIX, fed the same datagrams by scripts/bench/flowreplay (issue 16).
#
#   scripts/bench/flows-vs-filebeat.sh [-p "v9 ipfix"] [-r PAIRS] [-t SECONDS] [-k FLOWS]
#                                      [-R RATE] [-C RATE] [-b BYTES] [-E YAML] [-F FILEBEAT] [-S] [-q] [-K]
#
#   -p PROTOS  protocols (default "v9 ipfix")
#   -r PAIRS   interleaved pairs per measured rate (default 3)
#   -t SECONDS offered traffic per run (default 5): a run sends RATE×SECONDS flows
#   -k FLOWS   flows per data datagram (default 30, softflowd-sized datagrams)
#   -R RATE    offered flows/s of the saturation pairs (default 200000, above
#              both peers' capacity: flows/s received is the capacity)
#   -C RATE    offered flows/s of the equal-rate pairs (default: 80% of
#              Filebeat's max lossless rate found by the search, so both
#              deliver everything and CPU per flow compares like for like)
#   -b BYTES   read_buffer (SO_RCVBUF) for both peers (default: unset, the
#              system default, net.core.rmem_default)
#   -E YAML    added to the shipper's configuration, e.g. 'max_procs: 0'
#              (every CPU; the default is one)
#   -F PATH    Filebeat with the netflow input (default $FILEBEAT or
#              /tmp/bin/filebeat-xpack; build it with
#              `go build -o /tmp/bin/filebeat-xpack ./x-pack/filebeat` in a
#              copy of the beats module, see /work/shared/bench/build-peers.sh)
#   -S         shipper only (also when -F is not executable)
#   -q         skip the max-lossless-rate search (then -C is required)
#   -K         keep the work directory
#
# Each run starts the peer (`shipper run` with `type: netflow` → output.file,
# or `filebeat` with `type: netflow` → output.file, both with their default
# queue, batch and output settings), waits for its UDP socket, sends a
# template then RATE×SECONDS flows paced at RATE, and counts the NDJSON
# documents written (loss = flows sent − documents). CPU is utime+stime of
# the peer's threads from /proc/PID/stat, sampled when sending starts and at
# the last output growth, so start-up and shutdown are not in it; RSS is
# VmHWM. flows/s = documents / (first datagram → last document).
#
# Phases, per protocol, runs alternating shipper, filebeat, shipper, …:
#   1. saturation pairs at -R: capacity flows/s and CPU µs/flow at capacity;
#   2. max sustained lossless rate per peer: doubling from 5000 flows/s
#      until a run loses a flow or falls behind (its last document more than
#      max(1.5 s, 10%) after the last datagram: the decode queue hides a
#      short overload), then bisection to within 10%;
#   3. equal-rate pairs at -C: CPU µs/flow of both at the same offered rate;
#   4. the shipper at 3× Filebeat's max lossless rate (-r runs): the issue's
#      target is no flow lost there.
# It prints every run, then one markdown table per protocol with the
# medians and the shipper/filebeat ratios (median and range over pairs).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
protos="v9 ipfix" pairs=3 secs=5 k=30 R=200000 C="" rbuf="" search=1 keep=0 shipperOnly=0 extra=""
FB=${FILEBEAT:-/tmp/bin/filebeat-xpack}
while getopts p:r:t:k:R:C:b:E:F:SqK o; do
	case $o in
	p) protos=$OPTARG ;;
	r) pairs=$OPTARG ;;
	t) secs=$OPTARG ;;
	k) k=$OPTARG ;;
	R) R=$OPTARG ;;
	C) C=$OPTARG ;;
	b) rbuf=$OPTARG ;;
	E) extra=$OPTARG ;;
	F) FB=$OPTARG ;;
	S) shipperOnly=1 ;;
	q) search=0 ;;
	K) keep=1 ;;
	*) exit 2 ;;
	esac
done
if [ "$search" = 0 ] && [ -z "$C" ]; then
	echo "flows-vs-filebeat: -q needs -C RATE" >&2
	exit 2
fi
peers="shipper filebeat"
if [ "$shipperOnly" = 1 ]; then
	peers=shipper
elif [ ! -x "$FB" ]; then
	echo "flows-vs-filebeat: no Filebeat at $FB (-F): shipper only" >&2
	peers=shipper
fi

W=$(mktemp -d /tmp/shipper-flows.XXXXXX)
pid=""
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	[ "$keep" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT
# The commit the shipper is built from (the tree may move during the run).
commit=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(cd "$ROOT" && git status --porcelain --untracked-files=no 2>/dev/null)" ] || commit="$commit+dirty"
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$W/shipper" ./shipper &&
	go build -trimpath -o "$W/flowreplay" ./scripts/bench/flowreplay)

# A free UDP port on 127.0.0.1, the same for every run.
port=""
for _ in $(seq 1 50); do
	p=$((20000 + RANDOM % 30000))
	if ! grep -qi ":$(printf %04X "$p") " /proc/net/udp /proc/net/udp6 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "flows-vs-filebeat: no free UDP port" >&2; exit 1; }

rb="" fbrb=""
[ -z "$rbuf" ] || { rb="    read_buffer: $rbuf"; fbrb="  read_buffer: $rbuf"; }
cat >"$W/shipper.yml" <<EOF
shipper.inputs:
  - type: netflow
    id: bench
    host: "127.0.0.1:$port"
    protocols: [v9, ipfix]
$rb
path.data: "$W/data"
logging.level: error
output.file: {path: "$W/out", filename: shipper.ndjson, rotate_every_kb: 100000000}
$extra
EOF
cat >"$W/filebeat.yml" <<EOF
filebeat.inputs:
- type: netflow
  host: "127.0.0.1:$port"
  protocols: [v9, ipfix]
$fbrb
output.file: {path: "$W/out", filename: filebeat, rotate_every_kb: 100000000}
logging.level: error
logging.to_files: false
EOF
chmod 600 "$W/shipper.yml" "$W/filebeat.yml"

fbversion=""
if [ "$peers" != shipper ]; then
	fbversion=$("$FB" version 2>/dev/null | head -1 | sed 's/ (.*//; s/ version / /')
fi

# trial PEER PROTO RATE PHASE: one run; appends "phase=… peer=… key=value…"
# to $W/runs and prints it.
trial() {
	local peer=$1 proto=$2 rate=$3 phase=$4 n line
	n=$(((rate * secs + k - 1) / k))
	rm -rf "$W/out" "$W/data"
	mkdir -p "$W/out" "$W/data"
	case $peer in
	shipper) "$W/shipper" run -e -c "$W/shipper.yml" >"$W/$peer.log" 2>&1 & ;;
	filebeat) "$FB" -e --strict.perms=false -c "$W/filebeat.yml" --path.home "$W/data" --path.data "$W/data" >"$W/$peer.log" 2>&1 & ;;
	esac
	pid=$!
	if ! line=$("$W/flowreplay" -proto "$proto" -to "127.0.0.1:$port" -n "$n" -k "$k" -rate "$rate" -watch "$W/out" -pid "$pid" -settle 3s); then
		echo "flows-vs-filebeat: $peer $proto at $rate flows/s failed; its log:" >&2
		tail -20 "$W/$peer.log" >&2
		exit 1
	fi
	kill "$pid"
	wait "$pid" || true
	pid=""
	echo "phase=$phase peer=$peer $line" >>"$W/runs"
	echo "$line" | awk -v peer="$peer" -v phase="$phase" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%-6s %-8s %-5s offered %7d flows/s: %7d/%7d flows, lost %6.2f%% (kernel %d dg), lag %5.1f s, %7.0f flows/s, %6.2f CPU-µs/flow, %5.1f MiB\n",
			phase, peer, v["proto"], v["rate"], v["received"], v["flows"], 100 * v["lost_flows"] / v["flows"], v["udp_rcvbuf_errors"], v["elapsed_s"] - v["send_s"],
			v["flows_per_s"], v["cpu_us_per_flow"], v["rss_kb"] / 1024 }'
}

# behind PEER: whether the last run of PEER did not sustain its rate: it
# lost a flow, or its last document came more than max(1.5 s, 10% of the
# sending time) after the last datagram (its decode queue, 8192 datagrams
# by default, would absorb a short burst above its capacity and hide it;
# 1.5 s allows for a 1 s output flush timeout).
behind() {
	grep " peer=$1 " "$W/runs" | tail -1 | awk '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		lag = v["elapsed_s"] - v["send_s"]; allow = v["send_s"] / 10 > 1.5 ? v["send_s"] / 10 : 1.5
		exit !(v["lost_flows"] != 0 || lag > allow) }'
}

# search PROTO: each peer's max lossless rate, interleaved step by step;
# sets maxok[peer].
declare -A maxok
search() {
	local proto=$1 p
	declare -A lo hi r fin
	for p in $peers; do lo[$p]=0 hi[$p]=0 r[$p]=5000 fin[$p]=0; done
	while :; do
		local busy=0
		for p in $peers; do
			[ "${fin[$p]}" = 0 ] || continue
			busy=1
			trial "$p" "$proto" "${r[$p]}" search
			if behind "$p"; then hi[$p]=${r[$p]}; else lo[$p]=${r[$p]}; fi
			if [ "${hi[$p]}" = 0 ]; then
				r[$p]=$((r[$p] * 2))
				[ "${r[$p]}" -le 2000000 ] || fin[$p]=1
			elif [ "${lo[$p]}" = 0 ]; then
				r[$p]=$((r[$p] / 2))
				[ "${r[$p]}" -ge 500 ] || fin[$p]=1
			else
				r[$p]=$(((lo[$p] + hi[$p]) / 2))
				[ $(((hi[$p] - lo[$p]) * 10)) -gt "${hi[$p]}" ] || fin[$p]=1
			fi
		done
		[ "$busy" = 1 ] || break
	done
	for p in $peers; do maxok[$p]=${lo[$p]}; done
}

: >"$W/runs"
for proto in $protos; do
	echo "== $proto: saturation pairs at $R flows/s offered"
	for _ in $(seq 1 "$pairs"); do for p in $peers; do trial "$p" "$proto" "$R" sat; done; done
	rate=$C
	if [ "$search" = 1 ]; then
		echo "== $proto: max lossless rate search"
		search "$proto"
		for p in $peers; do echo "maxok proto=$proto peer=$p rate=${maxok[$p]}" >>"$W/runs"; done
		if [ -z "$C" ]; then
			base=${maxok[filebeat]:-${maxok[shipper]}}
			rate=$((base * 8 / 10))
		fi
	fi
	if [ "$rate" -gt 0 ]; then
		echo "== $proto: equal-rate pairs at $rate flows/s offered"
		for _ in $(seq 1 "$pairs"); do for p in $peers; do trial "$p" "$proto" "$rate" equal; done; done
	fi
	if [ "$search" = 1 ] && [ -n "${maxok[filebeat]:-}" ] && [ "${maxok[filebeat]}" -gt 0 ]; then
		echo "== $proto: the shipper at 3× Filebeat's max sustained lossless rate ($((maxok[filebeat] * 3)) flows/s)"
		for _ in $(seq 1 "$pairs"); do trial shipper "$proto" $((maxok[filebeat] * 3)) triple; done
	fi
done

echo
awk -v date="$(date -u +%F)" -v commit="$commit" -v secs="$secs" -v k="$k" -v fbv="$fbversion" -v rbuf="${rbuf:-system default}" -v cpus="$(nproc)" -v procs="$(printf '%s\n' "$extra" | sed -n 's/^max_procs: *\([0-9]*\).*/\1/p')" '
function median(a, n,   i, j, t) {  # sorts a[1..n] in place
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
# med(KEY, PHASE, PROTO, PEER): median of a value over the runs
function med(key, ph, pr, pe,   i, n, a) {
	for (i = 1; i <= nrun; i++) if (R[i, "phase"] == ph && R[i, "proto"] == pr && R[i, "peer"] == pe) a[++n] = R[i, key]
	return n ? median(a, n) : ""
}
# ratio(KEY, PHASE, PROTO): shipper/filebeat per pair (i-th run of each); sets lo, hi; returns the median
function ratio(key, ph, pr,   i, n, m, s, f, a) {
	for (i = 1; i <= nrun; i++) if (R[i, "phase"] == ph && R[i, "proto"] == pr) {
		if (R[i, "peer"] == "shipper") s[++n] = R[i, key]; else f[++m] = R[i, key]
	}
	if (m > n) m = n
	for (i = 1; i <= m; i++) { a[i] = f[i] ? s[i] / f[i] : 0; lo = (i == 1 || a[i] < lo) ? a[i] : lo; hi = (i == 1 || a[i] > hi) ? a[i] : hi }
	return m ? median(a, m) : ""
}
function lossmax(ph, pr, pe,   i, x) {
	x = 0
	for (i = 1; i <= nrun; i++) if (R[i, "phase"] == ph && R[i, "proto"] == pr && R[i, "peer"] == pe && R[i, "lost_flows"] / R[i, "flows"] > x) x = R[i, "lost_flows"] / R[i, "flows"]
	return 100 * x
}
$1 == "maxok" { for (i = 2; i <= NF; i++) { split($i, kv, "="); kk[kv[1]] = kv[2] }; maxok[kk["proto"], kk["peer"]] = kk["rate"]; next }
{
	nrun++
	for (i = 1; i <= NF; i++) { split($i, kv, "="); R[nrun, kv[1]] = kv[2] }
	protos[R[nrun, "proto"]] = 1; peers[R[nrun, "peer"]] = 1
	if (R[nrun, "phase"] == "sat") satrate = R[nrun, "rate"]
	if (R[nrun, "phase"] == "equal") eqrate[R[nrun, "proto"]] = R[nrun, "rate"]
	if (R[nrun, "phase"] == "triple") { tri[R[nrun, "proto"]] = R[nrun, "rate"]; trilost[R[nrun, "proto"]] += R[nrun, "lost_flows"]; trisent[R[nrun, "proto"]] += R[nrun, "flows"]; trin[R[nrun, "proto"]]++
		lag = R[nrun, "elapsed_s"] - R[nrun, "send_s"]; if (lag > trilag[R[nrun, "proto"]]) trilag[R[nrun, "proto"]] = lag }
}
END {
	np = split("v9 ipfix", order, " ")
	fbname = fbv == "" ? "filebeat" : fbv
	for (j = 1; j <= np; j++) {
		pr = order[j]
		if (!(pr in protos)) continue
		mp = (procs == "") ? "1 (default)" : ((procs == "0") ? "0 (every CPU)" : procs)
		printf "### %s — %d flows per datagram, %d s of traffic per run, read_buffer %s, %d CPUs, shipper max_procs %s; %s, commit %s\n\n", (pr == "v9" ? "NetFlow v9" : "IPFIX"), k, secs, rbuf, cpus, mp, date, commit
		print "| peer | flows/s at saturation (" satrate " offered) | CPU µs/flow at saturation | max sustained lossless flows/s | CPU µs/flow at " eqrate[pr] " flows/s (lost) | peak RSS MiB |"
		print "|---|---|---|---|---|---|"
		split("shipper filebeat", po, " ")
		for (q = 1; q <= 2; q++) {
			pe = po[q]
			if (!(pe in peers)) continue
			printf "| %s | %.0f (lost ≤ %.1f%%) | %.2f | %s | %s | %.1f |\n", (pe == "shipper" ? "shipper (netflow input)" : fbname " (netflow input)"),
				med("flows_per_s", "sat", pr, pe), lossmax("sat", pr, pe), med("cpu_us_per_flow", "sat", pr, pe),
				((pr, pe) in maxok ? maxok[pr, pe] : "—"),
				(eqrate[pr] ? sprintf("%.2f (%.2f%%)", med("cpu_us_per_flow", "equal", pr, pe), lossmax("equal", pr, pe)) : "—"),
				med("rss_kb", "sat", pr, pe) / 1024
		}
		if ("filebeat" in peers) {
			r1 = ratio("flows_per_s", "sat", pr); l1 = lo; h1 = hi
			r2 = ratio("cpu_us_per_flow", "sat", pr); l2 = lo; h2 = hi
			r3 = eqrate[pr] ? ratio("cpu_us_per_flow", "equal", pr) : ""; l3 = lo; h3 = hi
			m3 = (maxok[pr, "filebeat"] > 0) ? sprintf("%.2f×", maxok[pr, "shipper"] / maxok[pr, "filebeat"]) : "—"
			printf "| **shipper / filebeat** | **%.2f×** (%.2f–%.2f) | **%.2f×** (%.2f–%.2f) | **%s** | **%s** | |\n", r1, l1, h1, r2, l2, h2, m3,
				(r3 == "" ? "—" : sprintf("%.2f× (%.2f–%.2f)", r3, l3, h3))
		}
		if (pr in tri) printf "\nThe shipper at 3× Filebeat'"'"'s max sustained lossless rate (%d flows/s offered): %d of %d flows lost over %d runs; last document at most %.1f s after the last datagram.\n", tri[pr], trilost[pr], trisent[pr], trin[pr], trilag[pr]
		print ""
	}
}' "$W/runs"
