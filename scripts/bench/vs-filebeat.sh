#!/usr/bin/env bash
# The shipper against Filebeat, side by side (issue 17: "≤ 0.2× Filebeat's
# CPU per event"), through the shared peer harness (../shared/bench: the
# one that built the issue's table), interleaved rounds on one generated
# squid access.log, every run's output validated (count, parsed, bytes sum).
#
#   scripts/bench/vs-filebeat.sh [-n LINES] [-r ROUNDS] [-e]
#
#   -n LINES   generated squid lines (default 300000)
#   -r ROUNDS  interleaved rounds (default 3)
#   -e         also the _bulk peers (a fresh VictoriaLogs per run:
#              VL_BIN, default .bin/victoria-logs as scripts/test.sh installs it)
#
# Needs: BENCH_DIR (default ../shared/bench next to the repo) and a Filebeat
# binary at FILEBEAT_BIN (default /tmp/bin/filebeat), built by
# "$BENCH_DIR/build-peers.sh filebeat" (OSS 7.17, the issue's peer). Nothing of
# Filebeat is committed. Filebeat parses with dissect only (no ECS mapping),
# so it does less work per line than the shipper.
# Prints the harness's table, then the CPU-per-event ratio shipper/Filebeat
# per sink (medians), with the date and commit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
n=300000 rounds=3 es=0
while getopts n:r:e o; do
	case $o in
	n) n=$OPTARG ;;
	r) rounds=$OPTARG ;;
	e) es=1 ;;
	*) exit 2 ;;
	esac
done
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
export FILEBEAT_BIN=${FILEBEAT_BIN:-/tmp/bin/filebeat}
[ -x "$BENCH_DIR/run.sh" ] || { echo "vs-filebeat: no harness at $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }
[ -x "$FILEBEAT_BIN" ] || { echo "vs-filebeat: no Filebeat at $FILEBEAT_BIN: build it with $BENCH_DIR/build-peers.sh filebeat" >&2; exit 2; }
W=$(mktemp -d /tmp/shipper-vsfb.XXXXXX)
trap 'rm -rf "$W"' EXIT
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$W/shipper" ./shipper)
export SHIPPER_BIN=$W/shipper
peers="filebeat-file shipper-file"
if [ "$es" = 1 ]; then
	export VL_BIN=${VL_BIN:-$ROOT/.bin/victoria-logs}
	[ -x "$VL_BIN" ] || { echo "vs-filebeat: no VictoriaLogs at $VL_BIN" >&2; exit 2; }
	peers="$peers filebeat-es shipper-es"
fi
commit=$(git -C "$ROOT" rev-parse --short HEAD)
echo "shipper vs Filebeat $("$FILEBEAT_BIN" version 2>/dev/null | awk '{print $3}'), $n lines, $rounds interleaved rounds, $(date -u '+%F %H:%M UTC'), commit $commit"
echo
"$BENCH_DIR/run.sh" -n "$n" -r "$rounds" -p "$peers" -w "$W/work" 2>"$W/log" | tee "$W/summary" || { cat "$W/log" >&2; exit 1; }
echo
python3 - "$W/work/results/raw.csv" "$n" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["status"] == "ok"]
n = int(sys.argv[2])
cpu = {}
for r in rows:
    cpu.setdefault(r["peer"], []).append((float(r["user_s"]) + float(r["sys_s"])) / n * 1e6)
for sink in ("file", "es"):
    s, f = cpu.get("shipper-" + sink), cpu.get("filebeat-" + sink)
    if s and f:
        print("CPU per event, shipper/Filebeat (%s sink): %.2f× (%.2f vs %.2f µs/event, medians)" % (
            sink, statistics.median(s) / statistics.median(f), statistics.median(s), statistics.median(f)))
    elif s or f:
        print("%s sink: a peer had no valid run" % sink)
PY
